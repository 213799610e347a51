"""Vendor overlays (examples/overlay-rhel, examples/overlay-ubuntu) layered on
machines/, and abi-check across an upstream rebase beneath them."""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import pytest

from conftest import ROOT, date_open_release, open_next_release, run_mtc

RHEL = ROOT / "examples" / "overlay-rhel"
UBUNTU = ROOT / "examples" / "overlay-ubuntu"


def listed(stdout: str, target: str) -> dict[str, str]:
    """'name -> notes' of one target in `mtc list`."""
    out, current = {}, None
    for line in stdout.splitlines():
        if not line.startswith(" "):
            current = line.split(" ")[0]
        elif current == target:
            name, _, rest = line.strip().partition(" ")
            out[name] = rest
    return out


def test_rhel_overlay_takes_over_alias_and_default():
    result = run_mtc("list", "--overlay", str(RHEL), "--target", "x86_64")
    assert result.returncode == 0, result.stderr
    machines = listed(result.stdout, "x86_64")
    assert "(alias q35, default)" in machines["pc-q35-rhel9.6.0"]
    assert "deprecated" in machines["pc-i440fx-rhel7.6.0"]
    newest_q35 = max(
        (n for n in machines if n.startswith("pc-q35-") and n[7].isdigit()),
        key=lambda n: tuple(int(p) for p in n[7:].split(".")),
    )
    assert "alias" not in machines[newest_q35] and "default" not in machines[newest_q35]
    assert not any("default" in notes for name, notes in machines.items() if "rhel" not in name)


def test_vendor_machines_inherit_the_pinned_upstream_chain():
    rhel = json.loads(
        run_mtc("show", "pc-q35-rhel9.6.0", "--overlay", str(RHEL), "--json", check=True).stdout
    )
    upstream = json.loads(run_mtc("show", "pc-q35-9.1", "--json", check=True).stdout)
    assert rhel["parent"] == "pc-q35-9.1"
    sets = [p["set"] for p in rhel["compat-props"]]
    # The whole upstream chain down to 9.1, then RHEL's own set.
    assert sets[: len(upstream["compat-props"])] == [p["set"] for p in upstream["compat-props"]]
    assert sets[len(upstream["compat-props"]) :] == ["pc_rhel_compat"] * 2
    older = json.loads(
        run_mtc("show", "pc-q35-rhel9.0.0", "--overlay", str(RHEL), "--json", check=True).stdout
    )
    assert [p["set"] for p in older["compat-props"]][-4:] == [
        "hw_rhel_compat_9_5",
        "hw_rhel_compat_9_3",
        "hw_rhel_compat_9_1",
        "hw_rhel_compat_9_1",
    ]
    assert older["cpu-max"] == 710


def test_json_marks_vendor_machines(tmp_path):
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for overlay in (RHEL, UBUNTU):
        result = run_mtc("build", "--root", str(tmp_path), "--overlay", str(overlay))
        assert result.returncode == 0, result.stderr
        schema = json.loads(
            (ROOT / "compiler" / "backends" / "json" / "machines.schema.json").read_text()
        )
        data = json.loads((tmp_path / "generated" / "json" / "x86_64.json").read_text())
        jsonschema.validate(data, schema)
        vendor = [m for m in data["machines"] if m.get("vendor")]
        assert vendor and all(m["migratable-to-upstream"] is False for m in vendor)
        assert all(
            "vendor" not in m and "migratable-to-upstream" not in m
            for m in data["machines"]
            if m not in vendor
        )
        assert {m["name"] for m in vendor} == (
            {"pc-q35-rhel9.6.0", "pc-q35-rhel9.4.0", "pc-q35-rhel9.2.0"}
            | {"pc-q35-rhel9.0.0", "pc-i440fx-rhel7.6.0"}
            if overlay is RHEL
            else {"pc-i440fx-noble", "pc-q35-noble", "pc-q35-jammy"}
        )
    # The ubuntu overlay's default and aliases.
    ubuntu = {m["name"]: m for m in data["machines"]}
    assert (
        ubuntu["pc-i440fx-noble"]["alias"] == "ubuntu" and ubuntu["pc-i440fx-noble"]["is-default"]
    )
    assert ubuntu["pc-q35-noble"]["alias"] == "ubuntu-q35"


def test_a_missing_overlay_is_a_usage_error():
    result = run_mtc("list", "--overlay", str(ROOT / "examples" / "no-such-overlay"))
    assert result.returncode == 2
    assert (
        "error: --overlay " in result.stderr
        and "no-such-overlay: no such directory" in result.stderr
    )


# ---- abi-check across an upstream rebase -------------------------------------------


@pytest.fixture
def rebase(tmp_path):
    """base/: upstream machines/ as it is; new/: a copy to rebase onto."""
    base, new = tmp_path / "base", tmp_path / "new"
    for side in (base, new):
        shutil.copytree(ROOT / "machines", side / "machines")
    return base, new


def newest_dated_release(root) -> tuple[str, str]:
    """(X.Y, YYYY-MM-DD) of the newest release that is out: a planned one
    (after `mtc new-version`) has no date yet."""
    releases = [
        (words[1], words[3])
        for path in (root / "machines").rglob("*.mtc")
        for words in (line.split() for line in path.read_text().splitlines())
        if words[:1] == ["release"] and words[2:3] == ["date"]
    ]
    return max(releases, key=lambda r: tuple(int(p) for p in r[0].split(".")))


def abi_check(base, new, *extra):
    _, day = newest_dated_release(base)
    return run_mtc(
        "abi-check",
        "--root",
        str(new),
        "--base-dir",
        str(base),
        "--overlay",
        str(RHEL),
        "--as-of",
        day,
        *extra,
    )


def test_rebase_that_changes_a_vendor_type_fails(rebase):
    """Upstream adds a pin to the released hw_compat_9_1 for a property that
    already existed: every RHEL type inherits it, so each changes."""
    base, new = rebase
    hw = new / "machines" / "hw.mtc"
    text = hw.read_text()
    assert "compat hw 9.1 {\n" in text
    hw.write_text(
        text.replace("compat hw 9.1 {\n", 'compat hw 9.1 {\n    e1000.init-vet = "off"\n')
    )
    line = hw.read_text().splitlines().index('    e1000.init-vet = "off"') + 1
    result = abi_check(base, new)
    assert result.returncode == 1, result.stdout + result.stderr
    section = result.stdout.split("vendor machine types whose ABI the change altered:")[1]
    for vendor in ("pc-q35-rhel9.6.0", "pc-q35-rhel9.0.0"):
        assert f"  {vendor} [" in section
    # qemu-system-s390x has no e1000 (its QOM registry says so): the entry
    # matches no object there, so the s390x vendor types do not change.
    assert "s390-ccw-virtio-rhel9.6.0 [" not in section
    assert f'e1000.init-vet added = "off": entry hw_compat_9_1, machines/hw.mtc:{line}' in section
    # pc-i440fx-rhel7.6.0 pins pc-i440fx-3.0, whose chain applies the new
    # entry too, but hw_compat_6_0 sets the same property later: no change.
    assert "pc-i440fx-rhel7.6.0 [" not in section
    report = json.loads(abi_check(base, new, "--json").stdout)
    assert "pc-q35-rhel9.6.0" in report["vendor-changed"]
    assert not report["ok"]


def test_abi_neutral_rebase_passes(rebase):
    """Upstream opens the next release and pins a property the new release
    introduces in the previous release's set: no vendor type changes."""
    base, new = rebase
    date_open_release(base)  # upstream's release in progress, if any, is out
    cycle = open_next_release(new, date="2099-01-01")
    hw = new / "machines" / "hw.mtc"
    opened = f"compat hw {cycle.previous} {{\n"
    hw.write_text(
        hw.read_text().replace(opened, opened + '    virtio-net-pci.x-mtc-example = "off"\n', 1)
    )
    (new / "machines" / "registry" / "vendor-example-additions.mtc").write_text(
        f"qom-type virtio-net-pci {{\n    x-mtc-example bool since {cycle.new}\n}}\n"
    )
    result = abi_check(base, new)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vendor machine types whose ABI" not in result.stdout
    verbose = abi_check(base, new, "-v").stdout
    assert "info: virtio-net-pci.x-mtc-example now set" in verbose
    assert "pc-q35-rhel9.6.0" in verbose[verbose.index("x-mtc-example now set") :]


def test_abi_check_base_revision_beneath_an_overlay(tmp_path):
    """--base REV: upstream machines/ at a git revision, the overlay as it is."""
    shutil.copytree(ROOT / "machines", tmp_path / "machines")

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "machines")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "upstream")
    hw = tmp_path / "machines" / "hw.mtc"
    hw.write_text(
        hw.read_text().replace("compat hw 9.1 {\n", 'compat hw 9.1 {\n    e1000.init-vet = "off"\n')
    )
    _, day = newest_dated_release(tmp_path)
    result = run_mtc(
        "abi-check", "--base", "HEAD", "--overlay", str(RHEL), "--as-of", day, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "pc-q35-rhel9.6.0 [x86_64]:" in result.stdout
