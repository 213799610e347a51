/* Test stand-in for QEMU's include/hw/virtio/virtio-net.h: TYPE_VIRTIO_NET. */
#ifndef QEMU_VIRTIO_NET_H
#define QEMU_VIRTIO_NET_H

#define TYPE_VIRTIO_NET "virtio-net-device"

#endif
