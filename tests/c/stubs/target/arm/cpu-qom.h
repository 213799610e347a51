/* Test stand-in for QEMU's target/arm/cpu-qom.h: the CPU type names. */
#ifndef QEMU_ARM_CPU_QOM_H
#define QEMU_ARM_CPU_QOM_H

#define TYPE_ARM_CPU "arm-cpu"

#define ARM_CPU_TYPE_SUFFIX "-" TYPE_ARM_CPU
#define ARM_CPU_TYPE_NAME(name) (name ARM_CPU_TYPE_SUFFIX)

#endif
