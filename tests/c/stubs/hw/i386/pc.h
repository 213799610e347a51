/*
 * Test stand-in for QEMU's include/hw/i386/pc.h: PCMachineClass,
 * DEFINE_PC_VER_MACHINE and DEFINE_PC_MACHINE, and, where QEMU declares the
 * pc_compat arrays, the generated declarations, as `mtc qemu-swap` leaves
 * QEMU's header.  The macros keep QEMU's shape (a class_init that runs the
 * options function and sets the init function, then, for the versioned
 * one, is_default and alias; a TypeInfo; a registration function run by
 * type_init) but leave out QEMU's deprecation macros.
 */
#ifndef HW_PC_H
#define HW_PC_H

#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/firmware/smbios.h"

#define TYPE_PC_MACHINE "generic-pc-machine"

typedef struct PCMachineClass {
    X86MachineClass parent_class;

    int pci_root_uid;
    int default_cpu_version;
    SmbiosEntryPointType default_smbios_ep_type;
    bool isa_bios_alias;
    bool broken_32bit_mem_addr_check;
    bool enforce_amd_1tb_hole;
    bool kvmclock_create_always;
    bool pvh_enabled;
    bool legacy_cpu_hotplug;
    bool broken_reserved_end;
    bool pci_enabled;
    bool has_acpi_build;
    bool smbios_defaults;
    bool smbios_legacy_mode;
    bool gigabyte_align;
    bool has_reserved_memory;
} PCMachineClass;

#define PC_MACHINE_CLASS(klass) ((PCMachineClass *)(klass))

#define DEFINE_PC_VER_MACHINE(namesym, namestr, initfn, isdefault, malias, ...) \
    static void MACHINE_VER_SYM(init, namesym, __VA_ARGS__)( \
        MachineState *machine) \
    { \
        initfn(machine); \
    } \
    static void MACHINE_VER_SYM(class_init, namesym, __VA_ARGS__)( \
        ObjectClass *oc, \
        void *data) \
    { \
        MachineClass *mc = MACHINE_CLASS(oc); \
        MACHINE_VER_SYM(options, namesym, __VA_ARGS__)(mc); \
        mc->init = MACHINE_VER_SYM(init, namesym, __VA_ARGS__); \
        mc->is_default = isdefault; \
        mc->alias = malias; \
    } \
    static const TypeInfo MACHINE_VER_SYM(info, namesym, __VA_ARGS__) = { \
        .name = MACHINE_VER_TYPE_NAME(namestr, __VA_ARGS__), \
        .parent = TYPE_PC_MACHINE, \
        .class_init = MACHINE_VER_SYM(class_init, namesym, __VA_ARGS__), \
    }; \
    static void MACHINE_VER_SYM(register, namesym, __VA_ARGS__)(void) \
    { \
        type_register_static(&MACHINE_VER_SYM(info, namesym, __VA_ARGS__)); \
    } \
    type_init(MACHINE_VER_SYM(register, namesym, __VA_ARGS__))

/* An unversioned machine type: `suffix` names its symbols, `namestr` it. */
#define DEFINE_PC_MACHINE(suffix, namestr, initfn, optsfn) \
    static void pc_machine_##suffix##_class_init(ObjectClass *oc, void *data) \
    { \
        MachineClass *mc = MACHINE_CLASS(oc); \
        optsfn(mc); \
        mc->init = initfn; \
    } \
    static const TypeInfo pc_machine_type_##suffix = { \
        .name = namestr TYPE_MACHINE_SUFFIX, \
        .parent = TYPE_PC_MACHINE, \
        .class_init = pc_machine_##suffix##_class_init, \
    }; \
    static void pc_machine_init_##suffix(void) \
    { \
        type_register_static(&pc_machine_type_##suffix); \
    } \
    type_init(pc_machine_init_##suffix)

/* QEMU's extern declarations of pc_compat_X_Y[], swapped. */
#include "pc_compat.h"

#endif
