/* Test stand-in for QEMU's target/riscv/cpu-qom.h: the CPU type names. */
#ifndef RISCV_CPU_QOM_H
#define RISCV_CPU_QOM_H

#define TYPE_RISCV_CPU "riscv-cpu"

#define RISCV_CPU_TYPE_SUFFIX "-" TYPE_RISCV_CPU
#define RISCV_CPU_TYPE_NAME(name) (name RISCV_CPU_TYPE_SUFFIX)

#endif
