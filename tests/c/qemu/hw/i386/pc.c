/*
 * Stand-in for QEMU's hw/i386/pc.c, swapped: its pc_compat arrays, and the
 * abstract TYPE_PC_MACHINE, whose class_init sets what machines/x86/pc.mtc's
 * family generic-pc says.
 */
#include "qemu/osdep.h"
#include "hw/i386/pc.h"
#include "target/i386/cpu.h"

#include "pc_compat.c.inc"

static void pc_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->max_cpus = 255;
    mc->has_hotpluggable_cpus = true;
    mc->default_cpu_type = TARGET_DEFAULT_CPU_TYPE;
    mc->default_ram_id = "pc.ram";
}

static const TypeInfo pc_machine_info = {
    .name = TYPE_PC_MACHINE,
    .parent = TYPE_MACHINE,
    .abstract = true,
    .class_init = pc_machine_class_init,
};

static void pc_machine_register_types(void)
{
    type_register_static(&pc_machine_info);
}

type_init(pc_machine_register_types)
