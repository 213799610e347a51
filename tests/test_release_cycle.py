"""A release from opening to dating it, on git copies of the project (issue
13's done-when list): new-version opens a planned release, the ABI gate
asks for the pin of a property new in it, mtc release dates it, and the
lifecycle policy removes what it says.

What QEMU does is taken from the vendored reference
(tests/reference/qemu-10.0-compat.json): which machine types QEMU 10.0
deletes once MACHINE_VER_DELETION is not gated off, and the policy's
deprecation message.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_mtc

GIT = ["git", "-c", "user.email=test@example.com", "-c", "user.name=test"]
DECLARATIONS = Path("machines") / "registry" / "declarations.mtc"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "project"
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, root / name)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def mtc(root: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    result = run_mtc(*args, cwd=root)
    assert result.returncode == code, (args, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    return result


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = root / rel
    text = path.read_text()
    assert text.count(old) >= 1, (rel, old)
    path.write_text(text.replace(old, new, count))


def machines_json(root: Path, target: str) -> dict:
    data = json.loads((root / "generated" / "json" / f"{target}.json").read_text())
    return {m["name"]: m for m in data["machines"]}


def libvirt_names(root: Path, target: str) -> set[str]:
    text = (root / "generated" / "libvirt" / f"qemucaps-{target}.xml").read_text()
    return set(re.findall(r"name='([^']+)'", text))


# ---- the ABI gate and a property new in the next release ------------------------------


def test_a_new_property_needs_its_pin_in_the_previous_release_set(repo):
    mtc(repo, "new-version", "10.1")
    assert "release 10.1 planned\n" in (repo / "machines" / "releases.mtc").read_text()
    git(repo, "commit", "-qam", "open 10.1")
    (repo / DECLARATIONS).write_text(
        (repo / DECLARATIONS).read_text()
        + '\nqom-type virtio-net-device { x-example bool default "on" since 10.1 }\n'
    )
    failed = mtc(repo, "abi-check", "--base", "HEAD", code=1)
    errors = [line for line in failed.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, failed.stdout  # one cause, one headline
    assert errors[0].startswith(f"{DECLARATIONS.as_posix()}:")
    assert 'virtio-net-device.x-example is new in 10.1 with default "on"' in errors[0]
    assert "pin the old behaviour in hw_compat_10_0" in errors[0]
    assert errors[0].endswith("[-Wabi-unpinned]")
    assert "pc-q35-2.4 .. pc-q35-10.0 (31)" in failed.stdout
    report = json.loads(mtc(repo, "abi-check", "--base", "HEAD", "--json", code=1).stdout)
    [cause] = [c for c in report["causes"] if c["severity"] == "error"]
    assert cause["new"]["pin-in"] == "hw_compat_10_0"
    assert "pc-i440fx-10.0" in cause["machines"]["x86_64"]
    assert "virt-10.0" in cause["machines"]["aarch64"]
    assert "pc-q35-10.1" not in cause["machines"]["x86_64"]  # not released: not a subject
    assert "isapc" not in cause["machines"]["x86_64"]  # unversioned: no ABI to keep
    # The pin makes it pass.
    edit(
        repo,
        "machines/hw.mtc",
        "compat hw 10.0 {\n",
        'compat hw 10.0 {\n    virtio-net-device.x-example = "off"\n',
    )
    passed = mtc(repo, "abi-check", "--base", "HEAD")
    assert "abi-check: 0 errors" in passed.stdout


def test_a_property_declared_not_guest_visible_needs_no_pin(repo):
    mtc(repo, "new-version", "10.1")
    git(repo, "commit", "-qam", "open 10.1")
    (repo / DECLARATIONS).write_text(
        (repo / DECLARATIONS).read_text()
        + '\nqom-type virtio-net-device { x-stats-interval uint32 default "1000" since 10.1 }\n'
        + 'property virtio-net-device.x-stats-interval not-guest-visible "host-side statistics"\n'
    )
    mtc(repo, "abi-check", "--base", "HEAD")


def test_a_default_changed_by_a_new_registry_names_the_old_value(repo):
    path = repo / "machines" / "registry" / "qemu-10.0-x86_64.qom.json"
    doc = json.loads(path.read_text())
    owner = "qemu-10.0-x86_64.qom.json"
    if "ICH9-LPC" not in doc["types"]:  # shared by several targets
        owner = "qemu-10.0-shared.qom.json"
        path = repo / "machines" / "registry" / owner
        doc = json.loads(path.read_text())
    props = doc["types"]["ICH9-LPC"]["properties"]
    assert props["x-smi-swsmi-timer"] == ["bool", "on"]  # hw/isa/lpc_ich9.c: true
    props["x-smi-swsmi-timer"] = ["bool", "off"]
    path.write_text(json.dumps(doc, indent=1))
    result = mtc(repo, "abi-check", "--base", "HEAD", code=1)
    assert (
        'ICH9-LPC.x-smi-swsmi-timer changes its default from "on" to "off"' in result.stdout
    ), result.stdout
    assert 'pin ICH9-LPC.x-smi-swsmi-timer = "on" in pc_compat_' in result.stdout


def test_abi_check_compares_xenfv_with_config_xen(repo):
    edit(
        repo,
        "machines/x86/xen-isapc.mtc",
        'option default-machine-opts = "accel=xen,suppress-vmdesc=on"',
        'option default-machine-opts = "accel=xen"',
    )
    # xenfv is not in the default build: nothing to compare.
    mtc(repo, "abi-check", "--base", "HEAD")
    result = mtc(repo, "abi-check", "--base", "HEAD", "--config", "CONFIG_XEN=on", code=1)
    assert "both built with CONFIG_XEN=on" in result.stdout
    assert "option default-machine-opts changed" in result.stdout
    assert "xenfv-4.2" in result.stdout


# ---- new-version, release and the lifecycle --------------------------------------------


def test_new_version_opens_a_planned_release_and_release_dates_it(repo):
    before = machines_json(repo, "x86_64")
    mtc(repo, "new-version", "10.1")
    after = machines_json(repo, "x86_64")
    # Planned: the build's release stays 10.0, so nothing is newly deprecated.
    changed = {n for n in before if after.get(n) != before[n]}
    assert changed == {"pc-i440fx-10.0", "pc-q35-10.0"}
    assert set(after) - set(before) == {"pc-i440fx-10.1", "pc-q35-10.1"}
    for name in changed:  # only what moved to 10.1: alias, default, parent
        diff = {k for k in after[name] if after[name][k] != before[name].get(k)}
        assert diff <= {"alias", "is-default", "parent"}, (name, diff)
    stat = git(repo, "diff", "--numstat", "--", "generated")
    added = sum(int(line.split()[0]) for line in stat.splitlines())
    assert added < 300, stat  # a reviewable diff: the new records and the moved flags
    lifecycle = json.loads(mtc(repo, "lifecycle", "--json").stdout)
    assert lifecycle["current-release"] == "10.0"
    assert lifecycle["planned-releases"] == ["10.1"]
    assert lifecycle["next"][0]["release"] == "10.1" and lifecycle["next"][0]["planned"]
    # Dating it makes 10.1 the build's release: QEMU's policy moves on, and
    # 10.1 enforces deletion (machines/releases.mtc).
    dated = mtc(repo, "release", "10.1", "--date", "2025-08-26")
    assert "EDIT    machines/releases.mtc: release 10.1 date 2025-08-26" in dated.stdout
    assert "newly deprecated: pc-i440fx-7.1, pc-q35-7.1" in dated.stdout
    now = machines_json(repo, "x86_64")
    assert now["pc-q35-7.1"]["deprecated"] is True
    assert "pc-q35-4.1" not in now and "pc-q35-4.2" in now
    assert "pc-q35-4.1" not in libvirt_names(repo, "x86_64")
    mtc(repo, "check")
    for argv, message in (
        (["10.1", "--date", "2025-09-01"], "release 10.1 is dated already"),
        (["10.2", "--date", "2025-12-01"], "declares no release 10.2"),
        (["11.0", "--date", "soon"], "declares no release 11.0"),
    ):
        result = mtc(repo, "release", *argv, code=2)
        assert message in result.stderr


def test_release_refuses_bad_dates_and_order(repo):
    mtc(repo, "new-version", "10.1")
    edit(
        repo,
        "machines/releases.mtc",
        "release 10.1 planned",
        "release 10.1 planned\nrelease 10.2 planned",
    )
    for argv, message in (
        (["10.1", "--date", "2025-13-01"], "not a date"),
        (["10.1", "--date", "2025-04-01"], "not after release 10.0 (2025-04-22)"),
        (["10.2", "--date", "2025-12-01"], "release 10.1 before it is still planned"),
    ):
        result = mtc(repo, "release", *argv, code=2)
        assert message in result.stderr, result.stderr
    result = mtc(repo, "new-version", "10.2", code=2)
    assert "release 10.1 is still planned: date it first" in result.stderr


def test_an_enforcing_policy_removes_what_qemu_deletes(repo, reference):
    """With deletion enforced at 10.0 (QEMU 10.0 with QEMU_DELETE_MACHINES
    set), the JSON and libvirt outputs lack exactly the machine types QEMU
    then deletes; the C keeps their DEFINE lines, whose MACHINE_VER_DELETION
    decides in QEMU's build, as in QEMU's source."""
    edit(repo, "machines/releases.mtc", "enforce-deletion since 10.1", "enforce-deletion")
    mtc(repo, "build")
    deleted = reference["lifecycle_policy"]["at_10_0_0"]["deleted_with_QEMU_DELETE_MACHINES"]
    targets = {
        "pc-i440fx": "x86_64",
        "pc-q35": "x86_64",
        "s390-ccw-virtio": "s390x",
        "virt": "aarch64",
        "pseries": "ppc64",
    }
    for family, target in targets.items():
        before = {n for n in machines_json(ROOT, target) if n.startswith(family + "-")}
        after = {n for n in machines_json(repo, target) if n.startswith(family + "-")}
        assert before - after == set(deleted[family]), family
        assert not set(deleted[family]) & libvirt_names(repo, target)
    capabilities = (repo / "generated" / "libvirt" / "capabilities.xml").read_text()
    assert ">pc-q35-2.4<" not in capabilities and ">pc-q35-4.1<" in capabilities
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c").read_text()
    assert "DEFINE_Q35_MACHINE(2, 4);" in c_text
    assert "MACHINE_VER_DELETION" in (repo / "generated" / "c" / "s390_ccw_machines.c").read_text()
    lifecycle = mtc(repo, "lifecycle").stdout
    assert (
        "deletion enforced: machine types due for deletion are left out of the build" in lifecycle
    )
    assert re.search(r"\n  pc-q35-2.4 +since 9.0  \(left out of the build\)\n", lifecycle)


def test_removed_in_a_planned_release(repo):
    """'removed 11.0' works before 11.0 is out: the machine type stays until
    11.0 is the build's release, then leaves the JSON, libvirt and C."""
    edit(repo, "machines/releases.mtc", "    enforce-deletion since 10.1\n", "")
    mtc(repo, "new-version", "10.1")
    edit(
        repo,
        "machines/releases.mtc",
        "release 10.1 planned",
        "release 10.1 planned\nrelease 11.0 planned",
    )
    edit(
        repo,
        "machines/x86/pc-q35.mtc",
        "machine pc-q35 2.4 {",
        'machine pc-q35 2.4 {\n    deprecated since 10.1 "use a newer version"  removed 11.0',
    )
    mtc(repo, "build")
    assert "pc-q35-2.4" in machines_json(repo, "x86_64")
    lifecycle = json.loads(mtc(repo, "lifecycle", "--json", "--next", "3").stdout)
    assert lifecycle["current-release"] == "10.0"  # planned releases never are
    steps = [(s["release"], s["planned"], s["projected"], s["removed"]) for s in lifecycle["next"]]
    assert steps == [
        ("10.1", True, False, []),
        ("10.2", False, True, []),  # QEMU's numbering puts 10.2 between them
        ("11.0", True, False, ["pc-q35-2.4"]),
    ]
    mtc(repo, "release", "10.1", "--date", "2025-08-26")
    assert "pc-q35-2.4" in machines_json(repo, "x86_64")
    mtc(repo, "release", "11.0", "--date", "2026-04-21")
    for target in ("x86_64", "i386"):
        assert "pc-q35-2.4" not in machines_json(repo, target)
        assert "pc-q35-2.4" not in libvirt_names(repo, target)
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c").read_text()
    assert "DEFINE_Q35_MACHINE(2, 4)" not in c_text
    assert "pc_q35_machine_2_4_options" not in c_text
    assert "DEFINE_Q35_MACHINE(2, 5);" in c_text
    mtc(repo, "check")


def test_an_explicit_deprecation_reaches_the_c_and_older_machines(repo):
    edit(
        repo,
        "machines/x86/pc-q35.mtc",
        "machine pc-q35 9.0 {",
        'machine pc-q35 9.0 {\n    deprecated "use pc-q35-9.1 or newer"',
    )
    mtc(repo, "build")
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c").read_text()
    body = c_text[c_text.index("static void pc_q35_machine_9_0_options") :]
    body = body[: body.index("\n}\n")]
    assert '    m->deprecation_reason = "use pc-q35-9.1 or newer";' in body
    machines = machines_json(repo, "x86_64")
    # QEMU's older options functions call 9.0's: they inherit the reason ...
    for name in ("pc-q35-9.0", "pc-q35-8.2", "pc-q35-7.1"):
        assert machines[name]["deprecation-reason"] == "use pc-q35-9.1 or newer", name
    # ... until MACHINE_VER_DEPRECATION, run after them, sets the policy's.
    policy = reference_message()
    assert machines["pc-q35-7.0"]["deprecation-reason"] == policy
    assert machines["pc-q35-9.1"]["deprecated"] is False


def reference_message() -> str:
    data = json.loads((ROOT / "tests" / "reference" / "qemu-10.0-compat.json").read_text())
    return data["lifecycle_policy"]["constants"]["MACHINE_VER_DEPRECATION_MSG"]


def test_an_option_no_machine_sets_is_a_warning(repo):
    edit(
        repo,
        "machines/options.mtc",
        'option hw-version str c "m->hw_version"',
        'option hw-version str c "m->hw_version"\noption x-unused bool c "m->x_unused"',
    )
    result = mtc(repo, "build")
    assert "warning: option x-unused is declared but no family or machine sets it" in result.stderr
    assert "[-Wunused-option]" in result.stderr


# ---- diff like compare-machine-types.py ------------------------------------------------------


def test_diff_table_of_several_machine_types():
    result = run_mtc("diff", "pc-q35-8.0", "pc-q35-8.1", "pc-q35-8.2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("target x86_64: 3 machine types, ")
    assert lines[1].split() == ["driver", "property", "pc-q35-8.0", "pc-q35-8.1", "pc-q35-8.2"]
    # hw_compat_8_0 pins multifd-flush-after-each-section on; migration/options.c
    # defaults it to false: 8.1 and 8.2 show the default.
    row = [line.split() for line in lines if "multifd-flush-after-each-section" in line]
    assert row == [["migration", "multifd-flush-after-each-section", "on", "(off)", "(off)"]]
    row = [line.split() for line in lines if line.split()[:2] == ["(option)", "max-cpus"]]
    assert row == [["(option)", "max-cpus", "288", "1024", "1024"]]
    data = json.loads(run_mtc("diff", "pc-q35-8.0", "pc-q35-8.1", "--format", "json").stdout)
    assert data["machines"] == ["pc-q35-8.0", "pc-q35-8.1"]
    flush = [r for r in data["properties"] if r["property"] == "multifd-flush-after-each-section"]
    assert [v["value"] for v in flush[0]["values"]] == ["on", "off"]
    assert [v["default"] for v in flush[0]["values"]] == [False, True]


def test_diff_all_machine_types_of_a_family_as_csv():
    import csv
    import io

    result = run_mtc("diff", "--all", "pc-i440fx", "--format", "csv", "--target", "i386")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    header = rows[0]
    built = [n for n, m in machines_json(ROOT, "i386").items() if m["family"] == "pc-i440fx"]
    assert header[:2] == ["driver", "property"]
    assert sorted(header[2:]) == sorted(built) and header[2] == "pc-i440fx-2.4"
    assert header[-1] == "pc-i440fx-10.0"
    queue = [r for r in rows if r[:2] == ["virtio-blk-device", "queue-size"]]
    assert queue and queue[0][header.index("pc-i440fx-4.2")] == "128"
    for argv, message in (
        (["--all", "nosuch"], "--all: unknown family 'nosuch'"),
        (["pc-q35-8.0", "pc-q35-8.1", "pc-q35-8.2", "--base", "HEAD"], "a table compares"),
        (["pc-q35-8.0", "--format", "table"], "two or more machine types"),
    ):
        result = run_mtc("diff", *argv)
        assert result.returncode == 2 and message in result.stderr, (argv, result.stderr)


def test_the_c_of_removed_and_deprecated_machines_compiles_and_agrees(repo, tmp_path):
    """gcc builds the C of a tree where pc-q35-2.4 is removed (in 10.0) and
    pc-q35-9.0 explicitly deprecated; the harness registers exactly the
    machine types of the JSON, each with the JSON's deprecation reason where
    QEMU's policy does not set one (tests/c stubs MACHINE_VER_DEPRECATION)."""
    from test_c_backend import (
        assert_harness_agrees_with_json,
        compile_harness,
        compile_tables,
        config_defines,
        parse_harness,
        run,
    )

    edit(
        repo,
        "machines/x86/pc-q35.mtc",
        "machine pc-q35 2.4 {",
        "machine pc-q35 2.4 {\n    removed 10.0",
    )
    edit(
        repo,
        "machines/x86/pc-q35.mtc",
        "machine pc-q35 9.0 {",
        'machine pc-q35 9.0 {\n    deprecated "use pc-q35-9.1 or newer"',
    )
    mtc(repo, "build")
    generated = repo / "generated"
    out = tmp_path / "cbuild"
    out.mkdir()
    target = "x86_64"
    files = ["pc_piix_machines.c", "pc_q35_machines.c"]
    tables = compile_tables(generated / "c", out, target)
    program = compile_harness(
        generated / "c", out, target, tables, files, config_defines(generated, target)
    )
    walked = parse_harness(run(program))
    assert "pc-q35-2.4" not in walked and "pc-q35-2.5" in walked
    assert_harness_agrees_with_json(walked, generated, target)
    machines = machines_json(repo, target)
    for name in ("pc-q35-9.0", "pc-q35-8.2", "pc-q35-7.1"):
        reason = walked[name]["options"]["deprecation-reason"]
        assert reason == machines[name]["deprecation-reason"] == "use pc-q35-9.1 or newer"
    assert walked["pc-q35-9.1"]["options"].get("deprecation-reason") is None
