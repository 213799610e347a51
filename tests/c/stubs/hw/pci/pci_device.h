/* Test stand-in for QEMU's include/hw/pci/pci_device.h: TYPE_PCI_DEVICE. */
#ifndef QEMU_PCI_DEVICE_H
#define QEMU_PCI_DEVICE_H

#define TYPE_PCI_DEVICE "pci-device"

#endif
