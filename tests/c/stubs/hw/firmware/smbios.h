/* Test stand-in for QEMU's SmbiosEntryPointType (qapi/machine.json via hw/firmware/smbios.h). */
#ifndef QEMU_SMBIOS_H
#define QEMU_SMBIOS_H

typedef enum SmbiosEntryPointType {
    SMBIOS_ENTRY_POINT_TYPE_32,
    SMBIOS_ENTRY_POINT_TYPE_64,
    SMBIOS_ENTRY_POINT_TYPE_AUTO,
} SmbiosEntryPointType;

#endif
