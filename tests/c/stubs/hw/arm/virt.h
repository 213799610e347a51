/*
 * Test stand-in for QEMU's include/hw/arm/virt.h: the class of the virt
 * machines and the compat flags its versioned options functions set.
 */
#ifndef QEMU_ARM_VIRT_H
#define QEMU_ARM_VIRT_H

#include "hw/boards.h"

#define TYPE_VIRT_MACHINE "virt" TYPE_MACHINE_SUFFIX

typedef struct VirtMachineClass {
    MachineClass parent;

    bool disallow_affinity_adjustment;
    bool no_its;
    bool no_tcg_its;
    bool claim_edge_triggered_timers;
    bool smbios_old_sys_ver;
    bool no_highmem_compact;
    bool no_highmem_ecam;
    bool no_ged;
    bool kvm_no_adjvtime;
    bool no_kvm_steal_time;
    bool acpi_expose_flash;
    bool no_secure_gpio;
    bool no_tcg_lpa2;
    bool no_ns_el2_virt_timer_irq;
    bool no_nested_smmu;
    bool no_pmu;
    bool no_cpu_topology;
} VirtMachineClass;

#define VIRT_MACHINE_CLASS(klass) ((VirtMachineClass *)(klass))

#endif
