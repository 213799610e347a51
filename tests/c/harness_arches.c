/*
 * Walks every machine type one non-x86 stand-in of QEMU's files registered
 * with the generated definitions in it (s390-ccw-virtio, virt or pseries,
 * or the riscv64 fixture's family, picked by the TARGET_* macros), the way QEMU builds a machine class: the
 * abstract parent's class_init, then the class_init of the family's
 * DEFINE_*_MACHINE_IMPL, which runs the version's options function; that
 * calls the next newer version's around its own compat_props_add() calls
 * and option assignments.  For s390-ccw-virtio it then runs the machine
 * init function, as machine creation does: the version's instance options
 * (the CPU-model changes) before ccw_init().
 *
 * Output, one record per machine, strings as 'x' + hex bytes ('-' = NULL),
 * as tests/c/harness.c writes it:
 *   machine <name>
 *   alias <string>
 *   default <0|1>
 *   option <name> <bool|int|string> <value>
 *   prop <driver> <property> <value> <optional 0|1>
 *   cpu <call> <args...>             (s390x: each CPU-model call, in order)
 *   init <ccw_init calls> <current_mc is the class 0|1> <css_migration_enabled 0|1>
 *   end
 */
#include <stdio.h>
#include <string.h>

#include "qemu/osdep.h"
#include "hw/boards.h"

#if defined(TARGET_S390X)
#include "hw/s390x/s390-virtio-ccw.h"
#include "hw/s390x/css.h"
#include "target/s390x/cpu_models.h"
#define FAMILY_TYPE TYPE_S390_CCW_MACHINE
typedef S390CcwMachineClass FamilyClass;
#elif defined(TARGET_ARM)
#include "hw/arm/virt.h"
#define FAMILY_TYPE TYPE_VIRT_MACHINE
typedef VirtMachineClass FamilyClass;
#elif defined(TARGET_PPC64)
#include "hw/ppc/spapr.h"
#define FAMILY_TYPE TYPE_SPAPR_MACHINE
typedef SpaprMachineClass FamilyClass;
#elif defined(TARGET_RISCV64)
/* tests/fixtures/riscv-virt: a family declared only in machines/. */
#include "hw/riscv/virt.h"
#define FAMILY_TYPE TYPE_RISCV_VIRT_MACHINE
typedef RISCVVirtMachineClass FamilyClass;
#else
#error "no family for this target"
#endif

#include "harness_common.h"
#include "standin.h"

/* A symbol option, printed as the DSL writes its value. */
static void opt_symbol(const char *name, const void *value)
{
    const char *known = mtc_standin_symbol(value);

    if (value && !known) {
        fprintf(stderr, "option %s: unknown symbol %p\n", name, value);
        exit(2);
    }
    opt_string(name, known);
}

/* -- what the generated files name from QEMU's other sources ------------------------- */

#if defined(TARGET_S390X)
bool css_migration_enabled = true;

static const char *feat_names[] = {
#define FEAT_NAME(name) "S390_FEAT_" #name,
    MTC_STUB_S390_FEATS(FEAT_NAME)
#undef FEAT_NAME
};

static const char *list_name(uint64_t value)
{
#define LIST_NAME(name, number) if (value == (number)) return "S390_FEAT_LIST_" #name;
    MTC_STUB_S390_FEAT_LISTS(LIST_NAME)
#undef LIST_NAME
    return "?";
}

void s390_cpudef_featoff_greater(uint8_t gen, uint8_t ec_ga, S390Feat feat)
{
    printf("cpu s390_cpudef_featoff_greater %u %u %s\n", gen, ec_ga, feat_names[feat]);
}

void s390_cpudef_group_featoff_greater(uint8_t gen, uint8_t ec_ga, S390FeatGroup group)
{
    printf("cpu s390_cpudef_group_featoff_greater %u %u %s\n", gen, ec_ga,
           group == S390_FEAT_GROUP_MULTIPLE_EPOCH_PTFF ? "S390_FEAT_GROUP_MULTIPLE_EPOCH_PTFF"
                                                        : "?");
}

void s390_set_qemu_cpu_model(uint16_t type, uint8_t gen, uint8_t ec_ga,
                             const S390FeatInit feat_init)
{
    printf("cpu s390_set_qemu_cpu_model 0x%04x %u %u %s\n", type, gen, ec_ga,
           list_name(feat_init[0]));
}
#endif

/* Every MachineClass field an option of machines/options.mtc names, and desc. */
static void print_machine_options(MachineClass *mc)
{
    opt_int("max-cpus", mc->max_cpus);
    opt_bool("hotpluggable-cpus", mc->has_hotpluggable_cpus);
    opt_bool("numa-mem-supported", mc->numa_mem_supported);
    opt_string("default-cpu-type", mc->default_cpu_type);
    opt_string("default-ram-id", mc->default_ram_id);
    opt_string("default-nic", mc->default_nic);
    opt_bool("default-kernel-irqchip-split", mc->default_kernel_irqchip_split);
    opt_bool("auto-enable-numa-with-memdev", mc->auto_enable_numa_with_memdev);
    opt_bool("auto-enable-numa-with-memhp", mc->auto_enable_numa_with_memhp);
    opt_int("smbios-memory-device-size", (long long)mc->smbios_memory_device_size);
    opt_bool("prefer-sockets", mc->smp_props.prefer_sockets);
    opt_bool("smbus-no-migration-support", mc->smbus_no_migration_support);
    opt_int("legacy-fw-cfg-order", mc->legacy_fw_cfg_order);
    opt_string("hw-version", mc->hw_version);
    opt_bool("drawers-supported", mc->smp_props.drawers_supported);
    opt_bool("books-supported", mc->smp_props.books_supported);
    opt_symbol("fixup-ram-size", (const void *)mc->fixup_ram_size);
    opt_bool("ignore-memory-transaction-failures", mc->ignore_memory_transaction_failures);
    opt_int("minimum-page-bits", mc->minimum_page_bits);
    opt_bool("nvdimm-supported", mc->nvdimm_supported);
    opt_string("desc", mc->desc);
    opt_string("deprecation-reason", mc->deprecation_reason);
}

/* The family class's fields: every option of the family's .mtc file. */
static void print_family_options(FamilyClass *fc)
{
#if defined(TARGET_S390X)
    opt_bool("hpage-1m-allowed", fc->hpage_1m_allowed);
    opt_int("max-threads", fc->max_threads);
#elif defined(TARGET_ARM)
    opt_bool("acpi-expose-flash", fc->acpi_expose_flash);
    opt_bool("claim-edge-triggered-timers", fc->claim_edge_triggered_timers);
    opt_bool("disallow-affinity-adjustment", fc->disallow_affinity_adjustment);
    opt_bool("kvm-no-adjvtime", fc->kvm_no_adjvtime);
    opt_bool("no-cpu-topology", fc->no_cpu_topology);
    opt_bool("no-ged", fc->no_ged);
    opt_bool("no-highmem-compact", fc->no_highmem_compact);
    opt_bool("no-highmem-ecam", fc->no_highmem_ecam);
    opt_bool("no-its", fc->no_its);
    opt_bool("no-kvm-steal-time", fc->no_kvm_steal_time);
    opt_bool("no-nested-smmu", fc->no_nested_smmu);
    opt_bool("no-ns-el2-virt-timer-irq", fc->no_ns_el2_virt_timer_irq);
    opt_bool("no-pmu", fc->no_pmu);
    opt_bool("no-secure-gpio", fc->no_secure_gpio);
    opt_bool("no-tcg-its", fc->no_tcg_its);
    opt_bool("no-tcg-lpa2", fc->no_tcg_lpa2);
    opt_bool("smbios-old-sys-ver", fc->smbios_old_sys_ver);
#elif defined(TARGET_PPC64)
    const uint8_t *caps = fc->default_caps.caps;

    opt_bool("broken-host-serial-model", fc->broken_host_serial_model);
    opt_int("cap-ail-mode-3", caps[SPAPR_CAP_AIL_MODE_3]);
    opt_int("cap-ccf-assist", caps[SPAPR_CAP_CCF_ASSIST]);
    opt_int("cap-cfpc", caps[SPAPR_CAP_CFPC]);
    opt_int("cap-dawr1", caps[SPAPR_CAP_DAWR1]);
    opt_int("cap-dfp", caps[SPAPR_CAP_DFP]);
    opt_int("cap-fwnmi", caps[SPAPR_CAP_FWNMI]);
    opt_int("cap-hpt-maxpagesize", caps[SPAPR_CAP_HPT_MAXPAGESIZE]);
    opt_int("cap-htm", caps[SPAPR_CAP_HTM]);
    opt_int("cap-ibs", caps[SPAPR_CAP_IBS]);
    opt_int("cap-large-decrementer", caps[SPAPR_CAP_LARGE_DECREMENTER]);
    opt_int("cap-nested-kvm-hv", caps[SPAPR_CAP_NESTED_KVM_HV]);
    opt_int("cap-nested-papr", caps[SPAPR_CAP_NESTED_PAPR]);
    opt_int("cap-rpt-invalidate", caps[SPAPR_CAP_RPT_INVALIDATE]);
    opt_int("cap-sbbc", caps[SPAPR_CAP_SBBC]);
    opt_int("cap-vsx", caps[SPAPR_CAP_VSX]);
    opt_bool("dr-phb-enabled", fc->dr_phb_enabled);
    opt_symbol("irq", fc->irq);
    opt_bool("legacy-irq-allocation", fc->legacy_irq_allocation);
    opt_bool("linux-pci-probe", fc->linux_pci_probe);
    opt_int("nr-xirqs", fc->nr_xirqs);
    opt_symbol("phb-placement", (const void *)fc->phb_placement);
    opt_bool("pre-4-1-migration", fc->pre_4_1_migration);
    opt_bool("pre-5-1-assoc-refpoints", fc->pre_5_1_assoc_refpoints);
    opt_bool("pre-5-2-numa-associativity", fc->pre_5_2_numa_associativity);
    opt_bool("pre-6-2-numa-affinity", fc->pre_6_2_numa_affinity);
    opt_int("rma-limit", (long long)fc->rma_limit);
    opt_bool("smp-threads-vsmt", fc->smp_threads_vsmt);
    opt_bool("update-dt-enabled", fc->update_dt_enabled);
#elif defined(TARGET_RISCV64)
    opt_bool("no-aia-migration", fc->no_aia_migration);
#endif
}

int main(void)
{
    size_t suffix = strlen(TYPE_MACHINE_SUFFIX);

    for (size_t i = 0; i < ntypes; i++) {
        const TypeInfo *info = types[i];
        FamilyClass *fc = calloc(1, sizeof(*fc));
        MachineClass *mc = MACHINE_CLASS(fc);
        size_t len = strlen(info->name);

        if (!is_machine_type(info)) {
            continue;
        }
        if (strcmp(info->parent, FAMILY_TYPE) != 0) {
            fprintf(stderr, "unexpected type %s (parent %s)\n", info->name, info->parent);
            return 2;
        }
        mc->parent_class.type_name = info->name;
        mc->compat_props = g_ptr_array_new();
        class_init_chain((ObjectClass *)mc, info);

        printf("machine %.*s\n", (int)(len - suffix), info->name);
        fputs("alias ", stdout);
        print_string(mc->alias);
        printf("\ndefault %d\n", mc->is_default ? 1 : 0);
        print_machine_options(mc);
        print_family_options(fc);
        print_compat_props(mc);
#if defined(TARGET_S390X)
        {
            MachineState machine = { { (ObjectClass *)mc } };

            mtc_standin_ccw_init_calls = 0;
            css_migration_enabled = true;
            mc->init(&machine);
            printf("init %d %d %d\n", mtc_standin_ccw_init_calls,
                   mtc_standin_current_mc() == fc ? 1 : 0, css_migration_enabled ? 1 : 0);
        }
#endif
        puts("end");
    }
    return 0;
}
