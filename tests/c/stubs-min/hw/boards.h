/*
 * Minimal stand-in for QEMU's include/hw/boards.h: GlobalProperty exactly as
 * QEMU declares it (include/hw/qdev-core.h), nothing else.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

typedef struct GlobalProperty {
    const char *driver;
    const char *property;
    const char *value;
    bool used;
    bool optional;
} GlobalProperty;

#endif
