/* Stand-in for QEMU's hw/core/machine.c, swapped: its hw_compat arrays. */
#include "qemu/osdep.h"
#include "hw/boards.h"

#include "hw_compat.c.inc"
