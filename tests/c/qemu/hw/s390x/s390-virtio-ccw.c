/*
 * Stand-in for QEMU's hw/s390x/s390-virtio-ccw.c, swapped: the machine init
 * ccw_init(), s390_fixup_ram_size(), the abstract TYPE_S390_CCW_MACHINE
 * whose class_init sets what machines/s390x/s390-ccw-virtio.mtc's family
 * models, DEFINE_CCW_MACHINE_IMPL, then the generated versioned machines.
 */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/s390x/s390-virtio-ccw.h"
#include "target/s390x/cpu.h"
#include "standin.h"

int mtc_standin_ccw_init_calls;

static void ccw_init(MachineState *machine)
{
    mtc_standin_ccw_init_calls++;
}

static ram_addr_t s390_fixup_ram_size(ram_addr_t sz)
{
    return sz;
}

static S390CcwMachineClass *current_mc;

const void *mtc_standin_current_mc(void)
{
    return current_mc;
}

const char *mtc_standin_symbol(const void *address)
{
    if (address == (const void *)s390_fixup_ram_size) {
        return "s390_fixup_ram_size";
    }
    return NULL;
}

static void ccw_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);
    S390CcwMachineClass *s390mc = S390_CCW_MACHINE_CLASS(mc);

    s390mc->hpage_1m_allowed = true;
    s390mc->max_threads = 1;
    mc->max_cpus = S390_MAX_CPUS;
    mc->has_hotpluggable_cpus = true;
    mc->smp_props.books_supported = true;
    mc->smp_props.drawers_supported = true;
    mc->default_cpu_type = S390_CPU_TYPE_NAME("qemu");
    mc->default_ram_id = "s390.ram";
    mc->default_nic = "virtio-net-ccw";
}

static const TypeInfo ccw_machine_info = {
    .name = TYPE_S390_CCW_MACHINE,
    .parent = TYPE_MACHINE,
    .abstract = true,
    .class_init = ccw_machine_class_init,
};

/*
 * QEMU's DEFINE_CCW_MACHINE_IMPL: the machine init function remembers the
 * class and runs the version's instance options before ccw_init(); the
 * class takes the version's class options, the desc naming the version,
 * that init function, and for the newest the alias and default.
 */
static void ccw_instance(MachineState *mach, void (*instance_options)(MachineState *))
{
    current_mc = S390_CCW_MACHINE_CLASS(MACHINE_GET_CLASS(mach));
    instance_options(mach);
    ccw_init(mach);
}

static void ccw_class(MachineClass *mc, void (*options)(MachineClass *), const char *desc,
                      void (*init)(MachineState *), bool latest)
{
    options(mc);
    mc->desc = desc;
    mc->init = init;
    if (latest) {
        mc->alias = "s390-ccw-virtio";
        mc->is_default = true;
    }
}

#define DEFINE_CCW_MACHINE_IMPL(latest, ...) \
    static void MACHINE_VER_SYM(mach_init, ccw, __VA_ARGS__)(MachineState *mach) \
    { \
        ccw_instance(mach, MACHINE_VER_SYM(instance_options, ccw, __VA_ARGS__)); \
    } \
    static void MACHINE_VER_SYM(class_init, ccw, __VA_ARGS__)(ObjectClass *oc, void *data) \
    { \
        ccw_class(MACHINE_CLASS(oc), MACHINE_VER_SYM(class_options, ccw, __VA_ARGS__), \
                  "Virtual s390x machine (version " MACHINE_VER_STR(__VA_ARGS__) ")", \
                  MACHINE_VER_SYM(mach_init, ccw, __VA_ARGS__), latest); \
    } \
    MTC_STANDIN_REGISTER(ccw, TYPE_S390_CCW_MACHINE, "s390-ccw-virtio", __VA_ARGS__)

#define DEFINE_CCW_MACHINE_AS_LATEST(major, minor) \
    DEFINE_CCW_MACHINE_IMPL(true, major, minor)

#define DEFINE_CCW_MACHINE(major, minor) \
    DEFINE_CCW_MACHINE_IMPL(false, major, minor)

#include "s390_ccw_machines.c.inc"

static void ccw_machine_register_types(void)
{
    type_register_static(&ccw_machine_info);
}

type_init(ccw_machine_register_types)
