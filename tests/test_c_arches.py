"""The C backend for s390-ccw-virtio, virt and pseries (issue 8).

As in test_c_backend.py, projects are built by the CLI in a subprocess and
the C is compiled with gcc against the stub headers of tests/c/stubs and
run (tests/c/harness_arches.c walks one family's machines the way QEMU
builds their classes).  Expected values come from tests/reference, from
the JSON backend's output of a build with the same configuration, or are
written out literally here; never from the C backend itself.
"""

import filecmp
import re
import shutil

import pytest

from mtc import cpumodels, pipeline
from mtc.backends import c as c_backend
from mtc.diagnostics import Diagnostics
from conftest import ROOT, run_mtc
from test_c_backend import (
    CFLAGS,
    STUBS,
    STUBS_MIN,
    assert_harness_agrees_with_json,
    build_project,
    config_defines,
    gcc,
    parse_harness,
    run,
)
from test_c_backend import TARGETS as X86_TARGETS

HARNESS = ROOT / "tests" / "c" / "harness_arches.c"

# As QEMU's config-target.h: TARGET_<BASE_ARCH> for every target of an arch.
TARGETS = {
    "s390x": ["-DTARGET_S390X"],
    "aarch64": ["-DTARGET_ARM", "-DTARGET_AARCH64"],
    "arm": ["-DTARGET_ARM"],
    "ppc64": ["-DTARGET_PPC", "-DTARGET_PPC64"],
}
FAMILY = {"s390x": "s390-ccw-virtio", "aarch64": "virt", "arm": "virt", "ppc64": "pseries"}
FILES = {
    "s390-ccw-virtio": "s390_ccw_machines.c",
    "virt": "virt_machines.c",
    "pseries": "spapr_machines.c",
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


# -- building and walking -----------------------------------------------------------


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The real machines/ built in each configuration of CONFIGS."""
    result = {}
    for name, config in CONFIGS.items():
        root = tmp_path_factory.mktemp(f"arches-{name}")
        shutil.copytree(ROOT / "machines", root / "machines")
        result[name] = build_project(root, *config)
    return result


@pytest.fixture(scope="module")
def built(builds):
    return builds["default"]


def walk(gen_c, out, target, defines, tag=""):
    """The harness's records for `target`'s family, the machines file
    compiled with `defines`: (parse_harness's machines, {name: {"cpu": [...],
    "init": (ccw_init calls, current_mc set, css_migration_enabled)}})."""
    flags = [*CFLAGS, *TARGETS[target]]
    tables = out / f"hw_compat.{target}{tag}.o"
    gcc(*flags, f"-I{STUBS_MIN}", "-c", gen_c / "hw_compat.c", "-o", tables, cwd=out)
    machines = out / f"machines.{target}{tag}.o"
    source = gen_c / FILES[FAMILY[target]]
    gcc(*flags, *defines, f"-I{STUBS}", "-c", source, "-o", machines, cwd=out)
    harness = out / f"harness.{target}{tag}.o"
    gcc(*flags, f"-I{STUBS}", "-c", HARNESS, "-o", harness, cwd=out)
    program = out / f"harness-{target}{tag}"
    gcc(tables, machines, harness, "-o", program, cwd=out)
    rest, extra, current = [], {}, None
    for line in run(program).splitlines():
        kind, _, fields = line.partition(" ")
        if kind == "machine":
            current = extra.setdefault(fields, {"cpu": [], "init": None})
        if kind == "cpu":
            current["cpu"].append(fields)
        elif kind == "init":
            current["init"] = tuple(int(f) for f in fields.split(" "))
        else:
            rest.append(line)
    return parse_harness("\n".join(rest)), extra


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


# -- files ---------------------------------------------------------------------------


def test_c_is_the_same_for_every_configuration(builds):
    """C describes every configuration; only JSON and libvirt follow --config."""
    names = sorted(p.name for p in (builds["default"] / "c").iterdir())
    for name, generated in builds.items():
        assert sorted(p.name for p in (generated / "c").iterdir()) == names, name
        _, mismatch, errors = filecmp.cmpfiles(
            builds["default"] / "c", generated / "c", names, shallow=False
        )
        assert (mismatch, errors) == ([], []), name


def test_check_passes_after_build(built):
    result = run_mtc("check", "--root", str(built.parent))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sets_qemu_keeps_in_the_machine_files_are_not_tables(built, reference):
    names = {p.name for p in (built / "c").iterdir()}
    assert set(FILES.values()) <= names
    # QEMU keeps ccw and spapr sets inside their options functions and
    # arm_virt_compat static in virt.c: no table file, no extern.
    assert not {"ccw_compat.c", "spapr_compat.c", "arm_virt_compat.c"} & names
    header = (built / "c" / "compat.h").read_text()
    for name in ("ccw_compat", "spapr_compat", "arm_virt_compat"):
        assert name not in header, name
    for name in reference["compat_sets"]:
        if name.startswith("hw_compat_"):
            assert f"extern GlobalProperty {name}[];" in header


@pytest.mark.parametrize("config", ["on", "off"])
def test_every_generated_c_file_compiles(built, tmp_path, config):
    """Every .c of generated/c, for every target it is built for, with the
    build options on and off (gcc -Werror, as the issue asks)."""
    gen_c = built / "c"
    x86 = {name: flags for name, flags in X86_TARGETS.items()}
    options = {
        "s390_ccw_machines.c": ["-DCONFIG_S390X_LEGACY_CPUS"],
        "virt_machines.c": ["-DCONFIG_TCG"],
        "pc_piix_machines.c": ["-DCONFIG_ISAPC", "-DCONFIG_XEN"],
    }
    files = sorted(p.name for p in gen_c.iterdir() if p.suffix == ".c")
    for name in files:
        if name in ("hw_compat.c",):
            targets, stubs = {**x86, **TARGETS}, STUBS_MIN
        elif name.endswith("_compat.c"):
            targets, stubs = x86, STUBS_MIN
        elif name in ("pc_piix_machines.c", "pc_q35_machines.c"):
            targets, stubs = x86, STUBS
        elif name == "host_features.c":
            targets, stubs = {"x86_64": X86_TARGETS["x86_64"]}, STUBS
        else:
            family = {v: k for k, v in FILES.items()}[name]
            targets = {t: TARGETS[t] for t, f in FAMILY.items() if f == family}
            stubs = STUBS
        defines = options.get(name, []) if config == "on" else []
        for target, flags in targets.items():
            obj = tmp_path / f"{name}.{target}.o"
            gcc(
                *CFLAGS, *flags, *defines, f"-I{stubs}", "-c", gen_c / name, "-o", obj, cwd=tmp_path
            )


# -- the machines, walked --------------------------------------------------------------


@pytest.fixture(scope="module")
def walked(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("arches-walk")
    return {
        target: walk(built / "c", out, target, config_defines(built, target)) for target in TARGETS
    }


@pytest.mark.parametrize("target", TARGETS)
def test_harness_agrees_with_the_json_backend(built, walked, target):
    machines, _ = walked[target]
    assert_harness_agrees_with_json(machines, built, target, families={FAMILY[target]})


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


def test_local_and_static_arrays_hold_the_reference_entries(built, walked, reference):
    """Every ccw, spapr and arm_virt_compat set of the reference: its array
    is where QEMU keeps it, and the compiled array holds its entries, in
    order (a machine's list is its parent's, then its own sets')."""
    checked = set()
    for target in ("s390x", "aarch64", "arm", "ppc64"):
        family = FAMILY[target]
        text = (built / "c" / FILES[family]).read_text()
        functions = parse_functions(text)
        machines, _ = walked[target]
        listed = reference_machines(reference, family)
        for name, ref in listed.items():
            start = len(machines[ref["inherits"]]["props"]) if ref["inherits"] else 0
            if not ref["inherits"]:
                for default in FAMILY_DEFAULT_SETS[family]:
                    start += len(entries(reference, default))
            own = [e for s in ref["compat_sets"] for e in entries(reference, s)]
            assert machines[name]["props"][start:] == own, name
            for set_name in ref["compat_sets"]:
                if ":" not in set_name:
                    continue
                function = set_name.split(":")[0]
                assert functions[function]["arrays"] == ["compat"], set_name
                checked.add(set_name)
        for default in FAMILY_DEFAULT_SETS[family]:
            size = len(entries(reference, default))
            assert f"static GlobalProperty {default}[] = {{\n" in text
            assert f"static const size_t {default}_len = G_N_ELEMENTS({default});\n" in text
            for name in listed:
                assert machines[name]["props"][:size] == entries(reference, default), name
            checked.add(default)
    local = {n for n in reference["compat_sets"] if ":" in n or n == "arm_virt_compat"}
    assert checked == local


# -- build-time guards ---------------------------------------------------------------------


def test_legacy_cpu_machines_follow_config_s390x_legacy_cpus(builds, walked, tmp_path):
    text = (builds["default"] / "c" / "s390_ccw_machines.c").read_text()
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

    # With the option (the default build's -D flags): present.
    present, _ = walked["s390x"]
    assert set(LEGACY) <= set(present)
    # Without it: gone, and the rest as the JSON of that build says.
    generated = builds["no-legacy"]
    defines = config_defines(generated, "s390x")
    assert "-DCONFIG_S390X_LEGACY_CPUS" not in defines
    machines, _ = walk(generated / "c", tmp_path, "s390x", defines, "-nolegacy")
    assert not set(LEGACY) & set(machines)
    assert "s390-ccw-virtio-2.12" in machines
    assert_harness_agrees_with_json(machines, generated, "s390x", families={"s390-ccw-virtio"})


@pytest.mark.parametrize("target", ["aarch64", "arm"])
def test_virt_default_cpu_follows_config_tcg(builds, walked, tmp_path, target):
    text = (builds["default"] / "c" / "virt_machines.c").read_text()
    assert (
        "#ifdef CONFIG_TCG\n"
        '    mc->default_cpu_type = ARM_CPU_TYPE_NAME("cortex-a15");\n'
        "#else\n"
        '    mc->default_cpu_type = ARM_CPU_TYPE_NAME("max");\n'
        "#endif\n"
    ) in text
    machines, _ = walked[target]
    assert {m["options"]["default-cpu-type"] for m in machines.values()} == {"cortex-a15-arm-cpu"}
    generated = builds["no-tcg"]
    defines = config_defines(generated, target)
    assert "-DCONFIG_TCG" not in defines
    machines, _ = walk(generated / "c", tmp_path, target, defines, "-notcg")
    assert {m["options"]["default-cpu-type"] for m in machines.values()} == {"max-arm-cpu"}
    assert_harness_agrees_with_json(machines, generated, target, families={"virt"})


# -- the text, against the reference -------------------------------------------------------

FUNCTION_RE = re.compile(
    r"^static void (\w+)\((MachineClass \*mc|MachineState \*machine)\)\n\{\n(.*?)^\}\n"
    r"(?:\n(DEFINE_\w+\([\d, ]+\));?\n)?",
    re.M | re.S,
)


def parse_functions(text):
    functions = {}
    for name, param, body, define in FUNCTION_RE.findall(text):
        arg = "mc" if param.startswith("MachineClass") else "machine"
        calls, compat, assigns, decls, arrays, other = [], [], {}, [], [], []
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        for stmt in (" ".join(s.split()) for s in body.split(";")):
            if not stmt or stmt == "(void)mc" or stmt == "(void)machine":
                continue
            if m := re.fullmatch(r"static GlobalProperty (\w+)\[\] = \{.*\}", stmt):
                arrays.append(m.group(1))
            elif m := re.fullmatch(r"compat_props_add\(mc->compat_props, (\w+), (\w+)\)", stmt):
                assert m.group(2) == m.group(1) + "_len"
                compat.append(m.group(1))
            elif m := re.fullmatch(
                r"compat_props_add\(mc->compat_props, (\w+), G_N_ELEMENTS\((\w+)\)\)", stmt
            ):
                assert m.group(1) == m.group(2) and m.group(1) in arrays
                compat.append(f"{name}:{m.group(1)}")
            elif m := re.fullmatch(rf"(\w+)\({arg}\)", stmt):
                calls.append(m.group(1))
            elif m := re.fullmatch(r"(\w+) \*(\w+) = (.*)", stmt):
                decls.append(m.group(2))
            elif " = " in stmt and arg == "mc":
                lhs, rhs = stmt.split(" = ", 1)
                assigns.setdefault(lhs, []).append(rhs)
            else:
                other.append(stmt)
        functions[name] = {
            "calls": calls,
            "compat": compat,
            "assigns": assigns,
            "decls": decls,
            "arrays": arrays,
            "other": other,
            "define": define or None,
        }
    return functions


def options_fn(machine):
    return re.search(r"options function (\w+)", machine["define"]).group(1)


@pytest.mark.parametrize("family", FILES)
def test_machine_definitions_match_the_reference(built, reference, family):
    text = (built / "c" / FILES[family]).read_text()
    functions = parse_functions(text)
    listed = reference_machines(reference, family)
    order = []
    for name, machine in listed.items():
        fn = options_fn(machine)
        assert fn in functions, f"{name}: no {fn}"
        got = functions[fn]
        parent = listed[machine["inherits"]] if machine["inherits"] else None
        # The newest's function is empty, as QEMU's: the IMPL's class_init
        # runs the family base function first.
        assert got["calls"] == ([options_fn(parent)] if parent else []), name
        assert got["compat"] == machine["compat_sets"], name
        assert {k: v[-1] for k, v in got["assigns"].items()} == machine["options"], name
        assert all(len(v) == 1 for v in got["assigns"].values()), name
        used = {lhs.split("->")[0] for lhs in got["assigns"]} - {"mc"}
        assert sorted(got["decls"]) == sorted(used), name
        assert got["other"] == [], name
        assert got["define"] == machine["define"].split(" (")[0], name
        order.append(fn)
        if family == "s390-ccw-virtio":
            instance = fn.replace("_class_options", "_instance_options")
            assert instance in functions, name
            newer = (
                [options_fn(parent).replace("_class_options", "_instance_options")]
                if parent
                else []
            )
            assert functions[instance]["calls"] == newer, name
    defined = [fn for fn in functions if functions[fn]["define"]]
    assert defined == order  # newest first, as QEMU's files are

    # The local declarations as QEMU writes them.
    decl = {
        "s390-ccw-virtio": "S390CcwMachineClass *s390mc = S390_CCW_MACHINE_CLASS(mc);",
        "virt": "VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS(mc));",
        "pseries": "SpaprMachineClass *smc = SPAPR_MACHINE_CLASS(mc);",
    }[family]
    assert f"    {decl}\n" in text

    # The base function: what the abstract class's class_init sets in QEMU.
    base = {
        "s390-ccw-virtio": "ccw_machine_class_options",
        "virt": "virt_machine_options",
        "pseries": "spapr_machine_class_options",
    }[family]
    got = functions[base]
    compared = 0
    for lvalue, value in reference["families"][family]["base_options"]["class_init"].items():
        if family == "virt" and lvalue == "mc->default_cpu_type":
            continue  # under #ifdef CONFIG_TCG: test_virt_default_cpu_follows_config_tcg
        if lvalue in got["assigns"]:
            assert got["assigns"][lvalue] == [value], lvalue
            compared += 1
    assert compared >= 6
    assert got["compat"] == FAMILY_DEFAULT_SETS[family]


def test_define_macros_as_qemu_writes_them(built):
    ccw = (built / "c" / "s390_ccw_machines.c").read_text()
    virt = (built / "c" / "virt_machines.c").read_text()
    spapr = (built / "c" / "spapr_machines.c").read_text()
    for text, name in ((ccw, "CCW"), (virt, "VIRT"), (spapr, "SPAPR")):
        for latest, suffix in (("true", "_AS_LATEST"), ("false", "")):
            assert (
                f"#define DEFINE_{name}_MACHINE{suffix}(major, minor) \\\n"
                f"    DEFINE_{name}_MACHINE_IMPL({latest}, major, minor)\n"
            ) in text
        assert re.search(rf"^#define DEFINE_{name}_MACHINE_IMPL\(latest, \.\.\.\) +\\$", text, re.M)
    assert 'mc->desc = "Virtual s390x machine (version " MACHINE_VER_STR(__VA_ARGS__) ")";' in ccw
    assert 'mc->desc = "QEMU " MACHINE_VER_STR(__VA_ARGS__) " ARM Virtual Machine";' in virt
    assert '.name = MACHINE_VER_TYPE_NAME("s390-ccw-virtio", __VA_ARGS__),' in ccw
    assert ".parent = TYPE_S390_CCW_MACHINE," in ccw
    assert "MACHINE_VER_SYM(instance_options, ccw, __VA_ARGS__)(mach);" in ccw
    assert "mc->init = MACHINE_VER_SYM(mach_init, ccw, __VA_ARGS__);" in ccw
    assert re.search(
        r'if \(latest\) \{ +\\\n +mc->alias = "s390-ccw-virtio"; +\\\n'
        r" +mc->is_default = true; +\\\n",
        ccw,
    )
    assert re.search(r'if \(latest\) \{ +\\\n +mc->alias = "virt"; +\\\n +\} +\\\n', virt)
    assert (
        "static void spapr_machine_latest_class_options(MachineClass *mc)\n{\n"
        '    mc->alias = "pseries";\n'
        "    mc->is_default = true;\n}\n"
    ) in spapr
    assert "spapr_machine_latest_class_options(mc);" in spapr
    # QEMU writes virt's DEFINE lines without a semicolon (its macro has one).
    assert "\nDEFINE_VIRT_MACHINE(9, 2)\n" in virt
    assert "\nDEFINE_CCW_MACHINE(9, 2);\n" in ccw and "\nDEFINE_SPAPR_MACHINE(9, 2);\n" in spapr
    assert "/*\n * pseries-4.1\n */\nstatic void spapr_machine_4_1_class_options(" in spapr
    assert (
        "    static GlobalProperty compat[] = {\n"
        "        /* Only allow 4kiB and 64kiB IOMMU pagesizes */\n"
        '        { "spapr-pci-host-bridge", "pgsz", "0x11000" },\n'
        "    };\n"
    ) in spapr
    assert '    mc->default_cpu_type = POWERPC_CPU_TYPE_NAME("power9_v2.2");\n' in spapr
    assert "    smc->irq = &spapr_irq_xics;\n" in spapr
    assert "    mc->fixup_ram_size = s390_fixup_ram_size;\n" in ccw


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
    for name in machines:
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
    text = outputs["c/s390_ccw_machines.c"]
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
    assert '#ifdef CONFIG_S390X_LEGACY_CPUS\n#include "hw/s390x/css.h"\n#endif' in includes

    gen_c = tmp_path / "c"
    gen_c.mkdir()
    for path, content in outputs.items():
        if path.startswith("c/"):
            (gen_c / path.removeprefix("c/")).write_text(content)
    for defines in ([], ["-DCONFIG_S390X_LEGACY_CPUS"]):
        machines, extra = walk(gen_c, tmp_path, "s390x", defines, "".join(defines))
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


# -- what the machine files cannot hold ----------------------------------------------------


@pytest.mark.parametrize(
    "path, change, message",
    [
        (
            "s390x/s390-ccw-virtio.mtc",
            (
                'zpci.relaxed-translation = "off"',
                'zpci.relaxed-translation = "off" if accel == kvm',
            ),
            "cannot be in the array c/s390_ccw_machines.c keeps this set in",
        ),
        (
            "x86/pc-q35.mtc",
            (
                "machine pc-q35 9.2 { compat hw 9.2, pc 9.2 }",
                "machine pc-q35 9.2 { compat hw 9.2, pc 9.2, ccw 9.2 }",
            ),
            "sets of scope ccw are arrays inside the options functions of c/s390_ccw_machines.c",
        ),
    ],
)
def test_what_the_machine_files_cannot_hold_fails_the_build(tmp_path, path, change, message):
    shutil.copytree(ROOT / "machines", tmp_path / "machines")
    source = tmp_path / "machines" / path
    text = source.read_text()
    assert change[0] in text
    source.write_text(text.replace(*change))
    result = run_mtc("build", "--root", str(tmp_path))
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "generated").exists()
