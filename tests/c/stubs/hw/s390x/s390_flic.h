/* Test stand-in for QEMU's include/hw/s390x/s390_flic.h: the FLIC type names. */
#ifndef HW_S390_FLIC_H
#define HW_S390_FLIC_H

#define TYPE_S390_FLIC_COMMON "s390-flic"
#define TYPE_QEMU_S390_FLIC "s390-flic-qemu"

#endif
