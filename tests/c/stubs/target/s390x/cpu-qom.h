/* Test stand-in for QEMU's target/s390x/cpu-qom.h: the CPU type names. */
#ifndef S390_CPU_QOM_H
#define S390_CPU_QOM_H

#define TYPE_S390_CPU "s390x-cpu"

#define S390_CPU_TYPE_SUFFIX "-" TYPE_S390_CPU
#define S390_CPU_TYPE_NAME(name) (name S390_CPU_TYPE_SUFFIX)

#endif
