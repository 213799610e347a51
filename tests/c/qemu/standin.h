/*
 * What the stand-ins of QEMU's files give the test harness that QEMU keeps
 * static in them.
 */
#ifndef MTC_STANDIN_H
#define MTC_STANDIN_H

#include "hw/boards.h"

/*
 * What every DEFINE_*_MACHINE_IMPL of QEMU ends with, written afresh: a
 * TypeInfo named after the family's name and version, below the family's
 * abstract type, and its registration.
 */
#define MTC_STANDIN_REGISTER(sym, parent_type, namestr, ...) \
    static const TypeInfo MACHINE_VER_SYM(info, sym, __VA_ARGS__) = { \
        .name = MACHINE_VER_TYPE_NAME(namestr, __VA_ARGS__), \
        .parent = parent_type, \
        .class_init = MACHINE_VER_SYM(class_init, sym, __VA_ARGS__), \
    }; \
    static void MACHINE_VER_SYM(register, sym, __VA_ARGS__)(void) \
    { \
        type_register_static(&MACHINE_VER_SYM(info, sym, __VA_ARGS__)); \
    } \
    type_init(MACHINE_VER_SYM(register, sym, __VA_ARGS__))

/* The name a symbol option's value has in machines/ ("&spapr_irq_xics"). */
const char *mtc_standin_symbol(const void *address);

/* s390-virtio-ccw.c: ccw_init() calls, and the class its machine init set. */
extern int mtc_standin_ccw_init_calls;
const void *mtc_standin_current_mc(void);

#endif
