/*
 * Walks every x86 machine type the stand-ins of QEMU's files registered
 * with the generated definitions in them, the way QEMU builds a machine
 * class: the abstract TYPE_PC_MACHINE's class_init, then the type's, which
 * runs the version's options function; that calls the next newer version's
 * (down to QEMU's family base function) around its own compat_props_add()
 * calls and option assignments.
 *
 * Output, one record per machine, strings as 'x' + hex bytes ('-' = NULL):
 *   machine <name>
 *   alias <string>
 *   default <0|1>
 *   option <name> <bool|int|string|enum> <value>
 *   prop <driver> <property> <value> <optional 0|1>
 *   end
 */
#include <stdio.h>
#include <string.h>

#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/i386/pc.h"

#include "harness_common.h"

static const char *smbios_ep_name(SmbiosEntryPointType type)
{
    switch (type) {
    case SMBIOS_ENTRY_POINT_TYPE_32:
        return "SMBIOS_ENTRY_POINT_TYPE_32";
    case SMBIOS_ENTRY_POINT_TYPE_64:
        return "SMBIOS_ENTRY_POINT_TYPE_64";
    case SMBIOS_ENTRY_POINT_TYPE_AUTO:
        return "SMBIOS_ENTRY_POINT_TYPE_AUTO";
    }
    return "?";
}

/* Every field an option of machines/ names (options.mtc and the x86 files). */
static void print_options(MachineClass *mc)
{
    X86MachineClass *x86mc = X86_MACHINE_CLASS(mc);
    PCMachineClass *pcmc = PC_MACHINE_CLASS(mc);

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
    opt_string("desc", mc->desc);
    opt_string("default-machine-opts", mc->default_machine_opts);
    opt_bool("option-rom-has-mr", mc->option_rom_has_mr);
    opt_bool("rom-file-has-mr", mc->rom_file_has_mr);
    opt_int("no-floppy", mc->no_floppy);
    opt_int("no-parallel", mc->no_parallel);
    /* Set by options functions only where QEMU does not derive it. */
    opt_string("deprecation-reason", mc->deprecation_reason);

    opt_int("pci-root-uid", pcmc->pci_root_uid);
    opt_int("default-cpu-version", pcmc->default_cpu_version);
    opt_bool("isa-bios-alias", pcmc->isa_bios_alias);
    printf("option default-smbios-ep-type enum %s\n",
           smbios_ep_name(pcmc->default_smbios_ep_type));
    opt_bool("broken-32bit-mem-addr-check", pcmc->broken_32bit_mem_addr_check);
    opt_bool("enforce-amd-1tb-hole", pcmc->enforce_amd_1tb_hole);
    opt_bool("kvmclock-create-always", pcmc->kvmclock_create_always);
    opt_bool("pvh-enabled", pcmc->pvh_enabled);
    opt_bool("legacy-cpu-hotplug", pcmc->legacy_cpu_hotplug);
    opt_bool("broken-reserved-end", pcmc->broken_reserved_end);
    opt_bool("pci-enabled", pcmc->pci_enabled);
    opt_bool("has-acpi-build", pcmc->has_acpi_build);
    opt_bool("smbios-defaults", pcmc->smbios_defaults);
    opt_bool("smbios-legacy-mode", pcmc->smbios_legacy_mode);
    opt_bool("gigabyte-align", pcmc->gigabyte_align);
    opt_bool("has-reserved-memory", pcmc->has_reserved_memory);

    opt_bool("fwcfg-dma-enabled", x86mc->fwcfg_dma_enabled);
    opt_bool("save-tsc-khz", x86mc->save_tsc_khz);
}

int main(void)
{
    size_t suffix = strlen(TYPE_MACHINE_SUFFIX);

    for (size_t i = 0; i < ntypes; i++) {
        const TypeInfo *info = types[i];
        /* Every PC machine's class is a PCMachineClass. */
        PCMachineClass *pcmc = calloc(1, sizeof(*pcmc));
        MachineClass *mc = MACHINE_CLASS(pcmc);
        size_t len = strlen(info->name);

        if (!is_machine_type(info)) {
            continue;
        }
        if (strcmp(info->parent, TYPE_PC_MACHINE) != 0) {
            fprintf(stderr, "unexpected type %s (parent %s)\n", info->name, info->parent);
            return 2;
        }
        mc->parent_class.type_name = info->name;
        mc->compat_props = g_ptr_array_new();
        class_init_chain((ObjectClass *)mc, info);
        if (!mc->init) {
            fprintf(stderr, "%s: no init function\n", info->name);
            return 2;
        }

        printf("machine %.*s\n", (int)(len - suffix), info->name);
        fputs("alias ", stdout);
        print_string(mc->alias);
        printf("\ndefault %d\n", mc->is_default ? 1 : 0);
        print_options(mc);
        print_compat_props(mc);
        puts("end");
    }
    return 0;
}
