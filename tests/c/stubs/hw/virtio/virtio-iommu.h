/* Test stand-in for QEMU's include/hw/virtio/virtio-iommu.h: TYPE_VIRTIO_IOMMU_PCI. */
#ifndef QEMU_VIRTIO_IOMMU_H
#define QEMU_VIRTIO_IOMMU_H

#define TYPE_VIRTIO_IOMMU_PCI "virtio-iommu-pci"

#endif
