/*
 * Stand-in for QEMU's hw/arm/virt.c, swapped: arm_virt_compat,
 * DEFINE_VIRT_MACHINE_IMPL, the abstract TYPE_VIRT_MACHINE whose class_init
 * sets what machines/arm/virt.mtc's family models, then the generated
 * versioned machines.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/arm/virt.h"
#include "hw/virtio/virtio-iommu.h"
#include "target/arm/cpu-qom.h"
#include "standin.h"

static GlobalProperty arm_virt_compat[] = {
    { TYPE_VIRTIO_IOMMU_PCI, "aw-bits", "48" },
};
static const size_t arm_virt_compat_len = G_N_ELEMENTS(arm_virt_compat);

static void arm_virt_compat_set(MachineClass *mc)
{
    compat_props_add(mc->compat_props, arm_virt_compat,
                     arm_virt_compat_len);
}

/*
 * QEMU's DEFINE_VIRT_MACHINE_IMPL: arm_virt_compat first, the version's
 * options, the desc naming the version, the alias for the newest.
 */
static void virt_class(MachineClass *mc, void (*options)(MachineClass *),
                       const char *desc, bool latest)
{
    arm_virt_compat_set(mc);
    options(mc);
    mc->desc = desc;
    if (latest) {
        mc->alias = "virt";
    }
}

#define DEFINE_VIRT_MACHINE_IMPL(latest, ...) \
    static void MACHINE_VER_SYM(class_init, virt, __VA_ARGS__)(ObjectClass *oc, void *data) \
    { \
        virt_class(MACHINE_CLASS(oc), MACHINE_VER_SYM(options, virt, __VA_ARGS__), \
                   "QEMU " MACHINE_VER_STR(__VA_ARGS__) " ARM Virtual Machine", latest); \
    } \
    MTC_STANDIN_REGISTER(virt, TYPE_VIRT_MACHINE, "virt", __VA_ARGS__);

#define DEFINE_VIRT_MACHINE_AS_LATEST(major, minor) \
    DEFINE_VIRT_MACHINE_IMPL(true, major, minor)
#define DEFINE_VIRT_MACHINE(major, minor) \
    DEFINE_VIRT_MACHINE_IMPL(false, major, minor)

static void virt_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->max_cpus = 512;
    mc->minimum_page_bits = 12;
#ifdef CONFIG_TCG
    mc->default_cpu_type = ARM_CPU_TYPE_NAME("cortex-a15");
#else
    mc->default_cpu_type = ARM_CPU_TYPE_NAME("max");
#endif
    mc->nvdimm_supported = true;
    mc->auto_enable_numa_with_memhp = true;
    mc->auto_enable_numa_with_memdev = true;
    mc->default_ram_id = "mach-virt.ram";
    mc->default_nic = "virtio-net-pci";
}

static const TypeInfo virt_machine_info = {
    .name = TYPE_VIRT_MACHINE,
    .parent = TYPE_MACHINE,
    .abstract = true,
    .class_init = virt_machine_class_init,
};

static void machvirt_machine_init(void)
{
    type_register_static(&virt_machine_info);
}
type_init(machvirt_machine_init);

const char *mtc_standin_symbol(const void *address)
{
    return NULL;
}

#include "virt_machines.c.inc"
