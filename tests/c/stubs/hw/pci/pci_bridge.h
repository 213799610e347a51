/* Test stand-in for QEMU's include/hw/pci/pci_bridge.h: TYPE_PCI_BRIDGE. */
#ifndef QEMU_PCI_BRIDGE_H
#define QEMU_PCI_BRIDGE_H

#define TYPE_PCI_BRIDGE "base-pci-bridge"

#endif
