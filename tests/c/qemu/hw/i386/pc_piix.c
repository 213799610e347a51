/*
 * Stand-in for QEMU's hw/i386/pc_piix.c, swapped: the machine init
 * functions, the DEFINE_I440FX_MACHINE macros and pc_i440fx_machine_options()
 * with the fields machines/x86/pc-i440fx.mtc's family models, then the
 * generated versioned machines (isapc and xenfv included).
 */
#include "qemu/osdep.h"
#include CONFIG_DEVICES
#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/i386/pc.h"

#ifdef CONFIG_ISAPC
static void pc_init_isa(MachineState *machine)
{
}
#endif

#ifdef CONFIG_XEN
static void pc_xen_hvm_init(MachineState *machine)
{
}
#endif

static void pc_i440fx_init(MachineState *machine)
{
}

#define DEFINE_I440FX_MACHINE(major, minor) \
    DEFINE_PC_VER_MACHINE(pc_i440fx, "pc-i440fx", pc_i440fx_init, false, NULL, major, minor);

#define DEFINE_I440FX_MACHINE_AS_LATEST(major, minor) \
    DEFINE_PC_VER_MACHINE(pc_i440fx, "pc-i440fx", pc_i440fx_init, true, "pc", major, minor);

static void pc_i440fx_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);

    pcmc->pci_root_uid = 0;
    pcmc->default_cpu_version = 1;
    m->desc = "Standard PC (i440FX + PIIX, 1996)";
    m->default_machine_opts = "firmware=bios-256k.bin";
    m->default_nic = "e1000";
}

#include "pc_piix_machines.c.inc"
