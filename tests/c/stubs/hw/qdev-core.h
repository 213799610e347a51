/* Test stand-in for QEMU's include/hw/qdev-core.h: GlobalProperty as QEMU declares it. */
#ifndef QDEV_CORE_H
#define QDEV_CORE_H

typedef struct GlobalProperty {
    const char *driver;
    const char *property;
    const char *value;
    bool used;
    bool optional;
} GlobalProperty;

#endif
