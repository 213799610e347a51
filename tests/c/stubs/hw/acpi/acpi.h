/* Test stand-in for QEMU's include/hw/acpi/acpi.h: ACPI_PM_PROP_ACPI_PCIHP_BRIDGE. */
#ifndef QEMU_HW_ACPI_H
#define QEMU_HW_ACPI_H

#define ACPI_PM_PROP_ACPI_PCIHP_BRIDGE "acpi-pci-hotplug-with-bridge-support"

#endif
