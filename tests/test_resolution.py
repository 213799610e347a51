"""The real corpus against QEMU 10.0.0's facts (tests/reference).

Every expectation here is computed from the reference file alone: the
effective compat list of a machine is its family's default set, then the sets
of its chain from the newest version down (QEMU's options functions call
their parent first), then its own.
"""

import re

import pytest

from mtc import pipeline
from mtc.diagnostics import Diagnostics

from conftest import ROOT, json_at_10_0

FAMILIES = ("pc-i440fx", "pc-q35")
FAMILY_DEFAULT_SETS = {"pc-q35": ["pc_q35_compat_defaults"], "pc-i440fx": []}
TARGETS = {"x86_64": "x86_64-cpu", "i386": "i386-cpu"}


def generated(target):
    """The target's JSON for machines/ as of QEMU 10.0, which the reference
    describes (conftest.outputs_at)."""
    return json_at_10_0(target)


def reference_entry(entry, target):
    driver = entry["driver"]
    if entry["driver_macro"] and "TYPE_X86_CPU" in entry["driver_macro"]:
        driver = driver.removesuffix("x86_64-cpu") + TARGETS[target]
    return (driver, entry["property"], entry["value"], entry["optional"])


def reference_machines(reference, family):
    return {m["name"]: m for m in reference["families"][family]["machines"]}


def reference_compat(reference, family, name, target):
    machines = reference_machines(reference, family)
    chain = []
    node = machines[name]
    while node is not None:
        chain.append(node)
        node = machines[node["inherits"]] if node["inherits"] else None
    sets = list(FAMILY_DEFAULT_SETS[family])
    for machine in reversed(chain):  # newest first
        sets.extend(machine["compat_sets"])
    return [
        reference_entry(entry, target)
        for set_name in sets
        for entry in reference["compat_sets"][set_name]["entries"]
    ]


def test_every_reference_machine_is_generated(reference):
    for target in TARGETS:
        names = {m["name"] for m in generated(target)["machines"]}
        for family in FAMILIES:
            assert set(reference_machines(reference, family)) <= names


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("family", FAMILIES)
def test_compat_props_equal_reference(reference, family, target):
    machines = {m["name"]: m for m in generated(target)["machines"]}
    for name in reference_machines(reference, family):
        props = machines[name]["compat-props"]
        got = [(p["qom-type"], p["property"], p["value"], p.get("optional", False)) for p in props]
        assert got == reference_compat(reference, family, name, target), name


@pytest.mark.parametrize("target", TARGETS)
def test_lifecycle_alias_default_match_reference(reference, target):
    machines = {m["name"]: m for m in generated(target)["machines"]}
    for family in FAMILIES:
        for name, ref in reference_machines(reference, family).items():
            got = machines[name]
            assert got["deprecated"] == ref["deprecated"], name
            assert got["deletion-due"] == ref["deletion_due"], name
            assert got["deprecation-reason"] == ref["deprecation_reason"], name
            assert got.get("alias") == ref["alias"], name
            assert got["is-default"] == ref["is_default"], name
            assert got["parent"] == ref["inherits"], name


def versioned(target):
    return [m for m in generated(target)["machines"] if m["family"] in FAMILIES]


def test_deprecated_exactly_7_0_and_older():
    for machine in versioned("x86_64"):
        major, minor = (int(p) for p in machine["version"].split(".")[:2])
        assert machine["deprecated"] == ((major, minor) <= (7, 0)), machine["name"]


def q35_cpu_max(version):
    """The issue's statement of q35's max-cpus history."""
    major, minor = (int(p) for p in version.split(".")[:2])
    if (major, minor) <= (2, 7):
        return 255
    if (major, minor) <= (8, 0):
        return 288
    if (major, minor) <= (8, 2):
        return 1024
    return 4096


@pytest.mark.parametrize("target", TARGETS)
def test_family_level_facts(target):
    default_cpu = {"x86_64": "qemu64-x86_64-cpu", "i386": "qemu32-i386-cpu"}[target]
    for machine in versioned(target):
        major, minor = (int(p) for p in machine["version"].split(".")[:2])
        assert machine["hotpluggable-cpus"] is True
        assert machine["default-cpu-type"] == default_cpu
        assert machine["default-ram-id"] == "pc.ram"
        assert machine["numa-mem-supported"] == ((major, minor) <= (5, 0)), machine["name"]
        if machine["family"] == "pc-q35":
            assert machine["cpu-max"] == q35_cpu_max(machine["version"]), machine["name"]
        else:
            assert machine["cpu-max"] == 255


def test_options_follow_reference_assignments(reference):
    """Each option a version assigns in C is in effect for it and older ones,
    until an older version assigns it again."""
    declaration = re.compile(r'^option (\S+) .* c "([^"]+)"', re.M)
    lvalue_to_option = {}
    for path in (ROOT / "machines").rglob("*.mtc"):
        for name, lvalue in declaration.findall(path.read_text()):
            lvalue_to_option[lvalue] = name
    # Where each value is set is not in the JSON: ask the resolved model.
    resolved = pipeline.compile_project(pipeline.Project(ROOT), Diagnostics())
    x86_64 = resolved.targets["x86_64"]
    for family in FAMILIES:
        ref = reference_machines(reference, family)
        for name, machine in ref.items():
            for lvalue, c_value in machine["options"].items():
                option = x86_64.find(name).options[lvalue_to_option[lvalue]]
                assert option.set_by == name
                written = c_value.strip('"')
                value = option.value
                if isinstance(value, bool):
                    assert written == str(value).lower()
                elif c_value == "16 * GiB":
                    assert value == 16 << 30
                elif c_value == "CPU_VERSION_LEGACY":
                    assert value == 0
                else:
                    assert str(value) == written, (name, lvalue)


@pytest.mark.parametrize("target", TARGETS)
def test_isapc_in_the_default_build(target):
    """pc_piix.c's isapc_machine_options, built because CONFIG_ISAPC is on."""
    machines = {m["name"]: m for m in generated(target)["machines"]}
    isapc = machines["isapc"]
    assert isapc["cpu-max"] == 1
    assert isapc["default-cpu-type"] == f"486-{TARGETS[target]}"
    assert isapc["options"]["default-nic"] == "ne2k_isa"
    assert isapc["compat-props"] == []
    assert isapc["deprecated"] is False and isapc["version"] is None
    assert isapc["guard"] == {"config": "CONFIG_ISAPC"}
    assert not any(name.startswith("xenfv") for name in machines)  # CONFIG_XEN is off
    config = generated(target)["config"]
    assert config["CONFIG_ISAPC"] is True and config["CONFIG_XEN"] is False
