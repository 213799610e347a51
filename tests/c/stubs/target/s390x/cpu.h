/* Test stand-in for QEMU's target/s390x/cpu.h: S390_MAX_CPUS. */
#ifndef S390X_CPU_H
#define S390X_CPU_H

#include "target/s390x/cpu-qom.h"

#define S390_MAX_CPUS 248

#endif
