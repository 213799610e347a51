"""s390-ccw-virtio, virt and pseries against QEMU 10.0.0's facts (issue 8).

Expectations come from the reference file alone: a machine's compat list is
its family's default set (arm_virt_compat for virt), then the sets of its
chain from the newest version down, then its own.
"""

import json

import pytest

from conftest import json_at_10_0, run_mtc

FAMILIES = {
    "s390-ccw-virtio": {"targets": ["s390x"], "defaults": []},
    "virt": {"targets": ["aarch64", "arm"], "defaults": ["arm_virt_compat"]},
    "pseries": {"targets": ["ppc64"], "defaults": []},
}


def generated(target):
    """The target's JSON for machines/ as of QEMU 10.0, which the reference
    describes (conftest.outputs_at)."""
    return json_at_10_0(target)


def reference_machines(reference, family):
    return {m["name"]: m for m in reference["families"][family]["machines"]}


def reference_compat(reference, family, name):
    machines = reference_machines(reference, family)
    chain, node = [], machines[name]
    while node is not None:
        chain.append(node)
        node = machines[node["inherits"]] if node["inherits"] else None
    sets = list(FAMILIES[family]["defaults"])
    for machine in reversed(chain):
        sets.extend(machine["compat_sets"])
    return [
        (e["driver"], e["property"], e["value"], e["optional"])
        for s in sets
        for e in reference["compat_sets"][s]["entries"]
    ]


def cases():
    return [(f, t) for f, info in FAMILIES.items() for t in info["targets"]]


@pytest.mark.parametrize("family, target", cases())
def test_every_machine_with_the_reference_compat_list(reference, family, target):
    machines = {m["name"]: m for m in generated(target)["machines"]}
    expected = reference_machines(reference, family)
    assert {n for n, m in machines.items() if m["family"] == family} == set(expected)
    for name, ref in expected.items():
        got = machines[name]
        props = [
            (p["qom-type"], p["property"], p["value"], p.get("optional", False))
            for p in got["compat-props"]
        ]
        assert props == reference_compat(reference, family, name), name
        assert got["deprecated"] == ref["deprecated"], name
        assert got.get("alias") == ref["alias"], name
        assert got["is-default"] == ref["is_default"], name
        assert got["parent"] == ref["inherits"], name


def version(machine):
    return tuple(int(p) for p in machine["version"].split(".")[:2])


def test_s390x_facts():
    for m in generated("s390x")["machines"]:
        assert m["cpu-max"] == 248  # S390_MAX_CPUS
        assert m["default-cpu-type"] == "qemu-s390x-cpu"
        assert m["default-ram-id"] == "s390.ram"
        assert m["acpi"] is False and m["numa-mem-supported"] is False
        legacy = version(m) <= (2, 11)
        assert (m.get("guard") == {"config": "CONFIG_S390X_LEGACY_CPUS"}) == legacy, m["name"]


@pytest.mark.parametrize("target", ["aarch64", "arm"])
def test_virt_facts(target):
    for m in generated(target)["machines"]:
        assert m["cpu-max"] == (255 if version(m) <= (2, 12) else 512), m["name"]
        assert m["default-cpu-type"] == "cortex-a15-arm-cpu"  # CONFIG_TCG on
        assert m["numa-mem-supported"] == (version(m) <= (5, 0)), m["name"]
        assert m["is-default"] is False  # arm has no default machine


def test_pseries_facts():
    for m in generated("ppc64")["machines"]:
        v = version(m)
        cpu = "power10_v2.0" if v >= (9, 0) else "power9_v2.2" if v >= (4, 0) else "power8_v2.0"
        assert m["default-cpu-type"] == f"{cpu}-powerpc64-cpu", m["name"]
        assert m["cpu-max"] == 0x1000  # SPAPR_IRQ_NR_IPIS
        assert m["numa-mem-supported"] == (v <= (5, 0)), m["name"]
    caps = {m["name"]: m["options"] for m in generated("ppc64")["machines"]}
    assert caps["pseries-4.2"]["cap-ccf-assist"] == 0  # SPAPR_CAP_OFF
    assert caps["pseries-5.0"]["cap-ccf-assist"] == 1
    assert caps["pseries-3.0"]["irq"] == "&spapr_irq_xics_legacy"


def test_without_legacy_cpus_the_old_s390_machines_go(project_copy):
    result = run_mtc(
        "build", "--root", str(project_copy), "--config", "CONFIG_S390X_LEGACY_CPUS=off"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((project_copy / "generated" / "json" / "s390x.json").read_text())
    names = {m["name"] for m in data["machines"]}
    assert "s390-ccw-virtio-2.12" in names and "s390-ccw-virtio-2.11" not in names


def remove_machine(path, family, version):
    """Delete one machine block, whether written on one line or several."""
    lines = path.read_text().splitlines(keepends=True)
    head = f"machine {family} {version} {{"
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    end = start
    while not lines[end].rstrip().endswith("}"):
        end += 1
    del lines[start : end + 1]
    path.write_text("".join(lines))


def test_a_missing_version_fails_the_build_naming_it(project_copy):
    remove_machine(project_copy / "machines" / "arm" / "virt.mtc", "virt", "6.0")
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "no machine for release 6.0 between 5.2 and 6.1 (missing virt-6.0)" in result.stderr


def test_a_machine_that_forgets_its_hw_set_fails(project_copy):
    path = project_copy / "machines" / "ppc" / "pseries.mtc"
    text = path.read_text()
    assert "machine pseries 6.0 { compat hw 6.0 }" in text
    path.write_text(
        text.replace("machine pseries 6.0 { compat hw 6.0 }", "machine pseries 6.0 { }")
    )
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "pseries-6.0 does not apply hw_compat_6_0" in result.stderr
    assert "[-Wcompleteness]" in result.stderr
