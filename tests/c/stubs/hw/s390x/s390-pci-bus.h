/* Test stand-in for QEMU's include/hw/s390x/s390-pci-bus.h: TYPE_S390_PCI_DEVICE. */
#ifndef HW_S390_PCI_BUS_H
#define HW_S390_PCI_BUS_H

#define TYPE_S390_PCI_DEVICE "zpci"

#endif
