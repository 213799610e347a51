/* Test stand-in for QEMU's include/hw/i386/intel_iommu.h: TYPE_INTEL_IOMMU_DEVICE. */
#ifndef INTEL_IOMMU_H
#define INTEL_IOMMU_H

#define TYPE_INTEL_IOMMU_DEVICE "intel-iommu"

#endif
