/* Test stand-in for QEMU's include/hw/i386/x86.h: X86MachineClass. */
#ifndef HW_I386_X86_H
#define HW_I386_X86_H

#include "hw/boards.h"

typedef struct X86MachineClass {
    MachineClass parent;

    bool fwcfg_dma_enabled;
    bool save_tsc_khz;
} X86MachineClass;

#define X86_MACHINE_CLASS(klass) ((X86MachineClass *)(klass))

#endif
