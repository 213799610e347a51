/*
 * Stand-in for QEMU's hw/i386/pc_q35.c, swapped: pc_q35_compat_defaults, the
 * machine init function, the DEFINE_Q35_MACHINE macros and
 * pc_q35_machine_options() with the fields machines/x86/pc-q35.mtc's family
 * models, then the generated versioned machines.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/i386/pc.h"
#include "hw/virtio/virtio-iommu.h"

static GlobalProperty pc_q35_compat_defaults[] = {
    { TYPE_VIRTIO_IOMMU_PCI, "aw-bits", "39" },
};
static const size_t pc_q35_compat_defaults_len =
    G_N_ELEMENTS(pc_q35_compat_defaults);

static void pc_q35_init(MachineState *machine)
{
}

#define DEFINE_Q35_MACHINE(major, minor) \
    DEFINE_PC_VER_MACHINE(pc_q35, "pc-q35", pc_q35_init, false, NULL, major, minor);

#define DEFINE_Q35_MACHINE_AS_LATEST(major, minor) \
    DEFINE_PC_VER_MACHINE(pc_q35, "pc-q35", pc_q35_init, false, "q35", major, minor);

#define DEFINE_Q35_MACHINE_BUGFIX(major, minor, micro) \
    DEFINE_PC_VER_MACHINE(pc_q35, "pc-q35", pc_q35_init, false, NULL, major, minor, micro);

static void pc_q35_machine_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);

    pcmc->pci_root_uid = 0;
    pcmc->default_cpu_version = 1;
    m->desc = "Standard PC (Q35 + ICH9, 2009)";
    m->default_machine_opts = "firmware=bios-256k.bin";
    m->default_nic = "e1000e";
    m->default_kernel_irqchip_split = false;
    m->max_cpus = 4096;
    compat_props_add(m->compat_props,
                     pc_q35_compat_defaults, pc_q35_compat_defaults_len);
}

#include "pc_q35_machines.c.inc"
