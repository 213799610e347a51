"""Guards in the C backend (issue 6): #if for build-time guards, the
DEFINE_PC_MACHINE machines (isapc, xenfv), host tables and the runtime check
of host-dependent properties.

As in test_c_backend.py, projects are built by the CLI in a subprocess and
the C is compiled with gcc against tests/c's stubs and run.  Expected values
come from the JSON backend's output of a build with the same configuration,
or are written out literally here.
"""

import filecmp
import json
import shutil
import textwrap

import pytest

from c_harness import (
    CFLAGS,
    STUBS,
    TARGETS,
    X86,
    assert_harness_agrees_with_json,
    build_project,
    compile_standin,
    config_defines,
    gcc,
    parse_harness,
    run,
)
from c_harness import walk as walk_standins
from conftest import ROOT, run_mtc

X86_FAMILIES = {"pc-i440fx", "pc-q35", "isapc", "xenfv"}


def c_files(gen_c):
    return sorted(p.name for p in gen_c.iterdir())


def walk(gen_c, out, target, defines, tag, files=None):
    """The harness's machines for one target, compiled with `defines`."""
    return parse_harness(walk_standins(gen_c, out, target, defines, tag, files))[0]


# -- the real corpus: isapc and xenfv ----------------------------------------------------


@pytest.fixture(scope="module")
def xen_build(tmp_path_factory):
    """The real machines/ built with --config CONFIG_XEN=on."""
    root = tmp_path_factory.mktemp("xen")
    shutil.copytree(ROOT / "machines", root / "machines")
    return build_project(root, "CONFIG_XEN=on")


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("default")
    shutil.copytree(ROOT / "machines", root / "machines")
    return build_project(root)


def test_c_is_the_same_for_every_configuration(xen_build, default_build):
    """C describes every configuration; only JSON and libvirt follow --config."""
    config = json.loads((xen_build / "json" / "x86_64.json").read_text())["config"]
    assert (config["CONFIG_ISAPC"], config["CONFIG_XEN"]) == (True, True)
    names = c_files(default_build / "c")
    assert names == c_files(xen_build / "c")
    match, mismatch, errors = filecmp.cmpfiles(
        default_build / "c", xen_build / "c", names, shallow=False
    )
    assert (mismatch, errors) == ([], [])


def test_no_error_directives_are_left(default_build):
    for path in (default_build / "c").iterdir():
        assert "#error" not in path.read_text(), path.name


@pytest.mark.parametrize("target", X86)
def test_xen_build_harness_agrees_with_the_json_backend(xen_build, tmp_path, target):
    defines = config_defines(xen_build, target)
    assert {"-DCONFIG_ISAPC", "-DCONFIG_XEN"} <= set(defines)
    machines = walk(xen_build / "c", tmp_path, target, defines, "-xen")
    assert {"isapc", "xenfv-4.2", "xenfv-3.1"} <= set(machines)
    assert_harness_agrees_with_json(machines, xen_build, target, X86_FAMILIES)
    # What QEMU's pc_piix.c sets (xenfv_machine_*_options, isapc_machine_options).
    assert machines["xenfv-3.1"]["alias"] == "xenfv"
    assert machines["xenfv-4.2"]["alias"] is None
    for name in ("xenfv-4.2", "xenfv-3.1"):
        assert machines[name]["options"]["desc"] == "Xen Fully-virtualized PC"
        assert machines[name]["options"]["max-cpus"] == 128
        assert machines[name]["options"]["default-machine-opts"] == "accel=xen,suppress-vmdesc=on"
        assert not machines[name]["default"]
    assert machines["isapc"]["options"]["desc"] == "ISA-only PC"
    assert machines["isapc"]["options"]["max-cpus"] == 1
    assert machines["isapc"]["props"] == []
    # xenfv-4.2 carries pc-i440fx-4.2's whole compat chain, and so on.
    assert machines["xenfv-4.2"]["props"] == machines["pc-i440fx-4.2"]["props"]
    assert machines["xenfv-3.1"]["props"] == machines["pc-i440fx-3.1"]["props"]


@pytest.mark.parametrize("target", X86)
def test_without_the_options_isapc_and_xenfv_are_absent(tmp_path, target):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "machines", root / "machines")
    generated = build_project(root, "CONFIG_ISAPC=off")
    defines = config_defines(generated, target)
    assert not {"-DCONFIG_ISAPC", "-DCONFIG_XEN"} & set(defines)
    machines = walk(generated / "c", tmp_path, target, defines, "-none")
    assert not {"isapc", "xenfv-4.2", "xenfv-3.1"} & set(machines)
    assert "pc-i440fx-4.2" in machines
    assert_harness_agrees_with_json(machines, generated, target, X86_FAMILIES)


def test_xen_and_isapc_are_written_as_pc_piix_c_writes_them(default_build):
    text = (default_build / "c" / "pc_piix_machines.c.inc").read_text()
    isapc = text.index("#ifdef CONFIG_ISAPC\nstatic void isapc_machine_options(MachineClass *m)\n")
    xen = text.index("#ifdef CONFIG_XEN\nstatic void xenfv_machine_4_2_options(MachineClass *m)\n")
    assert text.rindex("DEFINE_I440FX_MACHINE(") < isapc < xen
    assert (
        'DEFINE_PC_MACHINE(isapc, "isapc", pc_init_isa, isapc_machine_options);\n#endif\n' in text
    )
    xen_block = text[xen : text.index("#endif\n", xen)]
    assert xen_block.count("DEFINE_PC_MACHINE(") == 2
    assert (
        "static void xenfv_machine_4_2_options(MachineClass *m)\n{\n"
        "    pc_i440fx_machine_4_2_options(m);\n"
        '    m->desc = "Xen Fully-virtualized PC";\n'
        "    m->max_cpus = HVM_MAX_VCPUS;\n"
        '    m->default_machine_opts = "accel=xen,suppress-vmdesc=on";\n}\n'
    ) in xen_block
    assert (
        "    pc_i440fx_machine_3_1_options(m);\n"
        '    m->desc = "Xen Fully-virtualized PC";\n'
        '    m->alias = "xenfv";\n'
    ) in xen_block
    # QEMU's static names: xenfv-3.1's symbols are xenfv.
    assert (
        'DEFINE_PC_MACHINE(xenfv, "xenfv-3.1", pc_xen_hvm_init,\n'
        "                  xenfv_machine_3_1_options);\n"
    ) in xen_block
    assert (
        'DEFINE_PC_MACHINE(xenfv_4_2, "xenfv-4.2", pc_xen_hvm_init,\n'
        "                  xenfv_machine_4_2_options);\n"
    ) in xen_block
    # HVM_MAX_VCPUS comes from Xen's public headers, only there with Xen.
    assert "#ifdef CONFIG_XEN\n#include <xen/hvm/hvm_info_table.h>\n#endif\n" in text


# -- a tiny project: build-time guards everywhere -----------------------------------------

TINY = """
release 1.0 date 2020-01-01
release 2.0 date 2021-01-01
release 3.0 date 2022-01-01

target x86_64 {
    binary "qemu-system-x86_64"
    arch x86_64
    wordsize 64
    define TYPE_X86_CPU "x86_64-cpu"
}
target i386 {
    binary "qemu-system-i386"
    arch i686
    wordsize 32
    define TYPE_X86_CPU "i386-cpu"
}

config CONFIG_FOO default off
config CONFIG_BAR default on

feature tap-uso "the tap device offers USO"
property virtio-net-device.host_uso depends-on tap-uso

option max-cpus int c "m->max_cpus" query "cpu-max"
option pci-root-uid int c "pcmc->pci_root_uid"
option save-tsc-khz bool c "x86mc->save_tsc_khz"
option default-nic str c "m->default_nic"

compat hw 1.0 {
    a.plain = "1"
    a.foo = "2" if config.CONFIG_FOO
    a.not-foo = "3" if not config.CONFIG_FOO   # a comment travels
    a.x86-64 = "4" if target == x86_64
    a.i386-bar = "5" if target == i386 and config.CONFIG_BAR
    h.linux-new = "on" if host.os == linux and host.kernel >= 6.2
    h.no-uso = "off" if not feature tap-uso
    h.kvm-or-hvf = "on" if accel == kvm or accel == hvf
    # above: old kernels
    h.old-kernel = "1" optional if host.kernel < 5.0
    h.linux-new-again = "x" if host.os == linux and host.kernel >= 6.2
    a.last = "6"
}

compat hw 2.0 { }

compat pc 1.0 {
    ${TYPE_X86_CPU}.foo-or-bar = "7" if config.CONFIG_FOO or config.CONFIG_BAR
}

family pc-i440fx {
    name "pc-i440fx-{version}"
    targets x86_64, i386
    alias pc
    desc "i440fx"
    option max-cpus = 16
    option max-cpus = 32 if config.CONFIG_FOO
}

machine pc-i440fx 3.0 { alias default }
machine pc-i440fx 2.0 {
    compat hw 2.0
    if config.CONFIG_FOO
    option pci-root-uid = 2 if target == x86_64
}
machine pc-i440fx 1.0 {
    compat hw 1.0, pc 1.0
    option save-tsc-khz = true if config.CONFIG_BAR
    option default-nic = "ne2k"
}

family pc-q35 {
    if config.CONFIG_BAR
    name "pc-q35-{version}"
    targets x86_64
    desc "q35"
}
machine pc-q35 3.0 { }
machine pc-q35 2.0 { compat hw 2.0 }

family isapc {
    if not config.CONFIG_FOO
    name "isapc"
    targets x86_64, i386
    desc "ISA"
    lifecycle manual
}
machine isapc {
    deprecated "too old"
    option max-cpus = 1
}

family xenfv {
    if config.CONFIG_FOO and target == x86_64
    name "xenfv-{version}"
    targets x86_64, i386
    desc "Xen"
    lifecycle manual
}
machine xenfv 2.0 {
    inherits pc-i440fx 2.0
    alias xenfv
    option max-cpus = 8
}

# How a vendor's hw/i386/tiny.c writes them: every family's facts in C.
c-scope hw {
    tables "hw_compat.c.inc" in "hw/core/machine.c"
    declarations "hw_compat.h" in "include/hw/boards.h"
}
c-scope pc {
    tables "pc_compat.c.inc" in "hw/i386/pc.c"
    declarations "pc_compat.h" in "include/hw/i386/pc.h"
}
c-header "target/i386/cpu.h" { TYPE_X86_CPU }
c-header CONFIG_DEVICES { CONFIG_FOO, CONFIG_BAR }
c-file "tiny_machines.c.inc" {
    replaces "hw/i386/tiny.c"
    families pc-i440fx, isapc, xenfv, pc-q35
    include "hw/boards.h", "hw/i386/x86.h", "hw/i386/pc.h"
}
c-family pc-i440fx {
    function "pc_i440fx_machine_{version}_options" param "MachineClass *m"
    define "DEFINE_PC_VER_MACHINE(pc_i440fx, \\"pc-i440fx\\", tiny_init, false, NULL, {major}, {minor});"
    define latest "DEFINE_PC_VER_MACHINE(pc_i440fx, \\"pc-i440fx\\", tiny_init, true, \\"pc\\", {major}, {minor});" sets alias, default
    base inline
    local x86mc "X86MachineClass *x86mc = X86_MACHINE_CLASS(m);"
    local pcmc "PCMachineClass *pcmc = PC_MACHINE_CLASS(m);"
}
c-family pc-q35 {
    function "pc_q35_machine_{version}_options" param "MachineClass *m"
    define "DEFINE_PC_VER_MACHINE(pc_q35, \\"pc-q35\\", tiny_init, false, NULL, {major}, {minor});"
    base inline
}
c-family isapc {
    function "isapc_machine_options" param "MachineClass *m"
    define "DEFINE_PC_MACHINE({symbol}, {name}, tiny_init, {function});"
    base inline
}
c-family xenfv {
    function "xenfv_machine_{version}_options" param "MachineClass *m"
    define "DEFINE_PC_MACHINE({symbol}, {name}, tiny_init, {function});"
    base inline
}
"""

TINY_STANDIN = """
/* A vendor's machines file: its machine init function, then the generated part. */
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "hw/i386/pc.h"

static void tiny_init(MachineState *machine)
{
}

#include "tiny_machines.c.inc"
"""

CONFIGS = {
    "default": [],
    "foo": ["CONFIG_FOO=on"],
    "none": ["CONFIG_BAR=off"],
    "foo-only": ["CONFIG_FOO=on", "CONFIG_BAR=off"],
}


def tiny_project(root, text=TINY):
    (root / "machines").mkdir(parents=True)
    (root / "machines" / "tiny.mtc").write_text(text)
    return root


def tiny_walk(gen_c, out, target, defines, tag):
    standin = out / "tiny.c"
    standin.write_text(TINY_STANDIN)
    files = ["hw/core/machine.c", "hw/i386/pc.c", standin]
    return walk(gen_c, out, target, defines, tag, files)


@pytest.fixture(scope="module")
def tiny_builds(tmp_path_factory):
    builds = {}
    for name, config in CONFIGS.items():
        root = tiny_project(tmp_path_factory.mktemp(f"tiny-{name}"))
        builds[name] = build_project(root, *config)
    return builds


def test_tiny_c_is_the_same_for_every_configuration(tiny_builds):
    reference = tiny_builds["default"] / "c"
    names = c_files(reference)
    for name, generated in tiny_builds.items():
        assert c_files(generated / "c") == names, name
        match, mismatch, errors = filecmp.cmpfiles(reference, generated / "c", names, shallow=False)
        assert (mismatch, errors) == ([], []), name


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("target", X86)
def test_tiny_harness_agrees_with_the_json_backend(tiny_builds, tmp_path, config, target):
    generated = tiny_builds[config]
    defines = config_defines(generated, target)
    machines = tiny_walk(generated / "c", tmp_path, target, defines, f"-{config}")
    assert_harness_agrees_with_json(machines, generated, target, X86_FAMILIES)


def test_tiny_expectations_written_out(tiny_builds, tmp_path):
    """A few of the cases above by hand, so the test does not rest on JSON alone."""
    gen_c = tiny_builds["foo"] / "c"
    x86 = tiny_walk(gen_c, tmp_path, "x86_64", ["-DCONFIG_FOO", "-DCONFIG_BAR"], "-x")
    i386 = tiny_walk(gen_c, tmp_path, "i386", ["-DCONFIG_FOO"], "-i")
    # Machines: guarded ones exist where their guards hold.
    assert sorted(x86) == sorted(
        ["pc-i440fx-3.0", "pc-i440fx-2.0", "pc-i440fx-1.0", "pc-q35-3.0", "pc-q35-2.0", "xenfv-2.0"]
    )
    assert sorted(i386) == ["pc-i440fx-1.0", "pc-i440fx-2.0", "pc-i440fx-3.0"]
    # Entries: build-time guards decided, host-guarded ones left out.
    props = [(d, p, v) for d, p, v, _ in x86["pc-i440fx-1.0"]["props"]]
    assert props == [
        ("a", "plain", "1"),
        ("a", "foo", "2"),
        ("a", "x86-64", "4"),
        ("a", "last", "6"),
        ("x86_64-cpu", "foo-or-bar", "7"),
    ]
    props = [(d, p, v) for d, p, v, _ in i386["pc-i440fx-1.0"]["props"]]
    assert props == [
        ("a", "plain", "1"),
        ("a", "foo", "2"),
        ("a", "last", "6"),
        ("i386-cpu", "foo-or-bar", "7"),
    ]
    # Options: guarded assignments, declarations only where used.
    assert x86["pc-i440fx-3.0"]["options"]["max-cpus"] == 32
    assert x86["pc-i440fx-2.0"]["options"]["pci-root-uid"] == 2
    assert i386["pc-i440fx-2.0"]["options"]["pci-root-uid"] == 0
    assert x86["pc-i440fx-1.0"]["options"]["save-tsc-khz"] is True
    assert i386["pc-i440fx-1.0"]["options"]["save-tsc-khz"] is False
    xen = x86["xenfv-2.0"]
    assert (xen["alias"], xen["options"]["desc"], xen["options"]["max-cpus"]) == ("xenfv", "Xen", 8)

    # Without CONFIG_FOO, pc-i440fx-2.0 is gone but its options function is
    # still what pc-i440fx-1.0 calls; isapc is there, deprecated by hand.
    gen_c = tiny_builds["default"] / "c"
    x86 = tiny_walk(gen_c, tmp_path, "x86_64", ["-DCONFIG_BAR"], "-d")
    assert "pc-i440fx-2.0" not in x86 and "pc-i440fx-1.0" in x86
    assert x86["isapc"]["options"]["deprecation-reason"] == "too old"
    assert x86["isapc"]["options"]["max-cpus"] == 1


def test_tiny_text(tiny_builds):
    gen_c = tiny_builds["default"] / "c"
    hw = (gen_c / "hw_compat.c.inc").read_text()
    assert (
        "#ifndef CONFIG_FOO\n"
        '    { "a", "not-foo", "3" }, /* a comment travels */\n'
        "#endif\n"
        "#ifdef TARGET_X86_64\n"
        '    { "a", "x86-64", "4" },\n'
        "#endif\n"
        "#if defined(TARGET_I386) && !defined(TARGET_X86_64) && defined(CONFIG_BAR)\n"
        '    { "a", "i386-bar", "5" },\n'
        "#endif\n"
    ) in hw
    static = hw[hw.index("GlobalProperty hw_compat_1_0[]") : hw.index("hw_compat_1_0_len")]
    assert '"h"' not in static
    # One condition function per distinct host guard.
    assert hw.count("static bool mtc_host_guard_") == 4
    assert '    { mtc_host_guard_1, { "h", "linux-new-again", "x" } },\n' in hw
    assert '    { mtc_host_guard_4, { "h", "old-kernel", "1", .optional = true } },\n' in hw
    assert '#include "host.h"\n' in hw
    header = (gen_c / "hw_compat.h").read_text()
    assert "extern MtcHostCompat hw_compat_1_0_host[];\n" in header
    assert "extern const size_t hw_compat_1_0_host_len;\n" in header
    assert '#include "host.h"\n' in header
    assert "_host" not in (gen_c / "pc_compat.c.inc").read_text()
    assert "_host" not in (gen_c / "pc_compat.h").read_text()

    tiny = (gen_c / "tiny_machines.c.inc").read_text()
    assert "#include CONFIG_DEVICES\n" in tiny[: tiny.index("static void")]
    # Needed by pc-i440fx-1.0 everywhere, defined as a machine only with CONFIG_FOO.
    assert (
        "#ifdef CONFIG_FOO\n"
        'DEFINE_PC_VER_MACHINE(pc_i440fx, "pc-i440fx", tiny_init, false, NULL, 2, 0);\n'
        "#endif\n"
    ) in tiny
    assert (
        "static void pc_i440fx_machine_2_0_options(MachineClass *m)\n{\n#ifdef TARGET_X86_64\n"
        in tiny
    )
    # The family's own facts, written by its newest machine (base inline),
    # an assignment under a condition after the one it overrides.
    assert (
        "static void pc_i440fx_machine_3_0_options(MachineClass *m)\n{\n"
        '    m->desc = "i440fx";\n'
        "    m->max_cpus = 16;\n"
        "#ifdef CONFIG_FOO\n"
        "    m->max_cpus = 32;\n"
        "#endif\n}\n"
    ) in tiny
    assert (
        "#if defined(CONFIG_FOO) && defined(TARGET_X86_64)\nstatic void xenfv_machine_2_0" in tiny
    )
    # A family for x86_64 only, in a file both targets compile.
    assert (
        "#if defined(CONFIG_BAR) && defined(TARGET_X86_64)\n"
        "static void pc_q35_machine_3_0_options(" in tiny
    )


# -- host tables and the host-dependent property check ------------------------------------

HOST_PROGRAM = r"""
#include <stdio.h>
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "host.h"

static bool has_tap_uso(const MtcHost *host, const char *feature)
{
    (void)host;
    return strcmp(feature, "tap-uso") == 0;
}

static void show(const char *label, const MtcHost *host)
{
    GPtrArray *arr = g_ptr_array_new();

    mtc_compat_props_add_host(arr, hw_compat_1_0_host, hw_compat_1_0_host_len, host);
    printf("%s", label);
    for (unsigned int i = 0; i < arr->len; i++) {
        const GlobalProperty *p = arr->pdata[i];
        printf(" %s.%s=%s%s", p->driver, p->property, p->value, p->optional ? "?" : "");
    }
    putchar('\n');
}

int main(void)
{
    MtcHost linux62 = { "linux", 6, 2, "kvm", has_tap_uso, NULL };
    MtcHost linux610 = { "linux", 6, 10, "tcg", NULL, NULL };
    MtcHost linux514 = { "linux", 5, 14, "tcg", NULL, NULL };
    MtcHost linux419 = { "linux", 4, 19, "kvm", NULL, NULL };
    MtcHost darwin = { "darwin", 0, 0, "hvf", NULL, NULL };

    show("linux-6.2", &linux62);
    show("linux-6.10", &linux610);
    show("linux-5.14", &linux514);
    show("linux-4.19", &linux419);
    show("darwin", &darwin);
    return 0;
}
"""


def test_host_tables_apply_where_their_guard_holds(tiny_builds, tmp_path):
    gen_c = tiny_builds["default"] / "c"
    source = tmp_path / "hosts.c"
    source.write_text(HOST_PROGRAM)
    # The tables in QEMU's hw/core/machine.c, as the swap leaves it.
    objects = [compile_standin(gen_c, tmp_path, "x86_64", "hw/core/machine.c")]
    for path in (gen_c / "host_features.c", source):
        obj = tmp_path / f"{path.name}.o"
        gcc(
            *CFLAGS,
            *TARGETS["x86_64"],
            f"-I{STUBS}",
            f"-I{gen_c}",
            "-c",
            path,
            "-o",
            obj,
            cwd=tmp_path,
        )
        objects.append(obj)
    program = tmp_path / "hosts"
    gcc(*objects, "-o", program, cwd=tmp_path)
    assert run(program).splitlines() == [
        "linux-6.2 h.linux-new=on h.kvm-or-hvf=on h.linux-new-again=x",
        "linux-6.10 h.linux-new=on h.no-uso=off h.linux-new-again=x",
        "linux-5.14 h.no-uso=off",
        "linux-4.19 h.no-uso=off h.kvm-or-hvf=on h.old-kernel=1?",
        # An unknown kernel fails every comparison, as in mtc.
        "darwin h.no-uso=off h.kvm-or-hvf=on",
    ]


CHECK_PROGRAM = r"""
#include <stdio.h>
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "host.h"

static bool has_tap_uso(const MtcHost *host, const char *feature)
{
    (void)host;
    return strcmp(feature, "tap-uso") == 0;
}

static void check(const char *driver, const char *property, const char *value,
                  const MtcHost *host)
{
    Error *err = NULL;
    bool ok = mtc_check_host_property(driver, property, value, host, &err);

    printf("%s.%s=%s on %s: %d %s\n", driver, property, value, host->os, ok ? 1 : 0,
           err ? error_get_pretty(err) : "-");
    if (ok != !err) {
        printf("errp and the result disagree\n");
    }
    error_free(err);
}

int main(void)
{
    MtcHost without = { "linux", 5, 14, "kvm", NULL, NULL };
    MtcHost with = { "linux", 6, 2, "kvm", has_tap_uso, NULL };

    check("virtio-net-device", "host_uso", "on", &without);
    check("virtio-net-device", "guest_uso4", "true", &without);
    check("virtio-net-device", "guest_uso6", "yes", &without);
    check("virtio-net-device", "host_uso", "on", &with);
    check("virtio-net-device", "host_uso", "off", &without);
    check("virtio-net-device", "guest_uso4", "false", &without);
    check("virtio-net-device", "mq", "on", &without);
    check("e1000", "host_uso", "on", &without);
    printf("no errp: %d\n",
           mtc_check_host_property("virtio-net-device", "host_uso", "on", &without, NULL));
    return 0;
}
"""


def test_host_property_check_fails_hard_on_an_explicit_on(default_build, tmp_path):
    gen_c = default_build / "c"
    text = (gen_c / "host_features.c").read_text()
    for prop in ("host_uso", "guest_uso4", "guest_uso6"):
        assert f'    {{ "tap-uso", "virtio-net-device", "{prop}" }},\n' in text
    source = tmp_path / "check.c"
    source.write_text(CHECK_PROGRAM)
    objects = []
    for path in (gen_c / "host_features.c", source):
        obj = tmp_path / f"{path.name}.o"
        gcc(
            *CFLAGS,
            *TARGETS["x86_64"],
            f"-I{STUBS}",
            f"-I{gen_c}",
            "-c",
            path,
            "-o",
            obj,
            cwd=tmp_path,
        )
        objects.append(obj)
    program = tmp_path / "check"
    gcc(*objects, "-o", program, cwd=tmp_path)
    lacks = "needs host feature 'tap-uso', which this host lacks"
    assert run(program).splitlines() == [
        f"virtio-net-device.host_uso=on on linux: 0 virtio-net-device.host_uso=on {lacks}",
        f"virtio-net-device.guest_uso4=true on linux: 0 virtio-net-device.guest_uso4=true {lacks}",
        f"virtio-net-device.guest_uso6=yes on linux: 0 virtio-net-device.guest_uso6=yes {lacks}",
        "virtio-net-device.host_uso=on on linux: 1 -",
        "virtio-net-device.host_uso=off on linux: 1 -",
        "virtio-net-device.guest_uso4=false on linux: 1 -",
        "virtio-net-device.mq=on on linux: 1 -",
        "e1000.host_uso=on on linux: 1 -",
        "no errp: 0",
    ]


def test_no_host_dependent_properties_compile_too(tmp_path):
    """An empty table still compiles and accepts everything."""
    root = tiny_project(tmp_path / "p", TINY.replace("property virtio-net-device", "# "))
    gen_c = build_project(root) / "c"
    assert "mtc_host_dependent_properties[] = {};" in (gen_c / "host_features.c").read_text()
    obj = tmp_path / "host_features.o"
    gcc(
        *CFLAGS,
        f"-I{STUBS}",
        f"-I{gen_c}",
        "-c",
        gen_c / "host_features.c",
        "-o",
        obj,
        cwd=tmp_path,
    )


# -- what C cannot write: a clear error, and nothing written -------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ('a.plain = "1"', 'a.plain = "1" if target == mips64el'),
            "no preprocessor condition for target mips64el",
        ),
        (
            ('option default-nic = "ne2k"', 'option default-nic = "ne2k" if host.os == linux'),
            "option default-nic is assigned under a host guard",
        ),
    ],
)
def test_what_c_cannot_write_fails_the_build(tmp_path, change, message):
    text = TINY.replace(*change)
    text += textwrap.dedent("""
        target mips64el {
            binary "qemu-system-mips64el"
            arch mips64el
            wordsize 64
        }
        """)
    root = tiny_project(tmp_path, text)
    result = run_mtc("build", "--root", str(root))
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert message in result.stderr
    assert "tiny.mtc:" in result.stderr
    assert not (root / "generated").exists()
