/*
 * Minimal stand-in for QEMU's include/qemu/osdep.h: only what the generated
 * compat tables need.  The host tables' header (host.h) compares strings
 * and names Error (qemu/typedefs.h) and GPtrArray (glib.h) in declarations;
 * neither type is defined here.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct Error Error;
typedef struct GPtrArray GPtrArray;

#define G_N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

#endif
