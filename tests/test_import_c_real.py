"""mtc import-c on Debian's real QEMU trees, compared with machines/, with the
installed QEMU 10.0.2 binaries and with real QEMU 7.2 binaries.

.ci/qemu-sources unpacks the trees below $MTC_QEMU_TREES -- qemu-10.0
(upstream 10.0.2) and qemu-7.2 (Debian's 7.2 with its patches) -- and
bookworm's QEMU 7.2 x86 and s390x emulators into /opt/mtc-qemu-7.2
(test_qemu_live.py uses the same ones).  Under CI (MTC_REQUIRE_QEMU=1, which .ci/run
sets, or CI=true) a missing tree is a failure; on a developer machine without
them these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_mtc

TREES = os.environ.get("MTC_QEMU_TREES")
# bookworm's QEMU 7.2 (x86 and s390x), unpacked beside the installed 10.0.2.
QEMU_72 = Path("/opt/mtc-qemu-7.2")
# The installed Debian QEMU 10.0.2 system emulators mtc verify asks.
TARGETS = ("x86_64", "i386", "aarch64", "arm", "s390x", "ppc64")


def tree(name: str) -> Path:
    if not TREES:
        if os.environ.get("MTC_REQUIRE_QEMU") == "1" or os.environ.get("CI") == "true":
            pytest.fail("CI must provide Debian's QEMU trees: set MTC_QEMU_TREES (.ci/run does)")
        pytest.skip("MTC_QEMU_TREES is not set: run .ci/qemu-sources DIR and export it")
    path = Path(TREES) / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run .ci/qemu-sources {TREES}")
    return path


def import_tree(source: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    result = run_mtc("import-c", str(source), "-o", str(out), *options)
    assert result.returncode == 0, result.stderr
    build = run_mtc("build", "--root", str(out))
    assert build.returncode == 0, build.stderr
    assert " error: " not in build.stderr
    return result


def resolve(root: Path):
    from mtc import pipeline
    from mtc.diagnostics import Diagnostics

    diags = Diagnostics()
    resolved = pipeline.compile_project(pipeline.Project(root), diags)
    assert resolved is not None, diags.render()
    return resolved


def resolved_records(resolved) -> dict:
    """Every machine of every target as the JSON backend records it (its
    CPU-model defaults and instance globals included), its compat
    properties without the source lines they come from; each target's
    CPU models and its libvirt domain capabilities."""
    from mtc import cpumodels
    from mtc.backends.json import machine_object
    from mtc.backends.libvirt import render_domcaps

    records = {}
    for target, resolved_target in resolved.targets.items():
        for machine in resolved_target.machines:
            record = machine_object(machine)
            record["compat-props"] = [
                (p.driver, p.property, p.value, p.optional, p.provenance.set_name, p.compat.version)
                for p in machine.compat_props
            ]
            records[(target, machine.name)] = record
        if resolved_target.cpu_models is not None:
            records[(target, "cpu-models")] = cpumodels.target_json(resolved_target.cpu_models)
            records[(target, "domcaps")] = render_domcaps(resolved_target, [])
    return records


@pytest.fixture(scope="module")
def imported_10(tmp_path_factory):
    out = tmp_path_factory.mktemp("import-10.0")
    result = import_tree(tree("qemu-10.0"), out)  # everything translates: no --partial
    return out, result


@pytest.fixture(scope="module")
def imported_72(tmp_path_factory):
    out = tmp_path_factory.mktemp("import-7.2")
    result = import_tree(tree("qemu-7.2"), out, "--partial")
    return out, result


# ---- QEMU 10.0.2: the import resolves as machines/ does ----------------------------


def test_10_0_imports_everything(imported_10):
    _, result = imported_10
    assert ": warning: " not in result.stderr and ": error: " not in result.stderr, result.stderr
    assert "138 machine types, 67 compat sets" in result.stdout


def test_10_0_resolves_like_machines(imported_10):
    """Every machine type of every target, and the s390x CPU models: the
    imported tree and machines/ as of 10.0 (machines/ may have opened newer
    releases since: asof.py takes it back) resolve to the same records."""
    from mtc import asof

    out, _ = imported_10
    theirs_resolved = resolve(out)
    release = theirs_resolved.corpus.current_release
    ours = resolved_records(asof.resolve_at(resolve(ROOT), release))
    theirs = resolved_records(theirs_resolved)
    assert set(ours) == set(theirs)
    differences = []
    for key in sorted(theirs):
        if not isinstance(theirs[key], dict):
            if ours[key] != theirs[key]:
                differences.append((key, "text"))
            continue
        for field in sorted(set(ours[key]) | set(theirs[key])):
            if ours[key].get(field) != theirs[key].get(field):
                differences.append((key, field, ours[key].get(field), theirs[key].get(field)))
    assert not differences, differences[:5]
    assert len(theirs) > 200  # every target's machines were compared
    cpu = theirs[("s390x", "cpu-models")]
    assert len(cpu["features"]) > 390 and len(cpu["definitions"]) == 40
    machine = theirs[("s390x", "s390-ccw-virtio-2.9")]
    assert machine["instance-globals"]["css_migration_enabled"]["value"] is False
    assert machine["cpu-models"]["qemu-model"]["definition"] == "z900"


def test_10_0_import_verifies_against_the_installed_binaries(imported_10):
    out, _ = imported_10
    args = ["verify", "--root", str(out)]
    for target in TARGETS:
        binary = Path(f"/usr/bin/qemu-system-{target}")
        assert os.access(binary, os.X_OK), f"{binary} missing: .ci/run installs QEMU 10.0.2"
        args += ["--qemu", str(binary)]
    result = run_mtc(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agrees with 6 binaries" in result.stdout + result.stderr


def test_10_0_imports_comments_and_guards(imported_10):
    out, _ = imported_10
    hw = (out / "machines" / "hw.mtc").read_text()
    assert "# Optional because not all virtio-pci devices support legacy mode" in hw
    assert 'virtio-pci.disable-modern = "on" optional' in hw
    virt = (out / "machines" / "arm" / "virt.mtc").read_text()
    assert "if config.CONFIG_TCG" in virt and "if not config.CONFIG_TCG" in virt
    piix = (out / "machines" / "x86" / "pc_piix.mtc").read_text()
    assert "if config.CONFIG_XEN" in piix and "inherits pc-i440fx 4.2" in piix
    ccw = (out / "machines" / "s390x" / "s390-virtio-ccw.mtc").read_text()
    assert "    # before 2.12 we emulated the very first z900\n" in ccw
    assert "    cpu-featoff gen16.1 nnpa, vxpdeh2, beareh, rdp, pai\n" in ccw
    models = (out / "machines" / "s390x" / "cpu-models.mtc").read_text()
    assert (
        '    cpu z900 0x2064 gen7.1 "IBM zSeries 900 GA1" mha-pow 38 hmfai 0x00000000 '
        "if config.CONFIG_S390X_LEGACY_CPUS\n"
    ) in models


# ---- QEMU 7.2: the import agrees with Debian's real 7.2 binary ---------------------

# Machine types of files import-c does not read (hw/i386/microvm.c,
# hw/core/null-machine.c, hw/remote/machine.c).
NOT_IMPORTED = {"microvm", "none", "x-remote"}
QUERY_FIELDS = (
    "alias",
    "is-default",
    "cpu-max",
    "hotpluggable-cpus",
    "numa-mem-supported",
    "deprecated",
    "default-cpu-type",
    "default-ram-id",
)


MODULES = "usr/lib/x86_64-linux-gnu/qemu"


def qemu72(target: str) -> Path:
    # Debian's qemu-system-i386 is a shell wrapper around /usr/libexec's.
    binary = QEMU_72 / "usr" / "libexec" / f"qemu-system-{target}"
    if not binary.is_file():
        binary = QEMU_72 / "usr" / "bin" / f"qemu-system-{target}"
    assert binary.is_file(), f"{binary} is missing: .ci/qemu-sources unpacks QEMU 7.2 there"
    return binary


def qmp(binary: Path, args: list[str], commands: list[dict]) -> list:
    """Run QEMU with QMP on stdio; the 'return' of each command, in order."""
    lines = [json.dumps({"execute": "qmp_capabilities"})]
    lines += [json.dumps(c) for c in commands] + [json.dumps({"execute": "quit"})]
    data = QEMU_72 / "usr" / "share" / "qemu"
    # SeaBIOS, and s390-ccw.img (bookworm builds no s390x firmware): 10.0.2's.
    firmware = ["-L", "/usr/share/seabios", "-L", str(data), "-L", "/usr/share/qemu"]
    proc = subprocess.run(
        [str(binary), *firmware, "-display", "none"] + args + ["-qmp", "stdio"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        # Its own modules (accel-tcg-x86_64.so), not the installed 10.0.2's.
        env={**os.environ, "QEMU_MODULE_DIR": str(QEMU_72 / MODULES)},
    )
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    returns = [r for r in replies if "return" in r or "error" in r][1:]
    assert len(returns) >= len(commands), (proc.stdout, proc.stderr)
    for reply in returns:
        assert "error" not in reply, reply
    return [r["return"] for r in returns[: len(commands)]]


def test_7_2_untranslated_are_reported_with_their_place(imported_72):
    _, result = imported_72
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    text = "\n".join(warnings)
    # Debian's microvm-default patch puts is_default under #ifdef.
    assert "pc_piix.c:" in text and "m->is_default under a build-time #if" in text
    # pc-i440fx-2.3 and older run an instance-time pc_compat_X_Y_fn.
    assert "pc-i440fx-2.3: its init runs pc_compat_2_3_fn()" in text
    assert "NULL (no value) cannot be written in mtc" in text
    # Everything else translates: all of them are in hw/i386's PC machines,
    # s390x's instance options (called from instance_init in 7.x) included.
    assert all("/hw/i386/pc_piix.c:" in line for line in warnings), text


@pytest.mark.parametrize("target", ["x86_64", "i386"])
def test_7_2_machines_and_fields_match_the_binary(imported_72, target):
    out, _ = imported_72
    (machines,) = qmp(
        qemu72(target), ["-machine", "none", "-nodefaults"], [{"execute": "query-machines"}]
    )
    real = {m["name"]: m for m in machines if m["name"] not in NOT_IMPORTED}
    generated = json.loads((out / "generated" / "json" / f"{target}.json").read_text())
    ours = {m["name"]: m for m in generated["machines"]}
    assert set(ours) == set(real)
    mismatches = []
    for name, machine in real.items():
        for field in QUERY_FIELDS:
            expected = machine.get(field, False if field == "is-default" else None)
            if ours[name].get(field) != expected:
                mismatches.append((name, field, expected, ours[name].get(field)))
    assert not mismatches, mismatches[:10]


def effective(record: dict, drivers: tuple[str, ...], prop: str):
    """The value the imported tree gives prop of an object of one of drivers
    (itself and its QOM parents): the last compat entry wins."""
    value = None
    for entry in record["compat-props"]:
        if entry["qom-type"] in drivers and entry["property"] == prop:
            value = entry["value"]
    return value


def normal(value):
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("on", "true"):
            return True
        if lowered in ("off", "false"):
            return False
        return int(value, 0) if lowered.lstrip("-").isdigit() or lowered.startswith("0x") else value
    return value


# (device options, QOM path, property, the QOM types whose compat entries apply)
PROBES = [
    ("virtio-rng-pci,id=r", "/machine/peripheral/r", "vectors", ("virtio-rng-pci",)),
    (
        "virtio-net-pci,id=n,romfile=",
        "/machine/peripheral/n/virtio-backend",
        "x-mtu-bypass-backend",
        ("virtio-device", "virtio-net-device"),
    ),
    (
        "virtio-net-pci,id=n,romfile=",
        "/machine/peripheral/n/virtio-backend",
        "queue_reset",
        ("virtio-device", "virtio-net-device"),
    ),
]


@pytest.mark.parametrize(
    "machine", ["pc-q35-7.2", "pc-q35-7.1", "pc-q35-2.8", "pc-i440fx-2.9", "pc-i440fx-6.2"]
)
def test_7_2_effective_values_match_the_binary(imported_72, machine):
    """qom-get on a running 7.2 machine gives what the imported tree's
    resolved compat properties say (QEMU's default where no entry applies)."""
    out, _ = imported_72
    generated = json.loads((out / "generated" / "json" / "x86_64.json").read_text())
    record = next(m for m in generated["machines"] if m["name"] == machine)
    newest = next(m for m in generated["machines"] if m.get("alias") == "q35")
    devices = sorted({probe[0] for probe in PROBES})
    args = ["-machine", f"{machine},accel=tcg", "-S", "-nodefaults"]
    for device in devices:
        args += ["-device", device]
    commands = [
        {"execute": "qom-get", "arguments": {"path": path, "property": prop}}
        for _, path, prop, _ in PROBES
    ]
    values = qmp(qemu72("x86_64"), args, commands)
    defaults = None
    for (_, path, prop, drivers), value in zip(PROBES, values):
        expected = effective(record, drivers, prop)
        if expected is None:
            assert effective(newest, drivers, prop) is None
            if defaults is None:
                defaults = qmp(
                    qemu72("x86_64"),
                    ["-machine", f"{newest['name']},accel=tcg", "-S", "-nodefaults"]
                    + [a for d in devices for a in ("-device", d)],
                    commands,
                )
            expected = defaults[PROBES.index(next(p for p in PROBES if p[2] == prop))]
        assert normal(value) == normal(expected), (machine, path, prop, value, expected)


# ---- QEMU 7.2's s390x CPU models: the import agrees with the real binary -----------

CPU_MODELS = ("qemu", "gen16a", "z14", "z13", "zEC12", "z196", "z10EC")


@pytest.mark.parametrize(
    "machine", ["7.2", "7.1", "6.1", "6.0", "4.0", "3.1", "2.12", "2.9"], ids=lambda v: v
)
def test_7_2_s390x_cpu_models_match_the_binary(imported_72, machine):
    """Debian's QEMU 7.2 qemu-system-s390x (TCG) expands each CPU model of a
    machine type to the features the imported tree gives it: the 'qemu'
    model its instance options set, and each definition's default set minus
    what they turned off; it has the CPU definitions the tree has."""
    out, _ = imported_72
    generated = json.loads((out / "generated" / "json" / "s390x.json").read_text())
    models = generated["cpu-models"]
    groups = {g["name"]: set(g["features"]) for g in models["groups"]}
    definitions = {d["name"]: d for d in models["definitions"]}
    name = f"s390-ccw-virtio-{machine}"
    ours = next(m for m in generated["machines"] if m["name"] == name)["cpu-models"]
    commands = [{"execute": "query-cpu-definitions"}]
    for model in CPU_MODELS:
        arguments = {"type": "full", "model": {"name": model}}
        commands.append({"execute": "query-cpu-model-expansion", "arguments": arguments})
    arguments = {"type": "static", "model": {"name": "qemu"}}
    commands.append({"execute": "query-cpu-model-expansion", "arguments": arguments})
    replies = qmp(qemu72("s390x"), ["-machine", f"{name},accel=tcg", "-S", "-nodefaults"], commands)
    real = {d["name"] for d in replies[0] if not d["name"].endswith("-base")}
    assert real == set(definitions) | {"qemu", "max"}
    for model, reply in zip(CPU_MODELS, replies[1:]):
        # QEMU names a group whose every member is on by the group's name.
        features = set()
        for prop, on in reply["model"]["props"].items():
            features |= groups.get(prop, {prop}) if on else set()
        if model == "qemu":
            expected = set(ours["qemu-model"]["features"])
        else:
            level = definitions[model]["feature-sets"]
            removed = ours["default-features-removed"].get(model, [])
            expected = set(models["feature-sets"][level]["default"]) - set(removed)
        assert features == expected, (model, sorted(features ^ expected))
    assert replies[-1]["model"]["name"] == ours["qemu-model"]["definition"] + "-base"
