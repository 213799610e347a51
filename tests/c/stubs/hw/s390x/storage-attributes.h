/* Test stand-in for QEMU's include/hw/s390x/storage-attributes.h: TYPE_S390_STATTRIB. */
#ifndef S390_STORAGE_ATTRIBUTES_H
#define S390_STORAGE_ATTRIBUTES_H

#define TYPE_S390_STATTRIB "s390-storage_attributes"

#endif
