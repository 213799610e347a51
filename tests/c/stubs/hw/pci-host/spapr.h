/* Test stand-in for QEMU's include/hw/pci-host/spapr.h: TYPE_SPAPR_PCI_HOST_BRIDGE. */
#ifndef PCI_HOST_SPAPR_H
#define PCI_HOST_SPAPR_H

#define TYPE_SPAPR_PCI_HOST_BRIDGE "spapr-pci-host-bridge"

#endif
