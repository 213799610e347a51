"""What the C tests share: building a project with the CLI, compiling the
generated C the way QEMU's tree compiles it after `mtc qemu-swap` (the
stand-ins of tests/c/qemu include each generated file where the swap puts
it) with QEMU's own warning flags and -Werror, and walking the machine
classes with tests/c/harness*.c.

Expected values never come from the C backend: they come from the JSON
backend's output (assert_harness_agrees_with_json), tests/reference, or are
written out in the tests."""

from __future__ import annotations

import json
import re
import subprocess

from conftest import ROOT, run_mtc

C_TESTS = ROOT / "tests" / "c"
STUBS = C_TESTS / "stubs"
STANDINS = C_TESTS / "qemu"
HARNESS = C_TESTS / "harness.c"
HARNESS_ARCHES = C_TESTS / "harness_arches.c"

# QEMU 10.0's meson.build: warning_level=1 (-Wall), --werror, and warn_flags.
CFLAGS = [
    "-std=gnu11",
    "-Wall",
    "-Werror",
    "-Wempty-body",
    "-Wendif-labels",
    "-Wexpansion-to-defined",
    "-Wformat-security",
    "-Wformat-y2k",
    "-Wignored-qualifiers",
    "-Wimplicit-fallthrough=2",
    "-Winit-self",
    "-Wmissing-format-attribute",
    "-Wmissing-prototypes",
    "-Wnested-externs",
    "-Wold-style-declaration",
    "-Wold-style-definition",
    "-Wredundant-decls",
    "-Wshadow=local",
    "-Wstrict-prototypes",
    "-Wtype-limits",
    "-Wundef",
    "-Wvla",
    "-Wwrite-strings",
]
# As QEMU's config-target.h: TARGET_<BASE_ARCH> for every target of an arch.
TARGETS = {
    "x86_64": ["-DTARGET_I386", "-DTARGET_X86_64"],
    "i386": ["-DTARGET_I386"],
    "s390x": ["-DTARGET_S390X"],
    "aarch64": ["-DTARGET_ARM", "-DTARGET_AARCH64"],
    "arm": ["-DTARGET_ARM"],
    "ppc64": ["-DTARGET_PPC", "-DTARGET_PPC64"],
    "riscv64": ["-DTARGET_RISCV", "-DTARGET_RISCV64"],
}
X86 = ("x86_64", "i386")
# The stand-ins of QEMU's files each target's binary links.
STANDIN_FILES = {
    "x86_64": ["hw/core/machine.c", "hw/i386/pc.c", "hw/i386/pc_piix.c", "hw/i386/pc_q35.c"],
    "s390x": ["hw/core/machine.c", "hw/s390x/s390-virtio-ccw.c"],
    "aarch64": ["hw/core/machine.c", "hw/arm/virt.c"],
    "ppc64": ["hw/core/machine.c", "hw/ppc/spapr.c"],
    "riscv64": ["hw/core/machine.c", "hw/riscv/virt.c"],  # tests/fixtures/riscv-virt
}
STANDIN_FILES["i386"] = STANDIN_FILES["x86_64"]
STANDIN_FILES["arm"] = STANDIN_FILES["aarch64"]


def gcc(*args, cwd):
    result = subprocess.run(["gcc", *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc {' '.join(map(str, args))}\n{result.stderr}"


def run(program):
    result = subprocess.run([str(program)], capture_output=True)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("ascii")


def build_project(root, *config, at=None):
    """mtc build, with --config KEY=on|off for each of `config`; with `at`,
    the outputs of that release (mtc build --at), which is what the
    reference's QEMU has whatever release machines/ has opened since."""
    args = [arg for item in config for arg in ("--config", item)]
    if at is not None:
        args += ["--at", at, "-o", str(root / "generated")]
    result = run_mtc("build", "--root", str(root), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "generated"


def config_defines(generated, target):
    """-D flags for the build options the JSON backend's binary has on."""
    config = json.loads((generated / "json" / f"{target}.json").read_text())["config"]
    return [f"-D{name}" for name, on in sorted(config.items()) if on]


def compile_standin(gen_c, out, target, source, defines=(), tag=""):
    """One stand-in of a QEMU file (a path below tests/c/qemu, or any file),
    with the generated files it includes."""
    source = STANDINS / source if not str(source).startswith("/") else source
    obj = out / f"{source.stem}.{target}{tag}.o"
    gcc(
        *CFLAGS,
        *TARGETS[target],
        *defines,
        '-DCONFIG_DEVICES="config-devices.h"',
        f"-I{STUBS}",
        f"-I{STANDINS}",
        f"-I{gen_c}",
        "-c",
        source,
        "-o",
        obj,
        cwd=out,
    )
    return obj


def walk(gen_c, out, target, defines=(), tag="", files=None, harness=None):
    """The harness's output for `target`: the stand-ins compiled with
    `defines` (-DCONFIG_XEN ...) and linked with the harness."""
    files = STANDIN_FILES[target] if files is None else files
    harness = harness or (HARNESS if target in X86 else HARNESS_ARCHES)
    objects = [compile_standin(gen_c, out, target, f, defines, tag) for f in files]
    main = out / f"harness.{target}{tag}.o"
    gcc(
        *CFLAGS,
        *TARGETS[target],
        f"-I{STUBS}",
        f"-I{STANDINS}",
        f"-I{gen_c}",
        "-c",
        harness,
        "-o",
        main,
        cwd=out,
    )
    program = out / f"harness-{target}{tag}"
    gcc(*objects, main, "-o", program, cwd=out)
    return run(program)


def decode(field):
    if field == "-":
        return None
    assert field.startswith("x"), field
    return bytes.fromhex(field[1:]).decode("utf-8")


def parse_harness(text):
    """({machine name: {"alias", "default", "options", "props"}},
    {machine name: {"cpu": [...], "init": (...)}}) from a harness's output."""
    machines, extra = {}, {}
    current = None
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "machine":
            assert rest not in machines, f"{rest} registered twice"
            current = machines[rest] = {"options": {}, "props": []}
            extra[rest] = {"cpu": [], "init": None}
            name = rest
        elif kind == "alias":
            current["alias"] = decode(rest)
        elif kind == "default":
            current["default"] = rest == "1"
        elif kind == "option":
            option, vtype, value = rest.split(" ")
            current["options"][option] = {
                "bool": lambda v: v == "1",
                "int": int,
                "string": decode,
                "enum": str,
            }[vtype](value)
        elif kind == "prop":
            driver, prop, value, optional = rest.split(" ")
            current["props"].append((decode(driver), decode(prop), decode(value), optional == "1"))
        elif kind == "cpu":
            extra[name]["cpu"].append(rest)
        elif kind == "init":
            extra[name]["init"] = tuple(int(f) for f in rest.split(" "))
        else:
            assert kind == "end", line
    return machines, extra


def c_options(root):
    """Options declared with `c "lvalue"` in the project's machines/ whose
    value C and JSON both know (not `expr`: its value is C's to compute)."""
    names = set()
    for source in (root / "machines").rglob("*.mtc"):
        for name, kind in re.findall(r"^option (\S+) (\S+) .*\bc \"", source.read_text(), re.M):
            if kind != "expr":
                names.add(name)
    return names


HOST_ATOMS = {"os", "kernel", "accel", "feature"}


def is_host_guard(guard):
    """Whether a JSON guard expression is about the host."""
    if guard is None:
        return False
    ((kind, arg),) = guard.items()
    if kind in ("and", "or"):
        return any(is_host_guard(g) for g in arg)
    if kind == "not":
        return is_host_guard(arg)
    return kind in HOST_ATOMS


def assert_harness_agrees_with_json(machines, generated, target, families):
    """The harness's walk of the C equals the JSON backend's machines of
    `families`: compat list, alias, default, every option C has a field for
    and, for a family with a manual life cycle, the deprecation reason."""
    listed = [
        m
        for m in json.loads((generated / "json" / f"{target}.json").read_text())["machines"]
        if m["family"] in families
    ]
    assert sorted(machines) == sorted(m["name"] for m in listed)
    options = c_options(generated.parent)
    for machine in listed:
        walked = machines[machine["name"]]
        # Entries under a host guard are in the sets' _host tables.
        expected = [
            (p["qom-type"], p["property"], p["value"], p.get("optional", False))
            for p in machine["compat-props"]
            if not is_host_guard(p.get("guard"))
        ]
        assert walked["props"] == expected, machine["name"]
        assert walked["alias"] == machine.get("alias"), machine["name"]
        assert walked["default"] == machine["is-default"], machine["name"]
        for name, option in machine["options"].items():
            if name not in options:
                continue  # no machine-class field: nothing in C to compare
            assert name in walked["options"], f"the harness does not print option {name}"
            value = option["value"] if isinstance(option, dict) else option
            assert walked["options"][name] == value, (machine["name"], name)
        if machine["family"] in ("isapc", "xenfv"):
            assert walked["options"]["deprecation-reason"] == machine["deprecation-reason"]
