/*
 * Test stand-in for QEMU's include/hw/ppc/spapr.h: the class of the pseries
 * machines, its fields the options functions set, and the capabilities.
 */
#ifndef HW_SPAPR_H
#define HW_SPAPR_H

#include "hw/boards.h"
#include "hw/ppc/spapr_irq.h"

/* exec/hwaddr.h */
typedef uint64_t hwaddr;

#define TYPE_SPAPR_MACHINE "spapr-machine"

/* Capabilities */
#define SPAPR_CAP_HTM 0x00
#define SPAPR_CAP_VSX 0x01
#define SPAPR_CAP_DFP 0x02
#define SPAPR_CAP_CFPC 0x03
#define SPAPR_CAP_SBBC 0x04
#define SPAPR_CAP_IBS 0x05
#define SPAPR_CAP_HPT_MAXPAGESIZE 0x06
#define SPAPR_CAP_NESTED_KVM_HV 0x07
#define SPAPR_CAP_LARGE_DECREMENTER 0x08
#define SPAPR_CAP_CCF_ASSIST 0x09
#define SPAPR_CAP_FWNMI 0x0A
#define SPAPR_CAP_RPT_INVALIDATE 0x0B
#define SPAPR_CAP_AIL_MODE_3 0x0C
#define SPAPR_CAP_NESTED_PAPR 0x0D
#define SPAPR_CAP_DAWR1 0x0E
#define SPAPR_CAP_NUM (SPAPR_CAP_DAWR1 + 1)

/* Capability values */
#define SPAPR_CAP_OFF 0x00
#define SPAPR_CAP_ON 0x01
#define SPAPR_CAP_BROKEN 0x00
#define SPAPR_CAP_WORKAROUND 0x01
#define SPAPR_CAP_FIXED 0x02

typedef struct SpaprCapabilities {
    uint8_t caps[SPAPR_CAP_NUM];
} SpaprCapabilities;

typedef struct SpaprMachineState SpaprMachineState;

typedef struct SpaprMachineClass {
    MachineClass parent_class;

    bool dr_phb_enabled;
    bool update_dt_enabled;
    bool pre_4_1_migration;
    bool linux_pci_probe;
    bool smp_threads_vsmt;
    hwaddr rma_limit;
    bool pre_5_1_assoc_refpoints;
    bool pre_5_2_numa_associativity;
    bool pre_6_2_numa_affinity;
    bool legacy_irq_allocation;
    uint32_t nr_xirqs;
    bool broken_host_serial_model;
    bool (*phb_placement)(SpaprMachineState *spapr, uint32_t index,
                          uint64_t *buid, hwaddr *pio,
                          hwaddr *mmio32, hwaddr *mmio64,
                          unsigned n_dma, uint32_t *liobns, Error **errp);
    SpaprCapabilities default_caps;
    SpaprIrq *irq;
} SpaprMachineClass;

#define SPAPR_MACHINE_CLASS(klass) ((SpaprMachineClass *)(klass))

#endif
