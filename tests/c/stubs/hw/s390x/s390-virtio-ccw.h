/*
 * Test stand-in for QEMU's include/hw/s390x/s390-virtio-ccw.h: the class of
 * the s390-ccw-virtio machines and its fields the options functions set.
 */
#ifndef HW_S390X_S390_VIRTIO_CCW_H
#define HW_S390X_S390_VIRTIO_CCW_H

#include "hw/boards.h"

#define TYPE_S390_CCW_MACHINE "s390-ccw-machine"

typedef struct S390CcwMachineClass {
    MachineClass parent_class;

    bool hpage_1m_allowed;
    int max_threads;
} S390CcwMachineClass;

#define S390_CCW_MACHINE_CLASS(klass) ((S390CcwMachineClass *)(klass))

#endif
