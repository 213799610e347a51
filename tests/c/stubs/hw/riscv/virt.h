/*
 * Test stand-in for a versioned include/hw/riscv/virt.h (the fixture of
 * tests/fixtures/riscv-virt): the class of the machines and its field.
 */
#ifndef HW_RISCV_VIRT_H
#define HW_RISCV_VIRT_H

#include "hw/boards.h"

#define TYPE_RISCV_VIRT_MACHINE "riscv-virt" TYPE_MACHINE_SUFFIX

typedef struct RISCVVirtMachineClass {
    MachineClass parent;

    bool no_aia_migration;
} RISCVVirtMachineClass;

#define RISCV_VIRT_MACHINE_CLASS(klass) ((RISCVVirtMachineClass *)(klass))

#endif
