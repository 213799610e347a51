"""mtc abi-check: the QEMU 8.0 fixture against the 10.0 corpus, the
classification rules on small trees with and without a QOM registry, and
usage errors.

The 8.0 expectations are computed from the reference files only
(qemu-x86-compat.json, qemu-10.0-compat.json) and checked against what
qemu-8.0-to-10.0-changes.json says changed, never from mtc's output.  The
report checked against them compares the fixture with machines/ as of 10.0,
the release the references describe: after a maintainer opens 10.1, the live
tree has 10.1's machine types and compat entries too, which no 8.0-to-10.0
change explains.
"""

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from conftest import REFERENCE, REFERENCE_RELEASE, ROOT, run_mtc

from mtc import asof
from mtc.versions import Version
from mtc.workflow import abi, common

FIXTURE = ROOT / "tests" / "fixtures" / "qemu-8.0"
FAMILIES = ("pc-i440fx", "pc-q35")
TARGETS = {"x86_64": "x86_64-cpu", "i386": "i386-cpu"}
GIT = ["git", "-c", "user.email=test@example.com", "-c", "user.name=test"]


def load(name):
    return json.loads((REFERENCE / name).read_text())


@pytest.fixture(scope="module")
def fixture_report():
    """What `mtc abi-check --base-dir FIXTURE --json` reports, with machines/
    as of 10.0 on the new side (abi-check's check(), which the command runs;
    the command itself: test_fixture_text_output_groups_the_notes_by_cause)."""
    base = common.compile_tree(FIXTURE, "base")
    current = common.compile_tree(ROOT, "new")
    assert base is not None and current is not None
    new = asof.resolve_at(current, Version.parse(REFERENCE_RELEASE))
    report = abi.check(base, new, root=ROOT)
    assert report.ok, abi.render(report, False)
    return report.to_json()


# ---- the references, resolved by hand -----------------------------------------------


def expand(entry, target):
    driver = entry["driver"]
    if entry["driver_macro"] and "TYPE_X86_CPU" in entry["driver_macro"]:
        driver = driver.removesuffix("x86_64-cpu") + TARGETS[target]
    return driver


def chain(machines, name):
    """The machine and its ancestors, newest ancestor first."""
    nodes = []
    node = machines[name]
    while node is not None:
        nodes.append(node)
        node = machines[node["inherits"]] if node["inherits"] else None
    return nodes[::-1]


def effective(ref, family, name, target, default_sets=()):
    """(driver, property) -> (value, optional, set) of the winning entry."""
    machines = {m["name"]: m for m in ref["families"][family]["machines"]}
    sets = list(default_sets) + [s for m in chain(machines, name) for s in m["compat_sets"]]
    result = {}
    for set_name in sets:
        for entry in ref["compat_sets"][set_name]["entries"]:
            key = (expand(entry, target), entry["property"])
            result[key] = (entry["value"], entry["optional"], set_name)
    return result


def options(ref, family, name):
    """C lvalue -> C value in effect (family base, then the chain)."""
    machines = {m["name"]: m for m in ref["families"][family]["machines"]}
    result = dict(ref["families"][family]["base_options"])
    for machine in chain(machines, name):
        result.update(machine["options"])
    return result


def option_names():
    """C lvalue -> DSL option name, from the 10.0 corpus's declarations."""
    names = {}
    for path in (ROOT / "machines").rglob("*.mtc"):
        for match in re.finditer(r'^option (\S+) .*? c "([^"]+)"', path.read_text(), re.M):
            names[match.group(2)] = match.group(1)
    return names


# ---- the 8.0 fixture -----------------------------------------------------------------


def subjects():
    old, new = load("qemu-x86-compat.json"), load("qemu-10.0-compat.json")
    return {
        family: [
            m["name"]
            for m in old["families"][family]["machines"]
            if m["name"] in {n["name"] for n in new["families"][family]["machines"]}
        ]
        for family in FAMILIES
    }


def test_fixture_compared_added_and_removed_match_the_changes_file(fixture_report):
    changes = load("qemu-8.0-to-10.0-changes.json")
    both = [name for names in subjects().values() for name in names]
    machines = fixture_report["machines"]
    for target in TARGETS:
        assert sorted(machines["compared"][target]) == sorted(both)
        assert sorted(machines["removed"][target]) == sorted(
            n for f in FAMILIES for n in changes["machines_removed"][f]
        )
        versioned = [n for n in machines["new"][target] if re.search(r"-\d+\.\d+$", n)]
        assert sorted(versioned) == sorted(
            n for f in FAMILIES for n in changes["machines_added"][f]
        )


def test_fixture_passes_with_exactly_the_notes_of_the_changes_file(fixture_report):
    changes = load("qemu-8.0-to-10.0-changes.json")
    old = load("qemu-x86-compat.json")
    assert changes["values_changed"] == []
    removed = {(e["set"], e["driver"], e["property"]) for e in changes["entries_removed"]}
    expected = set()
    for family, names in subjects().items():
        for name in names:
            for target in TARGETS:
                for (driver, prop), (_, _, set_name) in effective(
                    old, family, name, target
                ).items():
                    if (set_name, driver, prop) in removed:
                        expected.add((target, name, f"{driver}.{prop}"))
    notes = {
        (f["target"], f["machine"], f["subject"])
        for f in fixture_report["findings"]
        if f["severity"] == "note"
    }
    assert expected  # hw_compat_2_12 and hw_compat_2_4 reach machines on both sides
    assert notes == expected
    assert all(
        f["change"] == "removed" for f in fixture_report["findings"] if f["severity"] == "note"
    )
    assert fixture_report["summary"]["error"] == 0
    assert fixture_report["ok"] is True


def test_fixture_additions_are_info_and_explained_by_the_changes_file(fixture_report):
    changes = load("qemu-8.0-to-10.0-changes.json")
    old, new = load("qemu-x86-compat.json"), load("qemu-10.0-compat.json")
    new_sets = set(changes["compat_sets_added"])
    new_entries = {(e["set"], e["driver"], e["property"]) for e in changes["entries_added"]}
    expected = set()
    for family, names in subjects().items():
        defaults = ["pc_q35_compat_defaults"] if family == "pc-q35" else []
        for name in names:
            for target in TARGETS:
                before = effective(old, family, name, target)
                after = effective(new, family, name, target, defaults)
                for key in set(before) & set(after):  # values_changed is empty
                    assert before[key][:2] == after[key][:2], (name, key)
                for key in set(after) - set(before):
                    set_name = after[key][2]
                    assert set_name in new_sets or (set_name, *key) in new_entries, (name, key)
                    expected.add((target, name, f"{key[0]}.{key[1]}", set_name))
    added = {
        (f["target"], f["machine"], f["subject"], f["new"]["set"])
        for f in fixture_report["findings"]
        if f["kind"] == "property" and f["change"] == "added"
    }
    assert added == expected
    for f in fixture_report["findings"]:
        if f["kind"] == "property" and f["change"] == "added":
            assert f["severity"] == "info", f
    # nvme's msix-exclusive-bar: the one entry added to an old set.
    nvme = [f for f in fixture_report["findings"] if f["subject"] == "nvme.msix-exclusive-bar"]
    assert {f["machine"] for f in nvme} == {
        name
        for names in subjects().values()
        for name in names
        if tuple(map(int, re.findall(r"\d+", name.rsplit("-", 1)[1])[:2])) <= (5, 2)
    }
    assert all(f["new"]["set"] == "hw_compat_5_2" for f in nvme)
    assert not any(
        f["change"] == "changed" for f in fixture_report["findings"] if f["kind"] == "property"
    )


def test_fixture_option_changes_are_info(fixture_report):
    changes = load("qemu-8.0-to-10.0-changes.json")
    old = load("qemu-x86-compat.json")
    names = option_names()
    findings = [f for f in fixture_report["findings"] if f["kind"] == "option"]
    assert findings and all(f["severity"] == "info" for f in findings)
    reported = {(f["machine"], f["subject"]) for f in findings}
    for machine, change in changes["machines_changed"].items():
        family = machine.rsplit("-", 1)[0]
        if family not in FAMILIES:
            continue
        before = options(old, family, machine)
        for lvalue, value in change.get("options_added", {}).items():
            name = names[lvalue]
            old_value = before.get(lvalue) or before.get(
                {"m->default_nic": "pcmc->default_nic_model"}.get(lvalue, lvalue)
            )
            if old_value == value:  # pc-q35-8.0's max_cpus 288, q35-2.11's NIC: unchanged
                assert (machine, f"option {name}") not in reported
            else:
                assert (machine, f"option {name}") in reported
    # The renamed field (pcmc->default_nic_model -> m->default_nic) is one declaration note.
    declarations = [f for f in fixture_report["findings"] if f["kind"] == "declaration"]
    assert [(f["subject"], f["base"]["value"], f["new"]["value"]) for f in declarations] == [
        ("option default-nic", "pcmc->default_nic_model", "m->default_nic")
    ]


def test_fixture_text_output_groups_the_notes_by_cause():
    result = run_mtc("abi-check", "--base-dir", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "target x86_64: " in out and "target i386: " in out
    # One headline per removed entry, at its line in the base tree, then the
    # machine types it reaches (both targets on one line).
    headlines = [line for line in out.splitlines() if ": note: " in line]
    assert len(headlines) == 2, out
    scsi = [line for line in headlines if "virtio-blk-device.scsi" in line][0]
    assert scsi.startswith(f"{FIXTURE}/machines/hw.mtc:")
    block = out[out.index(scsi) :]
    assert "    reaches 2 machine types:\n      pc-i440fx-2.4, pc-q35-2.4 [x86_64, i386]\n" in block
    assert 'base: "true" optional  (hw_compat_2_4, release 2.4, machines/hw.mtc:' in out
    assert "migration.decompress-error-check no longer set" in out
    assert "info:" not in out  # info only with -v
    assert "abi-check: 0 errors, 2 notes, " in out
    verbose = run_mtc("abi-check", "--base-dir", str(FIXTURE), "-v", "--target", "i386").stdout
    assert "info: nvme.msix-exclusive-bar now set" in verbose
    assert "target x86_64" not in verbose


def test_strict_turns_presumptions_into_errors():
    result = run_mtc("abi-check", "--base-dir", str(FIXTURE), "--strict", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    errors = {f["subject"] for f in report["findings"] if f["severity"] == "error"}
    # No registry on the 8.0 side, QEMU 10.0's on the 10.0 side.  It decides
    # the two removals (QEMU 10.0 has neither property: notes either way);
    # nothing decides the added nvme.msix-exclusive-bar, so --strict refuses it.
    assert errors == {"nvme.msix-exclusive-bar"}
    notes = {f["subject"] for f in report["findings"] if f["severity"] == "note"}
    assert {"migration.decompress-error-check", "virtio-blk-device.scsi"} <= notes


# ---- small trees: the rules one by one --------------------------------------------------

REGISTRY = {
    "format": 1,
    "release": "8.2",
    "source": {"binary": "qemu-system-x86_64 8.2.0", "how": "hand-written for a test"},
    "types": {
        "object": {"abstract": True, "parent": None, "properties": {"type": "string"}},
        "device": {"abstract": True, "parent": "object", "properties": {"realized": "bool"}},
        "virtio-device": {"abstract": True, "parent": "device", "properties": {}},
        "virtio-net-device": {
            "abstract": False,
            "parent": "virtio-device",
            "properties": {"mq": "bool", "speed": "int32", "host_ufo": "bool"},
        },
    },
}

BASE = """\
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }
release 8.1 date 2023-08-22
release 8.2 date 2023-12-19
option max-cpus int c "m->max_cpus" query "cpu-max"
family pc { name "pc-{version}" targets x86_64 alias pc option max-cpus = 255 }
compat hw 8.1 {
    virtio-net-device.mq = "off"
    virtio-net-device.host_ufo = "off"
}
machine pc 8.2 { alias default }
machine pc 8.1 { compat hw 8.1 }
"""


def tree(root: Path, text: str, registry: dict | None) -> Path:
    (root / "machines").mkdir(parents=True)
    (root / "machines" / "all.mtc").write_text(text)
    if registry is not None:
        (root / "machines" / "test.qom.json").write_text(json.dumps(registry))
    return root


def classify(tmp_path, new_text, new_registry=REGISTRY, base_registry=REGISTRY, base=BASE):
    old = common.compile_tree(tree(tmp_path / "base", base, base_registry), "base")
    new = common.compile_tree(tree(tmp_path / "new", new_text, new_registry), "new")
    assert old is not None and new is not None
    report = abi.check(old, new, as_of=date(2030, 1, 1))
    return {
        (f.machine, f.subject): (f.severity, f.change)
        for f in report.findings
        if f.kind in ("property", "option")
    }


def test_added_entry_for_a_property_newer_than_the_base_is_info(tmp_path):
    new = BASE.replace(
        "compat hw 8.1 {\n",
        "release 9.0 date 2024-04-23\nqom-type virtio-net-device { host_uso bool since 9.0 }\n"
        'compat hw 8.1 {\n    virtio-net-device.host_uso = "off"\n',
    ).replace(
        "machine pc 8.2 { alias default }", "machine pc 9.0 { alias default }\nmachine pc 8.2 { }"
    )
    found = classify(tmp_path, new)
    assert found == {("pc-8.1", "virtio-net-device.host_uso"): ("info", "added")}


def test_added_entry_for_an_existing_property_is_an_error(tmp_path):
    new = BASE.replace(
        "compat hw 8.1 {\n", 'compat hw 8.1 {\n    virtio-net-device.speed = "100"\n'
    )
    assert classify(tmp_path, new) == {("pc-8.1", "virtio-net-device.speed"): ("error", "added")}
    # Without a registry on the base side, a property the base never sets is
    # presumed new; with one, the registry decides.
    found = classify(tmp_path / "2", new, base_registry=None)
    assert found == {("pc-8.1", "virtio-net-device.speed"): ("info", "added")}


def test_added_entry_for_a_type_the_base_registry_lacks_is_info(tmp_path):
    new = BASE.replace(
        "compat hw 8.1 {\n",
        "qom-type extra-device extends device { y int32 }\n"
        'compat hw 8.1 {\n    extra-device.y = "1"\n',
    )
    assert classify(tmp_path, new) == {("pc-8.1", "extra-device.y"): ("info", "added")}


def test_removed_entry_of_a_property_the_registry_lost_is_a_note(tmp_path):
    registry = json.loads(json.dumps(REGISTRY))
    del registry["types"]["virtio-net-device"]["properties"]["host_ufo"]
    new = BASE.replace('    virtio-net-device.host_ufo = "off"\n', "")
    found = classify(tmp_path, new, new_registry=registry)
    assert found == {("pc-8.1", "virtio-net-device.host_ufo"): ("note", "removed")}
    # The registry (as new as the tree) still has it: a real change.
    assert classify(tmp_path / "2", new) == {
        ("pc-8.1", "virtio-net-device.host_ufo"): ("error", "removed")
    }


def test_removed_entry_still_set_elsewhere_is_an_error(tmp_path):
    # Another family's set still sets mq: the property exists.
    base = BASE + (
        'compat other { virtio-net-device.mq = "on" }\n'
        'family other { name "other-{version}" targets x86_64 compat other }\n'
        "machine other 8.2 { }\n"
    )
    new = base.replace('    virtio-net-device.mq = "off"\n', "")
    found = classify(tmp_path, new, new_registry=None, base_registry=None, base=base)
    assert found == {("pc-8.1", "virtio-net-device.mq"): ("error", "removed")}


def test_value_and_option_changes_are_errors(tmp_path):
    new = BASE.replace('mq = "off"', 'mq = "on"').replace(
        "machine pc 8.1 { compat hw 8.1 }", "machine pc 8.1 { compat hw 8.1 option max-cpus = 128 }"
    )
    assert classify(tmp_path, new) == {
        ("pc-8.1", "virtio-net-device.mq"): ("error", "changed"),
        ("pc-8.1", "option max-cpus"): ("error", "changed"),
    }


def test_pins_in_open_sets_are_info_and_unreleased_machines_are_not_subjects(tmp_path):
    # The base is in the 8.2 development cycle: 8.2 is not out as of as_of.
    new = BASE.replace(
        "compat hw 8.1 {\n", 'compat hw 8.1 {\n    virtio-net-device.speed = "100"\n'
    )
    new = new.replace("option max-cpus = 255 }", "option max-cpus = 512 }")
    new = new.replace(
        "machine pc 8.1 { compat hw 8.1 }", "machine pc 8.1 { compat hw 8.1 option max-cpus = 255 }"
    )
    old = common.compile_tree(tree(tmp_path / "base", BASE, REGISTRY), "base")
    cur = common.compile_tree(tree(tmp_path / "new", new, REGISTRY), "new")
    during = abi.check(old, cur, as_of=date(2023, 10, 1))
    assert during.ok
    assert dict(during.skipped)["x86_64"] == [
        ("pc-8.2", "release 8.2 (dated 2023-12-19) is not out as of 2023-10-01")
    ]
    # pc-8.1 pins max-cpus at 255 while the family moves to 512: no change.
    assert {(f.machine, f.subject, f.severity) for f in during.findings} == {
        ("pc-8.1", "virtio-net-device.speed", "info"),
    }
    after = abi.check(old, cur, as_of=date(2024, 1, 1))
    assert not after.ok
    assert {(f.machine, f.subject, f.severity) for f in after.findings} == {
        ("pc-8.2", "option max-cpus", "error"),
        ("pc-8.1", "virtio-net-device.speed", "error"),
    }


def test_unstable_machines_are_not_subjects(tmp_path):
    base = BASE.replace(
        "machine pc 8.1 { compat hw 8.1 }", "machine pc 8.1 { compat hw 8.1 unstable }"
    )
    new = base.replace('mq = "off"', 'mq = "on"')
    old = common.compile_tree(tree(tmp_path / "base", base, None), "base")
    cur = common.compile_tree(tree(tmp_path / "new", new, None), "new")
    report = abi.check(old, cur, as_of=date(2030, 1, 1))
    assert report.ok and report.findings == []
    assert report.skipped["x86_64"] == [("pc-8.1", "unstable")]


# ---- the command line ---------------------------------------------------------------------


def test_usage_errors(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(ROOT / "machines", project / "machines")
    cases = [
        ([], 2, "give the base to compare with"),
        (["--base", "HEAD"], 2, "is not in a git repository"),
        (["--base-dir", str(tmp_path / "nowhere")], 2, "no machines/ directory there"),
        (["--base-dir", str(FIXTURE), "--as-of", "yesterday"], 2, "--as-of: not a date"),
        (["--base-dir", str(FIXTURE), "--target", "mips"], 2, "unknown target 'mips'"),
        (["--base", "HEAD", "--base-dir", str(FIXTURE)], 2, "not allowed with"),
    ]
    for argv, code, message in cases:
        result = run_mtc("abi-check", "--root", str(project), *argv)
        assert result.returncode == code, (argv, result.stderr)
        assert message in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    subprocess.run([*GIT, "-C", str(project), "init", "-q"], check=True)
    result = run_mtc("abi-check", "--root", str(project), "--base", "HEAD")
    assert result.returncode == 2 and "unknown revision 'HEAD'" in result.stderr
    subprocess.run([*GIT, "-C", str(project), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(project), "commit", "-qm", "x"], check=True)
    result = run_mtc("abi-check", "--root", str(project), "--base", "no-such-rev")
    assert result.returncode == 2 and "unknown revision 'no-such-rev'" in result.stderr


def test_base_in_a_subdirectory_of_the_repository_and_a_broken_base(tmp_path):
    repo = tmp_path / "repo"
    project = repo / "sub" / "project"
    shutil.copytree(ROOT / "machines", project / "machines")
    subprocess.run([*GIT, "-C", str(repo), "init", "-q"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "good"], check=True)
    result = run_mtc("abi-check", "--base", "HEAD", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    hw = project / "machines" / "hw.mtc"
    hw.write_text(hw.read_text() + "compat hw 99.0 {\n}\n")
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qam", "broken"], check=True)
    hw.write_text(hw.read_text().replace("compat hw 99.0 {\n}\n", ""))
    result = run_mtc("abi-check", "--base", "HEAD", cwd=project)
    assert result.returncode == 1
    assert "In the base revision HEAD" in result.stderr
    assert "machines/hw.mtc" in result.stderr and "unknown release 99.0" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_mtc("abi-check", "--base", "HEAD~1", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
