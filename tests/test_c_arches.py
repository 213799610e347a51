"""The C backend for s390-ccw-virtio, virt and pseries.

As in test_c_backend.py: projects are built by the CLI in a subprocess, the
C is compiled in tests/c/qemu's stand-ins of QEMU's files with QEMU's
warning flags and walked by tests/c/harness_arches.c (one family per
target).  Expected values come from tests/reference, from the JSON backend's
output of a build with the same configuration, or are written out here.
"""

import filecmp
import re
import shutil

import pytest

from c_harness import (
    assert_harness_agrees_with_json,
    build_project,
    config_defines,
    parse_harness,
    walk,
)
from conftest import REFERENCE_RELEASE, ROOT, run_mtc
from mtc import cpumodels, pipeline
from mtc.backends import c as c_backend
from mtc.diagnostics import Diagnostics
from mtc.workflow import csource

TARGETS = ("s390x", "aarch64", "arm", "ppc64")
FAMILY = {"s390x": "s390-ccw-virtio", "aarch64": "virt", "arm": "virt", "ppc64": "pseries"}
FILES = {
    "s390-ccw-virtio": ["s390_ccw_machines.c.inc"],
    "virt": ["virt_machines.c.inc"],
    "pseries": ["spapr_machines.c.inc", "spapr_machines_4_0.c.inc"],
}
# The family-wide sets every machine starts with (reference: the IMPL macros).
FAMILY_DEFAULT_SETS = {"s390-ccw-virtio": [], "virt": ["arm_virt_compat"], "pseries": []}
# The desc QEMU gives each version (reference: families.*.base_options.macro).
DESC = {
    "s390-ccw-virtio": "Virtual s390x machine (version {version})",
    "virt": "QEMU {version} ARM Virtual Machine",
    "pseries": "pSeries Logical Partition (PAPR compliant)",
}
LEGACY = ("s390-ccw-virtio-2.11", "s390-ccw-virtio-2.10", "s390-ccw-virtio-2.9")
CONFIGS = {
    "default": [],
    "no-legacy": ["CONFIG_S390X_LEGACY_CPUS=off"],
    "no-tcg": ["CONFIG_TCG=off"],
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The real machines/ built in each configuration of CONFIGS."""
    result = {}
    for name, config in CONFIGS.items():
        root = tmp_path_factory.mktemp(f"arches-{name}")
        shutil.copytree(ROOT / "machines", root / "machines")
        result[name] = build_project(root, *config, at=REFERENCE_RELEASE)
    return result


@pytest.fixture(scope="module")
def built(builds):
    return builds["default"]


@pytest.fixture(scope="module")
def walked(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("arches-walk")
    return {
        target: parse_harness(walk(built / "c", out, target, config_defines(built, target)))
        for target in TARGETS
    }


def reference_machines(reference, family):
    return {m["name"]: m for m in reference["families"][family]["machines"]}


def chain(machines, name):
    """The machine and the ones it inherits, newest first."""
    found, node = [], machines[name]
    while node is not None:
        found.append(node)
        node = machines[node["inherits"]] if node["inherits"] else None
    return found[::-1]


def entries(reference, name):
    return [
        (e["driver"], e["property"], e["value"], e["optional"])
        for e in reference["compat_sets"][name]["entries"]
    ]


def version(name):
    return name.rsplit("-", 1)[1]


def functions_of(built, family):
    found = {}
    for name in FILES[family]:
        path = built / "c" / name
        for item in csource.items(path.read_text(), name):
            if item.kind == "function":
                found[item.name] = item
    return found


# -- files -----------------------------------------------------------------------------


def test_c_is_the_same_for_every_configuration(builds):
    """C describes every configuration; only JSON and libvirt follow --config."""
    names = sorted(p.name for p in (builds["default"] / "c").iterdir())
    for name, generated in builds.items():
        assert sorted(p.name for p in (generated / "c").iterdir()) == names, name
        _, mismatch, errors = filecmp.cmpfiles(
            builds["default"] / "c", generated / "c", names, shallow=False
        )
        assert (mismatch, errors) == ([], []), name


def test_check_passes_after_build(tmp_path):
    shutil.copytree(ROOT / "machines", tmp_path / "machines")
    build_project(tmp_path)
    result = run_mtc("check", "--root", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sets_qemu_keeps_in_its_functions_are_not_tables(built):
    names = {p.name for p in (built / "c").iterdir()}
    assert not {n for n in names if n.startswith(("ccw_compat", "spapr_compat"))}
    header = (built / "c" / "hw_compat.h").read_text()
    for name in ("ccw_compat", "spapr_compat", "arm_virt_compat"):
        assert name not in header, name


# -- the machines, walked --------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_harness_agrees_with_the_json_backend(built, walked, target):
    machines, _ = walked[target]
    assert_harness_agrees_with_json(machines, built, target, {FAMILY[target]})


@pytest.mark.parametrize("target", TARGETS)
def test_harness_agrees_with_the_reference(walked, reference, target):
    family = FAMILY[target]
    machines, extra = walked[target]
    listed = reference_machines(reference, family)
    assert sorted(machines) == sorted(listed)
    for name, ref in listed.items():
        got = machines[name]
        sets = FAMILY_DEFAULT_SETS[family] + [
            s for m in chain(listed, name) for s in m["compat_sets"]
        ]
        assert got["props"] == [e for s in sets for e in entries(reference, s)], name
        assert got["alias"] == ref["alias"], name
        assert got["default"] == ref["is_default"], name
        assert got["options"]["desc"] == DESC[family].format(version=version(name)), name
        if family == "s390-ccw-virtio":
            # The machine init function ran the instance options, then ccw_init().
            assert extra[name]["init"][:2] == (1, 1), name


def test_local_arrays_hold_the_reference_entries(built, walked, reference):
    """Every ccw and spapr set of the reference: an array inside the options
    function that adds it, as QEMU keeps it, holding its entries in order."""
    checked = set()
    for target in ("s390x", "ppc64"):
        family = FAMILY[target]
        functions = functions_of(built, family)
        machines, _ = walked[target]
        listed = reference_machines(reference, family)
        for name, ref in listed.items():
            start = len(machines[ref["inherits"]]["props"]) if ref["inherits"] else 0
            own = [e for s in ref["compat_sets"] for e in entries(reference, s)]
            assert machines[name]["props"][start:] == own, name
            for set_name in ref["compat_sets"]:
                if ":" not in set_name:
                    continue
                function = set_name.split(":")[0]
                arrays = [s for s in functions[function].statements() if s.startswith("static")]
                assert [a.split("[")[0] for a in arrays] == ["static GlobalProperty compat "]
                checked.add(set_name)
    assert checked == {n for n in reference["compat_sets"] if ":" in n}


# -- build-time guards ---------------------------------------------------------------------


def test_legacy_cpu_machines_follow_config_s390x_legacy_cpus(builds, walked, tmp_path):
    text = (builds["default"] / "c" / "s390_ccw_machines.c.inc").read_text()
    block = text[text.index("#ifdef CONFIG_S390X_LEGACY_CPUS\nstatic void") :]
    block = block[: block.index("\n#endif\n")]
    # As QEMU: the functions and DEFINE lines of 2.11, 2.10 and 2.9 in one block.
    assert block.startswith(
        "#ifdef CONFIG_S390X_LEGACY_CPUS\n"
        "static void ccw_machine_2_11_instance_options(MachineState *machine)\n"
    )
    assert block.endswith("DEFINE_CCW_MACHINE(2, 9);")
    for v in ("2, 11", "2, 10", "2, 9"):
        assert f"DEFINE_CCW_MACHINE({v});" in block
    assert "DEFINE_CCW_MACHINE(2, 12);" not in block
    # The file includes what it tests.
    assert "#include CONFIG_DEVICES\n" in text[: text.index("static void")]

    present, _ = walked["s390x"]
    assert set(LEGACY) <= set(present)
    generated = builds["no-legacy"]
    defines = config_defines(generated, "s390x")
    assert "-DCONFIG_S390X_LEGACY_CPUS" not in defines
    machines, _ = parse_harness(walk(generated / "c", tmp_path, "s390x", defines, "-nolegacy"))
    assert not set(LEGACY) & set(machines)
    assert "s390-ccw-virtio-2.12" in machines
    assert_harness_agrees_with_json(machines, generated, "s390x", {"s390-ccw-virtio"})


@pytest.mark.parametrize("target", ["aarch64", "arm"])
def test_virt_default_cpu_follows_config_tcg(builds, walked, tmp_path, target):
    """QEMU's virt_machine_class_init() picks it; machines/ says the same."""
    machines, _ = walked[target]
    assert {m["options"]["default-cpu-type"] for m in machines.values()} == {"cortex-a15-arm-cpu"}
    generated = builds["no-tcg"]
    defines = config_defines(generated, target)
    assert "-DCONFIG_TCG" not in defines
    machines, _ = parse_harness(walk(generated / "c", tmp_path, target, defines, "-notcg"))
    assert {m["options"]["default-cpu-type"] for m in machines.values()} == {"max-arm-cpu"}
    assert_harness_agrees_with_json(machines, generated, target, {"virt"})


# -- the text, against the reference -------------------------------------------------------


def options_fn(machine):
    return re.search(r"options function (\w+)", machine["define"]).group(1)


def squeeze(text):
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("family", FILES)
def test_machine_definitions_match_the_reference(built, reference, family):
    functions = functions_of(built, family)
    listed = reference_machines(reference, family)
    defines = []
    for name in FILES[family]:
        path = built / "c" / name
        defines += [
            squeeze(i.text).rstrip(";")
            for i in csource.items(path.read_text(), name)
            if i.kind == "invocation"
        ]
    order = []
    for name, machine in listed.items():
        fn = options_fn(machine)
        statements = functions[fn].statements()
        parent = listed[machine["inherits"]] if machine["inherits"] else None
        # The newest's function is empty, as QEMU's: the IMPL macro and the
        # abstract parent's class_init set the family's facts.
        calls = [s for s in statements if re.fullmatch(r"\w+ \( mc \) ;", s)]
        assert calls == ([f"{options_fn(parent)} ( mc ) ;"] if parent else []), name
        assigns = {}
        for stmt in statements:
            if m := re.fullmatch(r"(\w+ -> [\w .\[\]]+?) = (.*) ;", stmt):
                assigns[squeeze(m.group(1))] = squeeze(m.group(2))
        assert assigns == {squeeze(k): squeeze(v) for k, v in machine["options"].items()}, name
        order.append(squeeze(machine["define"].split(" (")[0]).rstrip(";"))
        if family == "s390-ccw-virtio":
            instance = fn.replace("_class_options", "_instance_options")
            expected = []
            if parent:
                instance_of_parent = options_fn(parent).replace(
                    "_class_options", "_instance_options"
                )
                expected = [f"{instance_of_parent} ( machine ) ;"]
            calls = [s for s in functions[instance].statements() if "( machine )" in s]
            assert calls == expected, name
    assert order == defines  # newest first, as QEMU's files are


def test_spapr_is_two_parts_around_qemus_helper(built):
    """QEMU defines phb_placement_4_0() between pseries-4.1 and pseries-4.0:
    the second part starts at 4.0's function, whose comment stays QEMU's."""
    first = (built / "c" / "spapr_machines.c.inc").read_text()
    second = (built / "c" / "spapr_machines_4_0.c.inc").read_text()
    assert first.rstrip().endswith("DEFINE_SPAPR_MACHINE(4, 1);")
    body = second[second.index("\n\n", second.index("#include")) :].lstrip()
    assert body.startswith("static void spapr_machine_4_0_class_options(MachineClass *mc)\n")
    assert "/*\n * pseries-3.1\n */\nstatic void spapr_machine_3_1_class_options(" in second
    assert "/*\n * pseries-4.1\n */\nstatic void spapr_machine_4_1_class_options(" in first
    assert "    smc->phb_placement = phb_placement_4_0;\n" in second
    assert "phb_placement_4_0" in second[: second.index("*/")]  # named as QEMU's


def test_macros_and_values_as_qemu_writes_them(built):
    ccw = (built / "c" / "s390_ccw_machines.c.inc").read_text()
    virt = (built / "c" / "virt_machines.c.inc").read_text()
    spapr = (built / "c" / "spapr_machines_4_0.c.inc").read_text()
    # virt's DEFINE lines have no semicolon (its macro has one), the others do.
    assert "\nDEFINE_VIRT_MACHINE(9, 2)\n" in virt
    assert re.search(r"\nDEFINE_VIRT_MACHINE_AS_LATEST\(\d+, \d+\)\n", virt)
    assert "\nDEFINE_CCW_MACHINE(9, 2);\n" in ccw
    # The newest's function is empty, as QEMU's.
    assert re.search(
        r"static void virt_machine_\d+_\d+_options\(MachineClass \*mc\)\n\{\n\}\n", virt
    )
    assert (
        "    static GlobalProperty compat[] = {\n"
        '        { TYPE_S390_PCI_DEVICE, "relaxed-translation", "off", },\n'
        "    };\n"
    ) in ccw
    assert '#include "hw/s390x/s390-pci-bus.h"\n' in ccw
    assert '    mc->default_cpu_type = POWERPC_CPU_TYPE_NAME("power8_v2.0");\n' in spapr
    assert "    smc->irq = &spapr_irq_xics;\n" in spapr
    assert "    mc->fixup_ram_size = s390_fixup_ram_size;\n" in ccw
    # QEMU sets hpage_1m_allowed before calling 3.1's options.
    assert (
        "    S390CcwMachineClass *s390mc = S390_CCW_MACHINE_CLASS(mc);\n\n"
        "    s390mc->hpage_1m_allowed = false;\n"
        "    ccw_machine_3_1_class_options(mc);\n"
    ) in ccw


# -- the instance options and compiler.cpumodels ----------------------------------------------


def corpus_and_c(root):
    """The project's corpus and C outputs, compiled in this process."""
    diags = Diagnostics()
    resolved = pipeline.compile_project(pipeline.Project(root), diags)
    assert resolved is not None, [str(d) for d in diags.items]
    return resolved.corpus, c_backend.emit(resolved, resolved.corpus.files)


def reference_cpu_calls(machine):
    """A reference machine's CPU-model calls, as the harness prints them."""
    statements = machine["instance_options"] or {}
    feat = statements.get("static const S390FeatInit qemu_cpu_feat", "")
    lists = re.findall(r"S390_FEAT_LIST_\w+", feat)
    calls = []
    for text, kind in statements.items():
        if kind != "call":
            continue
        fn, args = re.fullmatch(r"(\w+)\((.*)\)", text).groups()
        args = [lists[0] if a == "qemu_cpu_feat" else a for a in args.split(", ")]
        calls.append(" ".join([fn, *args]))
    return calls


def test_instance_options_carry_the_reference_cpu_model_changes(walked, reference):
    corpus, _ = corpus_and_c(ROOT)
    s390 = [m for m in corpus.machines if m.family == "s390-ccw-virtio"]
    if not any(cpumodels.machine_cpu_c_lines(corpus, m) for m in s390):
        pytest.fail("mtc.cpumodels gives no CPU-model statements")
    machines, extra = walked["s390x"]
    listed = reference_machines(reference, "s390-ccw-virtio")
    for name in listed:
        # QEMU runs the newest version's instance options first.
        expected = [c for m in chain(listed, name) for c in reference_cpu_calls(m)]
        assert extra[name]["cpu"] == expected, name
        # css_migration_enabled = false is 2.9's own instance statement.
        assert extra[name]["init"][2] == (0 if name == "s390-ccw-virtio-2.9" else 1), name


def test_cpu_statements_land_after_the_newer_versions_call(tmp_path, monkeypatch):
    """What mtc.cpumodels returns for a machine goes into its instance
    options after the call to the newer version's, static declarations
    first, with the headers its names need, under the machine's #if."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "machines", root / "machines")
    lines = {
        "s390-ccw-virtio-7.1": [
            "s390_cpudef_featoff_greater(16, 1, S390_FEAT_PAIE);",
            "static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };",
            "/* a comment travels */",
            "s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);",
        ],
        "s390-ccw-virtio-2.9": ["css_migration_enabled = false;"],
    }
    monkeypatch.setattr(
        cpumodels, "machine_cpu_c_lines", lambda corpus, machine: lines.get(machine.name, [])
    )
    _, outputs = corpus_and_c(root)
    text = outputs["c/s390_ccw_machines.c.inc"]
    assert (
        "static void ccw_machine_7_1_instance_options(MachineState *machine)\n{\n"
        "    static const S390FeatInit qemu_cpu_feat = { S390_FEAT_LIST_QEMU_V7_1 };\n\n"
        "    ccw_machine_7_2_instance_options(machine);\n"
        "    s390_cpudef_featoff_greater(16, 1, S390_FEAT_PAIE);\n"
        "    /* a comment travels */\n"
        "    s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat);\n}\n"
    ) in text
    assert (
        "static void ccw_machine_2_9_instance_options(MachineState *machine)\n{\n"
        "    ccw_machine_2_10_instance_options(machine);\n"
        "    css_migration_enabled = false;\n}\n"
    ) in text
    includes = text[: text.index("\n\n", text.index("#include"))]
    assert '#include "target/s390x/cpu_models.h"\n' in includes
    legacy = includes[includes.index("#ifdef CONFIG_S390X_LEGACY_CPUS\n") :]
    assert '#include "hw/s390x/css.h"\n' in legacy[: legacy.index("#endif")]

    gen_c = tmp_path / "c"
    gen_c.mkdir()
    for path, content in outputs.items():
        if path.startswith("c/"):
            (gen_c / path.removeprefix("c/")).write_text(content)
    for defines in ([], ["-DCONFIG_S390X_LEGACY_CPUS"]):
        _, extra = parse_harness(walk(gen_c, tmp_path, "s390x", defines, "".join(defines)))
        calls = [
            "s390_cpudef_featoff_greater 16 1 S390_FEAT_PAIE",
            "s390_set_qemu_cpu_model 0x8561 15 1 S390_FEAT_LIST_QEMU_V7_1",
        ]
        assert extra["s390-ccw-virtio-7.2"]["cpu"] == []
        assert extra["s390-ccw-virtio-7.1"]["cpu"] == calls
        assert extra["s390-ccw-virtio-2.12"]["cpu"] == calls
        if defines:
            assert extra["s390-ccw-virtio-2.9"]["init"] == (1, 1, 0)
            assert extra["s390-ccw-virtio-2.10"]["init"] == (1, 1, 1)


def test_c_output_is_deterministic():
    _, first = corpus_and_c(ROOT)
    _, second = corpus_and_c(ROOT)
    names = [name for name in first if name.startswith("c/")]
    assert names and all(first[name] == second[name] for name in names)


def test_a_host_guard_in_a_local_array_fails_the_build(tmp_path):
    shutil.copytree(ROOT / "machines", tmp_path / "machines")
    source = tmp_path / "machines" / "s390x" / "s390-ccw-virtio.mtc"
    old = '${TYPE_S390_PCI_DEVICE}.relaxed-translation = "off"'
    text = source.read_text()
    assert old in text
    source.write_text(text.replace(old, old + " if accel == kvm"))
    result = run_mtc("build", "--root", str(tmp_path))
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert "cannot be in the array c/s390_ccw_machines.c.inc keeps this set in" in result.stderr
    assert not (tmp_path / "generated").exists()
