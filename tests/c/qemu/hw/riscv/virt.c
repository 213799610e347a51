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

static void riscv_virt_class(MachineClass *mc, void (*options)(MachineClass *), bool latest)
{
    options(mc);
    if (latest) {
        mc->alias = "virt";
        mc->is_default = true;
    }
}

#define DEFINE_RISCV_VIRT_MACHINE_IMPL(latest, ...) \
    static void MACHINE_VER_SYM(class_init, riscv_virt, __VA_ARGS__)(ObjectClass *oc, void *data) \
    { \
        riscv_virt_class(MACHINE_CLASS(oc), MACHINE_VER_SYM(options, riscv_virt, __VA_ARGS__), \
                         latest); \
    } \
    MTC_STANDIN_REGISTER(riscv_virt, TYPE_RISCV_VIRT_MACHINE, "virt", __VA_ARGS__);

#define DEFINE_RISCV_VIRT_MACHINE_AS_LATEST(major, minor) \
    DEFINE_RISCV_VIRT_MACHINE_IMPL(true, major, minor)
#define DEFINE_RISCV_VIRT_MACHINE(major, minor) \
    DEFINE_RISCV_VIRT_MACHINE_IMPL(false, major, minor)

const char *mtc_standin_symbol(const void *address)
{
    return NULL;
}

#include "riscv_virt_machines.c.inc"
