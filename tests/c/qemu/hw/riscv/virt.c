/*
 * Stand-in for a versioned hw/riscv/virt.c (the fixture of
 * tests/fixtures/riscv-virt), swapped: the abstract TYPE_RISCV_VIRT_MACHINE
 * whose class_init sets the family's facts, DEFINE_RISCV_VIRT_MACHINE_IMPL,
 * then the generated versioned machines.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/riscv/virt.h"
#include "target/riscv/cpu-qom.h"
#include "standin.h"

static void virt_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "RISC-V VirtIO board";
    mc->max_cpus = 512;
    mc->default_cpu_type = RISCV_CPU_TYPE_NAME("rv64");
}

static const TypeInfo virt_machine_info = {
    .name = TYPE_RISCV_VIRT_MACHINE,
    .parent = TYPE_MACHINE,
    .abstract = true,
    .class_init = virt_machine_class_init,
};

static void virt_machine_init_register_types(void)
{
    type_register_static(&virt_machine_info);
}

type_init(virt_machine_init_register_types)

#define DEFINE_RISCV_VIRT_MACHINE_IMPL(latest, ...) \
    static void MACHINE_VER_SYM(class_init, riscv_virt, __VA_ARGS__)( \
        ObjectClass *oc, \
        void *data) \
    { \
        MachineClass *mc = MACHINE_CLASS(oc); \
        MACHINE_VER_SYM(options, riscv_virt, __VA_ARGS__)(mc); \
        MACHINE_VER_DEPRECATION(__VA_ARGS__); \
        if (latest) { \
            mc->alias = "virt"; \
            mc->is_default = true; \
        } \
    } \
    static const TypeInfo MACHINE_VER_SYM(info, riscv_virt, __VA_ARGS__) = \
    { \
        .name = MACHINE_VER_TYPE_NAME("virt", __VA_ARGS__), \
        .parent = TYPE_RISCV_VIRT_MACHINE, \
        .class_init = MACHINE_VER_SYM(class_init, riscv_virt, __VA_ARGS__), \
    }; \
    static void MACHINE_VER_SYM(register, riscv_virt, __VA_ARGS__)(void) \
    { \
        MACHINE_VER_DELETION(__VA_ARGS__); \
        type_register_static(&MACHINE_VER_SYM(info, riscv_virt, __VA_ARGS__)); \
    } \
    type_init(MACHINE_VER_SYM(register, riscv_virt, __VA_ARGS__));

#define DEFINE_RISCV_VIRT_MACHINE_AS_LATEST(major, minor) \
    DEFINE_RISCV_VIRT_MACHINE_IMPL(true, major, minor)
#define DEFINE_RISCV_VIRT_MACHINE(major, minor) \
    DEFINE_RISCV_VIRT_MACHINE_IMPL(false, major, minor)

const char *mtc_standin_symbol(const void *address)
{
    return NULL;
}

#include "riscv_virt_machines.c.inc"
