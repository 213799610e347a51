/*
 * Stand-in for QEMU's hw/ppc/spapr.c, swapped: spapr_phb_placement(), the
 * abstract TYPE_SPAPR_MACHINE whose class_init sets what
 * machines/ppc/pseries.mtc's family models, DEFINE_SPAPR_MACHINE_IMPL, then
 * the generated versioned machines in two parts, around
 * phb_placement_4_0() as QEMU keeps it.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/ppc/spapr.h"
#include "target/ppc/cpu-qom.h"
#include "standin.h"

SpaprIrq spapr_irq_xics;
SpaprIrq spapr_irq_xics_legacy;
SpaprIrq spapr_irq_xive;
SpaprIrq spapr_irq_dual;

static bool spapr_phb_placement(SpaprMachineState *spapr, uint32_t index,
                                uint64_t *buid, hwaddr *pio,
                                hwaddr *mmio32, hwaddr *mmio64,
                                unsigned n_dma, uint32_t *liobns, Error **errp)
{
    return true;
}

static void spapr_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);
    SpaprMachineClass *smc = SPAPR_MACHINE_CLASS(oc);

    mc->desc = "pSeries Logical Partition (PAPR compliant)";
    mc->max_cpus = SPAPR_IRQ_NR_IPIS;
    mc->has_hotpluggable_cpus = true;
    mc->nvdimm_supported = true;
    mc->default_cpu_type = POWERPC_CPU_TYPE_NAME("power10_v2.0");
    mc->default_ram_id = "ppc_spapr.ram";
    smc->dr_phb_enabled = true;
    smc->linux_pci_probe = true;
    smc->smp_threads_vsmt = true;
    smc->nr_xirqs = SPAPR_NR_XIRQS;
    smc->update_dt_enabled = true;
    smc->phb_placement = spapr_phb_placement;
    smc->default_caps.caps[SPAPR_CAP_HTM] = SPAPR_CAP_OFF;
    smc->default_caps.caps[SPAPR_CAP_VSX] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_DFP] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_CFPC] = SPAPR_CAP_WORKAROUND;
    smc->default_caps.caps[SPAPR_CAP_SBBC] = SPAPR_CAP_WORKAROUND;
    smc->default_caps.caps[SPAPR_CAP_IBS] = SPAPR_CAP_WORKAROUND;
    smc->default_caps.caps[SPAPR_CAP_HPT_MAXPAGESIZE] = 16;
    smc->default_caps.caps[SPAPR_CAP_NESTED_KVM_HV] = SPAPR_CAP_OFF;
    smc->default_caps.caps[SPAPR_CAP_NESTED_PAPR] = SPAPR_CAP_OFF;
    smc->default_caps.caps[SPAPR_CAP_LARGE_DECREMENTER] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_CCF_ASSIST] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_FWNMI] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_RPT_INVALIDATE] = SPAPR_CAP_OFF;
    smc->default_caps.caps[SPAPR_CAP_DAWR1] = SPAPR_CAP_ON;
    smc->default_caps.caps[SPAPR_CAP_AIL_MODE_3] = SPAPR_CAP_ON;
    smc->irq = &spapr_irq_dual;
}

static const TypeInfo spapr_machine_info = {
    .name = TYPE_SPAPR_MACHINE,
    .parent = TYPE_MACHINE,
    .abstract = true,
    .class_init = spapr_machine_class_init,
};

/* QEMU's DEFINE_SPAPR_MACHINE_IMPL: the version's options, the newest's alias and default. */
static void spapr_class(MachineClass *mc, void (*options)(MachineClass *), bool latest)
{
    options(mc);
    if (latest) {
        mc->alias = "pseries";
        mc->is_default = true;
    }
}

#define DEFINE_SPAPR_MACHINE_IMPL(latest, ...) \
    static void MACHINE_VER_SYM(class_init, spapr, __VA_ARGS__)(ObjectClass *oc, void *data) \
    { \
        spapr_class(MACHINE_CLASS(oc), MACHINE_VER_SYM(class_options, spapr, __VA_ARGS__), \
                    latest); \
    } \
    MTC_STANDIN_REGISTER(spapr, TYPE_SPAPR_MACHINE, "pseries", __VA_ARGS__)

#define DEFINE_SPAPR_MACHINE_AS_LATEST(major, minor) \
    DEFINE_SPAPR_MACHINE_IMPL(true, major, minor)
#define DEFINE_SPAPR_MACHINE(major, minor) \
    DEFINE_SPAPR_MACHINE_IMPL(false, major, minor)

#include "spapr_machines.c.inc"

/*
 * pseries-4.0
 */
static bool phb_placement_4_0(SpaprMachineState *spapr, uint32_t index,
                              uint64_t *buid, hwaddr *pio,
                              hwaddr *mmio32, hwaddr *mmio64,
                              unsigned n_dma, uint32_t *liobns, Error **errp)
{
    return spapr_phb_placement(spapr, index, buid, pio, mmio32, mmio64, n_dma,
                               liobns, errp);
}
#include "spapr_machines_4_0.c.inc"

static void spapr_machine_register_types(void)
{
    type_register_static(&spapr_machine_info);
}

type_init(spapr_machine_register_types)

const char *mtc_standin_symbol(const void *address)
{
    static const struct {
        const void *address;
        const char *name;
    } known[] = {
        { &spapr_irq_xics, "&spapr_irq_xics" },
        { &spapr_irq_xics_legacy, "&spapr_irq_xics_legacy" },
        { &spapr_irq_xive, "&spapr_irq_xive" },
        { &spapr_irq_dual, "&spapr_irq_dual" },
        { (const void *)spapr_phb_placement, "spapr_phb_placement" },
        { (const void *)phb_placement_4_0, "phb_placement_4_0" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        if (known[i].address == address) {
            return known[i].name;
        }
    }
    return NULL;
}
