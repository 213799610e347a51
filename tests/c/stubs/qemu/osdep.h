/*
 * Test stand-in for QEMU's include/qemu/osdep.h and the bits of GLib the
 * generated machine definitions reach through it.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* qemu/typedefs.h */
typedef struct Error Error;

#define G_N_ELEMENTS(arr) (sizeof(arr) / sizeof((arr)[0]))

/* GPtrArray, reduced to a growable array of pointers. */
typedef struct GPtrArray {
    void **pdata;
    unsigned int len;
    unsigned int alloc;
} GPtrArray;

static inline GPtrArray *g_ptr_array_new(void)
{
    return calloc(1, sizeof(GPtrArray));
}

static inline void g_ptr_array_add(GPtrArray *array, void *data)
{
    if (array->len == array->alloc) {
        array->alloc = array->alloc ? array->alloc * 2 : 64;
        array->pdata = realloc(array->pdata, array->alloc * sizeof(void *));
        if (!array->pdata) {
            abort();
        }
    }
    array->pdata[array->len++] = data;
}

#endif
