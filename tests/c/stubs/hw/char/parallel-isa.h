/* Test stand-in for QEMU's include/hw/char/parallel-isa.h: TYPE_ISA_PARALLEL. */
#ifndef HW_PARALLEL_ISA_H
#define HW_PARALLEL_ISA_H

#define TYPE_ISA_PARALLEL "isa-parallel"

#endif
