/*
 * Test stand-in for QEMU's include/hw/boards.h: the MachineClass fields the
 * generated options functions assign, MachineState, compat_props_add(), the
 * versioned-machine macros (written afresh for two and three version
 * numbers: major.minor and major.minor.micro), and, where QEMU declares the
 * hw_compat arrays, the generated declarations, as `mtc qemu-swap` leaves
 * QEMU's header.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include "qom/object.h"
#include "hw/qdev-core.h"

#define TYPE_MACHINE_SUFFIX "-machine"
#define TYPE_MACHINE "machine"

/* exec/cpu-common.h */
typedef uint64_t ram_addr_t;

typedef struct MachineState {
    Object parent_obj;
} MachineState;

typedef struct SMPCompatProps {
    bool prefer_sockets;
    bool books_supported;
    bool drawers_supported;
} SMPCompatProps;

typedef struct MachineClass {
    ObjectClass parent_class;

    const char *family;
    const char *desc;
    const char *alias;
    const char *deprecation_reason;
    const char *hw_version;
    const char *default_cpu_type;
    const char *default_ram_id;
    const char *default_nic;
    const char *default_machine_opts;
    int max_cpus;
    int is_default;
    int legacy_fw_cfg_order;
    bool has_hotpluggable_cpus;
    bool numa_mem_supported;
    bool default_kernel_irqchip_split;
    bool auto_enable_numa_with_memdev;
    bool auto_enable_numa_with_memhp;
    bool smbus_no_migration_support;
    bool option_rom_has_mr;
    bool rom_file_has_mr;
    int no_floppy;
    int no_parallel;
    uint64_t smbios_memory_device_size;
    SMPCompatProps smp_props;
    GPtrArray *compat_props;

    void (*init)(MachineState *state);
    ram_addr_t (*fixup_ram_size)(ram_addr_t size);
    int minimum_page_bits;
    bool ignore_memory_transaction_failures;
    bool nvdimm_supported;
} MachineClass;

#define MACHINE_CLASS(klass) ((MachineClass *)(klass))
#define MACHINE_GET_CLASS(obj) ((MachineClass *)((Object *)(obj))->class)

static inline void compat_props_add(GPtrArray *arr, GlobalProperty props[], size_t nelem)
{
    for (size_t i = 0; i < nelem; i++) {
        g_ptr_array_add(arr, &props[i]);
    }
}

/* Pick the helper by the number of version numbers given. */
#define MTC_STUB_PICK(a, b, c, helper, ...) helper

#define MTC_STUB_SYM2(sym, prefix, major, minor) \
    prefix ## _machine_ ## major ## _ ## minor ## _ ## sym
#define MTC_STUB_SYM3(sym, prefix, major, minor, micro) \
    prefix ## _machine_ ## major ## _ ## minor ## _ ## micro ## _ ## sym
#define MACHINE_VER_SYM(sym, prefix, ...) \
    MTC_STUB_PICK(__VA_ARGS__, MTC_STUB_SYM3, MTC_STUB_SYM2, unused)(sym, prefix, __VA_ARGS__)

#define MTC_STUB_NAME2(prefix, major, minor) \
    prefix "-" #major "." #minor TYPE_MACHINE_SUFFIX
#define MTC_STUB_NAME3(prefix, major, minor, micro) \
    prefix "-" #major "." #minor "." #micro TYPE_MACHINE_SUFFIX
#define MACHINE_VER_TYPE_NAME(prefix, ...) \
    MTC_STUB_PICK(__VA_ARGS__, MTC_STUB_NAME3, MTC_STUB_NAME2, unused)(prefix, __VA_ARGS__)

#define MTC_STUB_STR2(major, minor) #major "." #minor
#define MTC_STUB_STR3(major, minor, micro) #major "." #minor "." #micro
#define MACHINE_VER_STR(...) \
    MTC_STUB_PICK(__VA_ARGS__, MTC_STUB_STR3, MTC_STUB_STR2, unused)(__VA_ARGS__)

/*
 * QEMU's deprecation and deletion rules (MACHINE_VER_DEPRECATION sets
 * deprecation_reason, MACHINE_VER_DELETION skips registering): left out,
 * as mtc's JSON states their outcome.
 */
#define MACHINE_VER_DEPRECATION(...) do { } while (0)
#define MACHINE_VER_DELETION(...) do { } while (0)

/* QEMU's extern declarations of hw_compat_X_Y[], swapped. */
#include "hw_compat.h"

#endif
