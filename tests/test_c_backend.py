"""The C backend: generated/c compiles and means what QEMU 10.0 means.

The project is built by the CLI in a subprocess into a scratch copy; the C is
compiled with gcc against the stub headers of tests/c (stubs-min: only what
the compat tables may use; stubs: the QEMU types the machine definitions
use) and run.  Expected values come from tests/reference, from the JSON
backend's output where the task is to agree with it, or are written out
literally here; never from the C backend itself.
"""

import json
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, run_mtc

STUBS_MIN = ROOT / "tests" / "c" / "stubs-min"
STUBS = ROOT / "tests" / "c" / "stubs"
HARNESS = ROOT / "tests" / "c" / "harness.c"

# The flags the issue asks for, plus the warnings QEMU's meson.build enables.
CFLAGS = [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wundef",
    "-Wwrite-strings",
    "-Wstrict-prototypes",
    "-Wmissing-prototypes",
    "-Wredundant-decls",
    "-Wold-style-definition",
    "-Wnested-externs",
    "-Wshadow=local",
]
# As QEMU's config-target.h: TARGET_I386 for both x86 emulators.
TARGETS = {"x86_64": ["-DTARGET_I386", "-DTARGET_X86_64"], "i386": ["-DTARGET_I386"]}
CPU_SUFFIX = {"x86_64": "x86_64-cpu", "i386": "i386-cpu"}
TABLES = ("hw_compat.c", "pc_compat.c")
MACHINES = {"pc-i440fx": "pc_piix_machines.c", "pc-q35": "pc_q35_machines.c"}
# Families whose machines are written in C (isapc and xenfv: DEFINE_PC_MACHINE).
C_FAMILIES = {**MACHINES, "isapc": "pc_piix_machines.c", "xenfv": "pc_piix_machines.c"}
HOST_FILES = ("host.h", "host_features.c")
# Sets a family's base options function adds (reference: families.*.base_options).
FAMILY_DEFAULT_SETS = {"pc-i440fx": [], "pc-q35": ["pc_q35_compat_defaults"]}


# -- helpers -------------------------------------------------------------------------


def gcc(*args, cwd):
    result = subprocess.run(["gcc", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc {' '.join(map(str, args))}\n{result.stderr}"


def run(program):
    result = subprocess.run([str(program)], capture_output=True)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("ascii")


def build_project(root, *config):
    """mtc build, with --config KEY=on|off for each of `config`."""
    args = [arg for item in config for arg in ("--config", item)]
    result = run_mtc("build", "--root", str(root), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "generated"


def config_defines(generated, target):
    """-D flags for the build options the JSON backend's binary has on."""
    config = json.loads((generated / "json" / f"{target}.json").read_text())["config"]
    return [f"-D{name}" for name, on in sorted(config.items()) if on]


def compile_tables(gen_c, out, target, defines=(), tag=""):
    objects = []
    for name in TABLES:
        obj = out / f"{name}.{target}{tag}.o"
        gcc(
            *CFLAGS,
            *TARGETS[target],
            *defines,
            f"-I{STUBS_MIN}",
            "-c",
            gen_c / name,
            "-o",
            obj,
            cwd=out,
        )
        objects.append(obj)
    return objects


def compile_harness(gen_c, out, target, table_objects, machine_files, defines=(), tag=""):
    """The harness linked with the machine files, each compiled with
    `defines` (-DCONFIG_XEN ...); `tag` keeps builds apart in one `out`."""
    objects = list(table_objects)
    for name in machine_files:
        obj = out / f"{name}.{target}{tag}.o"
        gcc(
            *CFLAGS,
            *TARGETS[target],
            *defines,
            f"-I{STUBS}",
            "-c",
            gen_c / name,
            "-o",
            obj,
            cwd=out,
        )
        objects.append(obj)
    harness = out / f"harness.{target}{tag}.o"
    gcc(*CFLAGS, *TARGETS[target], f"-I{STUBS}", "-c", HARNESS, "-o", harness, cwd=out)
    program = out / f"harness-{target}{tag}"
    gcc(*objects, harness, "-o", program, cwd=out)
    return program


def decode(field):
    if field == "-":
        return None
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:]).decode("utf-8")


def parse_harness(text):
    """{machine name: {"alias", "default", "options", "props"}}"""
    machines = {}
    current = None
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "machine":
            assert rest not in machines, f"{rest} registered twice"
            current = machines[rest] = {"options": {}, "props": []}
        elif kind == "alias":
            current["alias"] = decode(rest)
        elif kind == "default":
            current["default"] = rest == "1"
        elif kind == "option":
            name, vtype, value = rest.split(" ")
            current["options"][name] = {
                "bool": lambda v: v == "1",
                "int": int,
                "string": decode,
                "enum": str,
            }[vtype](value)
        elif kind == "prop":
            driver, prop, value, optional = rest.split(" ")
            current["props"].append((decode(driver), decode(prop), decode(value), optional == "1"))
        else:
            assert kind == "end", line
    return machines


def dump_program(names):
    """A C program printing the arrays `names`, entry by entry."""
    calls = "\n".join(f'    dump("{n}", {n}, {n}_len);' for n in names)
    return f"""#include <stdio.h>
#include "qemu/osdep.h"
#include "compat.h"

static void hex(const char *s)
{{
    putchar('x');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {{
        printf("%02x", *p);
    }}
}}

static void dump(const char *name, const GlobalProperty *props, size_t len)
{{
    printf("set %s %zu\\n", name, len);
    for (size_t i = 0; i < len; i++) {{
        fputs("prop ", stdout);
        hex(props[i].driver);
        putchar(' ');
        hex(props[i].property);
        putchar(' ');
        hex(props[i].value);
        printf(" %d %d\\n", props[i].optional ? 1 : 0, props[i].used ? 1 : 0);
    }}
}}

int main(void)
{{
{calls}
    return 0;
}}
"""


def parse_dump(text):
    sets, lengths = {}, {}
    for line in text.splitlines():
        kind, *fields = line.split(" ")
        if kind == "set":
            current = sets[fields[0]] = []
            lengths[fields[0]] = int(fields[1])
        else:
            driver, prop, value, optional, used = fields
            assert used == "0"
            current.append((decode(driver), decode(prop), decode(value), optional == "1"))
    assert {name: len(props) for name, props in sets.items()} == lengths
    return sets


def dump_tables(gen_c, out, target, names):
    source = out / f"dump-{target}.c"
    source.write_text(dump_program(names))
    obj = out / f"dump-{target}.o"
    gcc(*CFLAGS, *TARGETS[target], f"-I{STUBS_MIN}", f"-I{gen_c}", "-c", source, "-o", obj, cwd=out)
    program = out / f"dump-{target}"
    gcc(obj, *compile_tables(gen_c, out, target), "-o", program, cwd=out)
    return parse_dump(run(program))


def reference_entry(entry, target):
    driver = entry["driver"]
    if entry["driver_macro"] and "TYPE_X86_CPU" in entry["driver_macro"]:
        assert driver.endswith("x86_64-cpu")
        driver = driver.removesuffix("x86_64-cpu") + CPU_SUFFIX[target]
    return (driver, entry["property"], entry["value"], entry["optional"])


def reference_set_names(reference):
    return [
        name
        for name in reference["compat_sets"]
        if name.startswith(("hw_compat_", "pc_compat_")) or name == "pc_q35_compat_defaults"
    ]


# -- the real corpus -----------------------------------------------------------------


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "machines", root / "machines")
    return build_project(root)


@pytest.fixture(scope="session")
def harness_output(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("cbuild")
    result = {}
    files = sorted(set(C_FAMILIES.values()))
    for target in TARGETS:
        tables = compile_tables(built / "c", out, target)
        defines = config_defines(built, target)
        program = compile_harness(built / "c", out, target, tables, files, defines)
        result[target] = parse_harness(run(program))
    return result


def test_files_and_banner(built):
    names = sorted(p.name for p in (built / "c").iterdir())
    expected = {"compat.h", *TABLES, *MACHINES.values(), *HOST_FILES}
    assert expected <= set(names)
    # The rest: the other arches' machine files (tests/test_c_arches.py) and
    # the compat tables of other scopes, if any.
    assert all(name.endswith(("_compat.c", "_machines.c")) for name in set(names) - expected), names
    sources = sorted(p.relative_to(built.parent).as_posix() for p in (built.parent).rglob("*.mtc"))
    for name in names:
        text = (built / "c" / name).read_text()
        assert text.startswith("/*\n * generated by mtc from "), name
        comment = text[: text.index("*/")]
        flat = " ".join(line.lstrip(" *") for line in comment.splitlines())
        assert "do not edit" in flat
        for source in sources:
            assert source in flat, (name, source)


@pytest.mark.parametrize("target", TARGETS)
def test_tables_match_the_reference(built, reference, tmp_path, target):
    names = reference_set_names(reference)
    compiled = dump_tables(built / "c", tmp_path, target, names)
    for name in names:
        expected = [reference_entry(e, target) for e in reference["compat_sets"][name]["entries"]]
        assert compiled[name] == expected, name


def test_tables_are_newest_first_and_empty_sets_kept(built, reference):
    for file, prefix in (("hw_compat.c", "hw_compat_"), ("pc_compat.c", "pc_compat_")):
        text = (built / "c" / file).read_text()
        order = re.findall(r"^GlobalProperty (\w+)\[\] = \{", text, re.M)
        expected = [n for n in reference["compat_sets"] if n.startswith(prefix)]
        assert [n for n in order if n.startswith(prefix)] == expected
        for name in expected:
            assert f"const size_t {name}_len = G_N_ELEMENTS({name});\n" in text
            if not reference["compat_sets"][name]["entries"]:
                assert f"GlobalProperty {name}[] = {{}};\n" in text
    header = (built / "c" / "compat.h").read_text()
    for name in reference_set_names(reference):
        assert f"extern GlobalProperty {name}[];\nextern const size_t {name}_len;\n" in header


def test_target_dependent_drivers_are_written_as_qemu_does(built):
    text = (built / "c" / "pc_compat.c").read_text()
    assert "x86_64-cpu" not in text and "i386-cpu" not in text
    assert '    { TYPE_X86_CPU, "legacy-cache", "on" },\n' in text
    assert '    { "EPYC-" TYPE_X86_CPU, "xlevel", "0x8000000a" },\n' in text
    hw = (built / "c" / "hw_compat.c").read_text()
    assert (
        "    /* Optional because not all virtio-pci devices support legacy mode */\n"
        '    { "virtio-pci", "disable-modern", "on", .optional = true },\n'
    ) in hw


def options_with_a_c_field(root):
    """Options declared with `c "lvalue"` in the project's machines/."""
    names = set()
    for source in (root / "machines").rglob("*.mtc"):
        names |= set(re.findall(r'^option (\S+) .*\bc "', source.read_text(), re.M))
    return names


HOST_ATOMS = {"os", "kernel", "accel", "feature"}


def is_host_guard(guard):
    """Whether a JSON guard expression is about the host (checks.py keeps a
    guard either about the build or about the host)."""
    if guard is None:
        return False
    ((kind, arg),) = guard.items()
    if kind in ("and", "or"):
        return any(is_host_guard(g) for g in arg)
    if kind == "not":
        return is_host_guard(arg)
    return kind in HOST_ATOMS


def assert_harness_agrees_with_json(machines, generated, target, families=C_FAMILIES):
    """The harness's walk of the C equals the JSON backend's machines (of
    `families`): compat list, alias, default and every option C has a field
    for; for DEFINE_PC_MACHINE families, the deprecation reason too."""
    listed = [
        m
        for m in json.loads((generated / "json" / f"{target}.json").read_text())["machines"]
        if m["family"] in families
    ]
    assert sorted(machines) == sorted(m["name"] for m in listed)
    c_options = options_with_a_c_field(generated.parent)
    for machine in listed:
        walked = machines[machine["name"]]
        # Entries under a host guard are not in the static arrays the
        # options functions add (they are in the sets' _host tables).
        expected = [
            (p["qom-type"], p["property"], p["value"], p.get("optional", False))
            for p in machine["compat-props"]
            if not is_host_guard(p.get("guard"))
        ]
        assert walked["props"] == expected, machine["name"]
        assert walked["alias"] == machine.get("alias"), machine["name"]
        assert walked["default"] == machine["is-default"], machine["name"]
        for name, option in machine["options"].items():
            if name not in c_options:
                continue  # no machine-class field: nothing in C to compare
            assert name in walked["options"], f"tests/c/harness.c does not print option {name}"
            assert walked["options"][name] == option, (machine["name"], name)
        if machine["family"] in ("isapc", "xenfv"):
            assert walked["options"]["deprecation-reason"] == machine["deprecation-reason"]


@pytest.mark.parametrize("target", TARGETS)
def test_harness_agrees_with_the_json_backend(built, harness_output, target):
    assert_harness_agrees_with_json(harness_output[target], built, target)


@pytest.mark.parametrize("target", TARGETS)
def test_harness_agrees_with_the_reference(harness_output, reference, target):
    machines = harness_output[target]
    for family, file in MACHINES.items():
        listed = {m["name"]: m for m in reference["families"][family]["machines"]}
        for name, ref in listed.items():
            walked = machines[name]
            assert walked["alias"] == ref["alias"], name
            assert walked["default"] == ref["is_default"], name
            chain, node = [], ref
            while node is not None:
                chain.append(node)
                node = listed[node["inherits"]] if node["inherits"] else None
            sets = FAMILY_DEFAULT_SETS[family] + [
                s for m in reversed(chain) for s in m["compat_sets"]
            ]
            expected = [
                reference_entry(e, target)
                for s in sets
                for e in reference["compat_sets"][s]["entries"]
            ]
            assert walked["props"] == expected, name
        desc = reference["families"][family]["base_options"]["m->desc"]
        assert all(json.dumps(machines[name]["options"]["desc"]) == desc for name in listed), family


# -- the text of the machine definitions, against the reference --------------------

FUNCTION_RE = re.compile(
    r"^static void (\w+)\(MachineClass \*m\)\n\{\n(.*?)^\}\n(?:\n(DEFINE_\w+\([\d, ]+\));\n)?",
    re.M | re.S,
)


def statements(body):
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return [" ".join(s.split()) for s in body.split(";") if s.strip()]


def parse_functions(text):
    functions = {}
    for name, body, define in FUNCTION_RE.findall(text):
        calls, compat, assigns, decls = [], [], {}, []
        for stmt in statements(body):
            if m := re.fullmatch(r"compat_props_add\(m->compat_props, (\w+), (\w+)\)", stmt):
                assert m.group(2) == m.group(1) + "_len"
                compat.append(m.group(1))
            elif m := re.fullmatch(r"(\w+)\(m\)", stmt):
                calls.append(m.group(1))
            elif m := re.fullmatch(r"(\w+) \*(\w+) = (\w+)\(m\)", stmt):
                decls.append(m.group(2))
            else:
                lhs, rhs = stmt.split(" = ", 1)
                assigns.setdefault(lhs, []).append(rhs)
        functions[name] = {
            "calls": calls,
            "compat": compat,
            "assigns": assigns,
            "decls": decls,
            "define": define or None,
        }
    return functions


@pytest.mark.parametrize("family", MACHINES)
def test_machine_definitions_match_the_reference(built, reference, family):
    text = (built / "c" / MACHINES[family]).read_text()
    functions = parse_functions(text)
    ref_family = reference["families"][family]
    listed = {m["name"]: m for m in ref_family["machines"]}
    base = re.search(r"Base function (\w+)\(\)", ref_family["notes"]).group(1)

    def options_fn(machine):
        return re.search(r"options function (\w+)", machine["define"]).group(1)

    order = []
    for name, machine in listed.items():
        fn = options_fn(machine)
        assert fn in functions, f"{name}: no {fn}"
        got = functions[fn]
        parent = options_fn(listed[machine["inherits"]]) if machine["inherits"] else base
        assert got["calls"] == [parent], name
        assert got["compat"] == machine["compat_sets"], name
        assert {k: v[-1] for k, v in got["assigns"].items()} == machine["options"], name
        assert all(len(v) == 1 for v in got["assigns"].values()), name
        assert got["define"] == machine["define"].split(" (")[0], name
        order.append(fn)
    # Newest first, as QEMU's files are, so each function follows its parent.
    defined = [fn for fn in functions if functions[fn]["define"]]
    assert defined == order

    # The base function: the reference's family base options it sets, and
    # the family default sets.
    assert base in functions
    got = functions[base]
    assert got["compat"] == FAMILY_DEFAULT_SETS[family]
    for lvalue, value in ref_family["base_options"].items():
        if lvalue in got["assigns"]:
            assert got["assigns"][lvalue][-1] == value, lvalue

    # The DEFINE macros expand as the reference records for the newest.
    mechanism = ref_family["alias_default_mechanism"]
    latest, major, minor, expansion = re.search(
        r"(DEFINE_\w+_AS_LATEST)\((\d+), (\d+)\) -> (.*?\))[;:\s]", mechanism
    ).groups()
    macro = re.search(rf"^#define {latest}\(major, minor\) \\\n    (.*);$", text, re.M)
    assert macro.group(1).replace("major, minor", f"{major}, {minor}") == expansion


@pytest.mark.parametrize("family", MACHINES)
def test_local_declarations_only_where_used(built, family):
    text = (built / "c" / MACHINES[family]).read_text()
    for name, fn in parse_functions(text).items():
        used = {lhs.split("->")[0] for lhs in fn["assigns"]} - {"m"}
        assert sorted(fn["decls"]) == sorted(used), name
    assert "PCMachineClass *pcmc = PC_MACHINE_CLASS(m);" in text
    assert "X86MachineClass *x86mc = X86_MACHINE_CLASS(m);" in text


def test_check_covers_generated_c(built):
    root = built.parent
    assert run_mtc("check", "--root", str(root)).returncode == 0
    path = built / "c" / "pc_compat.c"
    path.write_text(path.read_text().replace('"legacy-cache", "on"', '"legacy-cache", "off"'))
    result = run_mtc("check", "--root", str(root))
    assert result.returncode == 1
    assert "generated/c/pc_compat.c" in result.stdout
    build_project(root)
    assert run_mtc("check", "--root", str(root)).returncode == 0


# -- any value the DSL can hold ------------------------------------------------------

# Each: a Python string, compared byte for byte after gcc and a C program.
AWKWARD = [
    'quote " backslash \\ end-comment */ open /* newline \n tab \t done',
    "é0 ü1 日本 \u00e9abc \u00ff7 😀7",  # non-ASCII followed by digits and hex letters
    "??= ??/ ??' ??( ?? ???",  # would-be trigraphs
    "\x01\x1b\x1f\x7f\r controls",
    "",
    "trailing backslash \\",
    "\\x41\\101\\n",  # C escapes as plain text
]
DRIVER = 'we"ird\\drv*/'
PROPERTY = "p*/q/*r"


def dsl_string(text):
    """Write `text` as an mtc string literal (escapes: \\" \\\\ \\n \\t \\uXXXX)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def awkward_project(root):
    entries = "\n".join(
        f"    {dsl_string(DRIVER)}.v{i} = {dsl_string(value)}" for i, value in enumerate(AWKWARD)
    )
    (root / "machines").mkdir()
    (root / "machines" / "awkward.mtc").write_text(
        f"""
release 1.0 date 2020-01-01
release 2.0 date 2021-01-01

target x86_64 {{
    binary "qemu-system-x86_64"
    arch x86_64
    wordsize 64
    define TYPE_X86_CPU "x86_64-cpu"
}}
target i386 {{
    binary "qemu-system-i386"
    arch i686
    wordsize 32
    define TYPE_X86_CPU "i386-cpu"
}}

option default-nic str c "m->default_nic"
option hw-version str c "m->hw_version"
option default-cpu-type typename c "m->default_cpu_type"

compat hw 1.0 {{
    # above: ends */ here, opens /* there, /*/ both
{entries}
    {dsl_string(PROPERTY)}.{dsl_string(PROPERTY)} = "x" optional # trailing */ comment /* ü
}}

compat pc 1.0 {{
    ${{TYPE_X86_CPU}}.a = "1"
    "pre-${{TYPE_X86_CPU}}-post".b = "2"
}}

family pc-i440fx {{
    name "pc-i440fx-{{version}}"
    targets x86_64, i386
    alias pc
    desc {dsl_string(AWKWARD[0])}
    option default-nic = {dsl_string(AWKWARD[1])}
}}

machine pc-i440fx 2.0 {{ alias default }}
machine pc-i440fx 1.0 {{
    compat hw 1.0, pc 1.0
    option hw-version = {dsl_string(AWKWARD[2])}
    option default-cpu-type = ${{TYPE_X86_CPU}}
}}
""",
        encoding="utf-8",
    )


@pytest.mark.parametrize("target", TARGETS)
def test_awkward_values_compile_and_read_back_unchanged(tmp_path, target):
    awkward_project(tmp_path)
    gen_c = build_project(tmp_path) / "c"
    out = tmp_path / "out"
    out.mkdir()
    hw = [(DRIVER, f"v{i}", value, False) for i, value in enumerate(AWKWARD)]
    hw.append((PROPERTY, PROPERTY, "x", True))
    cpu = CPU_SUFFIX[target]
    pc = [(cpu, "a", "1", False), (f"pre-{cpu}-post", "b", "2", False)]

    tables = dump_tables(gen_c, out, target, ["hw_compat_1_0", "pc_compat_1_0"])
    assert tables == {"hw_compat_1_0": hw, "pc_compat_1_0": pc}

    objects = compile_tables(gen_c, out, target)
    program = compile_harness(gen_c, out, target, objects, ["pc_piix_machines.c"])
    machines = parse_harness(run(program))
    assert sorted(machines) == ["pc-i440fx-1.0", "pc-i440fx-2.0"]
    old, new = machines["pc-i440fx-1.0"], machines["pc-i440fx-2.0"]
    assert new["props"] == [] and old["props"] == hw + pc
    assert new["alias"] == "pc" and new["default"] and old["alias"] is None
    for machine in (old, new):
        assert machine["options"]["desc"] == AWKWARD[0]
        assert machine["options"]["default-nic"] == AWKWARD[1]
    assert old["options"]["hw-version"] == AWKWARD[2]
    assert new["options"]["hw-version"] is None
    assert old["options"]["default-cpu-type"] == cpu

    # The comments travelled, defused, and did not cut an entry short.
    text = (gen_c / "hw_compat.c").read_text()
    assert "    /* above: ends * / here, opens / * there, / * / both */\n" in text
    assert ".optional = true }, /* trailing * / comment / * ü */\n" in text


def test_a_parent_older_than_its_child_is_declared_first(tmp_path):
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "chain.mtc").write_text("""
release 1.0 date 2020-01-01
release 2.0 date 2021-01-01
release 3.0 date 2022-01-01
target x86_64 { binary "qemu-system-x86_64" arch x86_64 define TYPE_X86_CPU "x86_64-cpu" }
compat hw 1.0 { a.b = "1" }
compat hw 2.0 { c.d = "2" }
family pc-q35 { name "pc-q35-{version}" targets x86_64 }
machine pc-q35 3.0 { }
machine pc-q35 2.0 { compat hw 2.0  inherits 1.0 }
machine pc-q35 1.0 { compat hw 1.0  inherits 3.0 }
""")
    gen_c = build_project(tmp_path) / "c"
    out = tmp_path / "out"
    out.mkdir()
    objects = [out / "hw_compat.o"]
    gcc(*CFLAGS, f"-I{STUBS_MIN}", "-c", gen_c / "hw_compat.c", "-o", objects[0], cwd=out)
    program = compile_harness(gen_c, out, "x86_64", objects, ["pc_q35_machines.c"])
    machines = parse_harness(run(program))
    assert machines["pc-q35-3.0"]["props"] == []
    assert machines["pc-q35-1.0"]["props"] == [("a", "b", "1", False)]
    assert machines["pc-q35-2.0"]["props"] == [("a", "b", "1", False), ("c", "d", "2", False)]


def test_a_value_c_cannot_hold_fails_the_build_and_writes_nothing(tmp_path):
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "nul.mtc").write_text("""
release 1.0 date 2020-01-01
target x86_64 { binary "qemu-system-x86_64" arch x86_64 }
compat hw 1.0 { a.b = "x\\u0000y" }
""")
    result = run_mtc("build", "--root", str(tmp_path))
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert "nul.mtc:4" in result.stderr and "NUL" in result.stderr
    assert not (tmp_path / "generated").exists()


def test_option_comments_travel_into_c():
    """A comment above an option in the DSL stands above its assignment in C,
    where QEMU keeps it (pc_i440fx_machine_8_0_options)."""
    dsl = (ROOT / "machines" / "x86" / "pc-i440fx.mtc").read_text().splitlines()
    at = next(i for i, line in enumerate(dsl) if line.startswith("machine pc-i440fx 8.0 "))
    comment_line = next(l for l in dsl[at:] if l.strip().startswith("#"))
    comment = comment_line.strip()[1:].strip()
    c_lines = (ROOT / "generated" / "c" / "pc_piix_machines.c").read_text().splitlines()
    start = c_lines.index("static void pc_i440fx_machine_8_0_options(MachineClass *m)")
    body = c_lines[start : c_lines.index("}", start)]
    index = body.index(f"    /* {comment} */")
    assert body[index + 1] == "    pcmc->default_smbios_ep_type = SMBIOS_ENTRY_POINT_TYPE_32;"
