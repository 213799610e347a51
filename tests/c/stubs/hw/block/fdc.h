/* Test stand-in for QEMU's include/hw/block/fdc.h: TYPE_ISA_FDC. */
#ifndef HW_FDC_H
#define HW_FDC_H

#define TYPE_ISA_FDC "isa-fdc"

#endif
