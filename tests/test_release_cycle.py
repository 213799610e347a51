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

from conftest import ROOT, date_open_release, open_next_release, run_mtc

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
    cycle = open_next_release(repo)  # mtc new-version 10.1
    assert f"release {cycle.new} planned\n" in (repo / "machines" / "releases.mtc").read_text()
    git(repo, "commit", "-qam", f"open {cycle.new}")
    (repo / DECLARATIONS).write_text(
        (repo / DECLARATIONS).read_text()
        + f'\nqom-type virtio-net-device {{ x-example bool default "on" since {cycle.new} }}\n'
    )
    failed = mtc(repo, "abi-check", "--base", "HEAD", code=1)
    errors = [line for line in failed.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, failed.stdout  # one cause, one headline
    assert errors[0].startswith(f"{DECLARATIONS.as_posix()}:")
    assert f'virtio-net-device.x-example is new in {cycle.new} with default "on"' in errors[0]
    assert f"pin the old behaviour in hw_compat_{cycle.suffix}" in errors[0]
    assert errors[0].endswith("[-Wabi-unpinned]")
    assert f"pc-q35-{cycle.previous} (" in failed.stdout  # the end of a span of them
    report = json.loads(mtc(repo, "abi-check", "--base", "HEAD", "--json", code=1).stdout)
    [cause] = [c for c in report["causes"] if c["severity"] == "error"]
    assert cause["new"]["pin-in"] == f"hw_compat_{cycle.suffix}"
    assert f"pc-i440fx-{cycle.previous}" in cause["machines"]["x86_64"]
    assert "pc-q35-5.0" in cause["machines"]["i386"]
    assert f"virt-{cycle.previous}" in cause["machines"]["aarch64"]
    assert f"pc-q35-{cycle.new}" not in cause["machines"]["x86_64"]  # not released yet
    assert "isapc" not in cause["machines"]["x86_64"]  # unversioned: no ABI to keep
    # The pin makes it pass.
    edit(
        repo,
        "machines/hw.mtc",
        f"compat hw {cycle.previous} {{\n",
        f'compat hw {cycle.previous} {{\n    virtio-net-device.x-example = "off"\n',
    )
    passed = mtc(repo, "abi-check", "--base", "HEAD")
    assert "abi-check: 0 errors" in passed.stdout


def test_a_property_declared_not_guest_visible_needs_no_pin(repo):
    cycle = open_next_release(repo)
    git(repo, "commit", "-qam", f"open {cycle.new}")
    (repo / DECLARATIONS).write_text(
        (repo / DECLARATIONS).read_text()
        + '\nqom-type virtio-net-device { x-stats-interval uint32 default "1000" '
        + f"since {cycle.new} }}\n"
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
    date_open_release(repo)  # the live tree may have opened 10.1 already
    mtc(repo, "build")
    git(repo, "commit", "-qam", "dated", "--allow-empty")
    before = machines_json(repo, "x86_64")
    cycle = open_next_release(repo)
    p, n = cycle.previous, cycle.new
    after = machines_json(repo, "x86_64")
    # Planned: the build's release stays the previous one: nothing is newly
    # deprecated or deleted.
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed == {f"pc-i440fx-{p}", f"pc-q35-{p}"}
    assert set(after) - set(before) == {f"pc-i440fx-{n}", f"pc-q35-{n}"}
    for name in changed:  # only what moved to the new release: alias, default, parent
        diff = {k for k in after[name] if after[name][k] != before[name].get(k)}
        assert diff <= {"alias", "is-default", "parent"}, (name, diff)
    stat = git(repo, "diff", "--numstat", "--", "generated")
    added = sum(int(line.split()[0]) for line in stat.splitlines())
    assert added < 400, stat  # a reviewable diff: the new records and the moved flags
    lifecycle = json.loads(mtc(repo, "lifecycle", "--json").stdout)
    assert lifecycle["current-release"] == p
    assert lifecycle["planned-releases"] == [n]
    assert lifecycle["next"][0]["release"] == n and lifecycle["next"][0]["planned"]
    # Dating it makes it the build's release: QEMU's policy moves on and, from
    # 10.1 on (machines/releases.mtc), deletion is enforced.
    day = f"{int(cycle.previous_date[:4]) + 1}{cycle.previous_date[4:]}"
    dated = mtc(repo, "release", n, "--date", day)
    assert f"EDIT    machines/releases.mtc: release {n} date {day}" in dated.stdout
    major, minor = (int(x) for x in n.split("."))
    old_x, gone = f"{major - 3}.{minor}", f"{major - 6}.{minor}"
    assert f"newly deprecated: pc-i440fx-{old_x}, pc-q35-{old_x}" in dated.stdout
    now = machines_json(repo, "x86_64")
    assert now[f"pc-q35-{old_x}"]["deprecated"] is True
    assert f"pc-q35-{gone}" in before and f"pc-q35-{gone}" not in now
    assert f"pc-q35-{gone}" not in libvirt_names(repo, "x86_64")
    assert "pc-q35-6.0" in now
    mtc(repo, "check")
    for argv, message in (
        ([n, "--date", day], f"release {n} is dated already"),
        (["99.0", "--date", day], "declares no release 99.0"),
    ):
        result = mtc(repo, "release", *argv, code=2)
        assert message in result.stderr


def test_release_refuses_bad_dates_and_order(repo):
    cycle = open_next_release(repo)
    n, later = cycle.new, "99.0"
    edit(
        repo,
        "machines/releases.mtc",
        f"release {n} planned",
        f"release {n} planned\nrelease {later} planned",
    )
    for argv, message in (
        ([n, "--date", "2025-13-01"], "not a date"),
        ([n, "--date", cycle.previous_date], f"not after release {cycle.previous}"),
        ([later, "--date", "2099-12-01"], f"release {n} before it is still planned"),
    ):
        result = mtc(repo, "release", *argv, code=2)
        assert message in result.stderr, result.stderr
    major, minor = (int(x) for x in n.split("."))
    following = f"{major}.{minor + 1}" if minor < 2 else f"{major + 1}.0"
    result = mtc(repo, "new-version", following, code=2)
    assert f"release {n} is still planned: date it first" in result.stderr


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
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c.inc").read_text()
    assert "DEFINE_Q35_MACHINE(2, 4);" in c_text
    # A machine type due for deletion keeps its DEFINE line: QEMU's own
    # DEFINE_CCW_MACHINE, with MACHINE_VER_DELETION, decides at its build.
    assert (
        "DEFINE_CCW_MACHINE(2, 9);"
        in (repo / "generated" / "c" / "s390_ccw_machines.c.inc").read_text()
    )
    shown = mtc(repo, "show", "pc-q35-2.4", code=2)
    assert "machine pc-q35-2.4 is not in the build: due for deletion at 10.0" in shown.stderr
    lifecycle = mtc(repo, "lifecycle").stdout
    assert (
        "deletion enforced: machine types due for deletion are left out of the build" in lifecycle
    )
    assert re.search(r"\n  pc-q35-2.4 +since 9.0  \(left out of the build\)\n", lifecycle)


def following(version: str) -> str:
    major, minor = (int(x) for x in version.split("."))
    return f"{major}.{minor + 1}" if minor < 2 else f"{major + 1}.0"


def test_removed_in_a_planned_release(repo):
    """'removed 11.0' works before 11.0 is out: the machine type stays until
    11.0 is the build's release, then leaves the JSON, libvirt and C."""
    edit(repo, "machines/releases.mtc", "    enforce-deletion since 10.1\n", "")
    cycle = open_next_release(repo)  # 10.1
    n, between = cycle.new, following(cycle.new)
    later = following(between)  # 11.0, declared ahead
    edit(
        repo,
        "machines/releases.mtc",
        f"release {n} planned",
        f"release {n} planned\nrelease {later} planned",
    )
    edit(
        repo,
        "machines/x86/pc-q35.mtc",
        "machine pc-q35 2.4 {",
        f'machine pc-q35 2.4 {{\n    deprecated since {n} "use a newer version"  removed {later}',
    )
    mtc(repo, "build")
    assert "pc-q35-2.4" in machines_json(repo, "x86_64")
    lifecycle = json.loads(mtc(repo, "lifecycle", "--json", "--next", "3").stdout)
    assert lifecycle["current-release"] == cycle.previous  # planned releases never are
    steps = [(s["release"], s["planned"], s["projected"], s["removed"]) for s in lifecycle["next"]]
    assert steps == [
        (n, True, False, []),
        (between, False, True, []),  # QEMU's numbering puts it between them
        (later, True, False, ["pc-q35-2.4"]),
    ]
    year = int(cycle.previous_date[:4])
    mtc(repo, "release", n, "--date", f"{year + 1}-01-15")
    assert "pc-q35-2.4" in machines_json(repo, "x86_64")
    mtc(repo, "release", later, "--date", f"{year + 2}-01-15")
    for target in ("x86_64", "i386"):
        assert "pc-q35-2.4" not in machines_json(repo, target)
        assert "pc-q35-2.4" not in libvirt_names(repo, target)
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c.inc").read_text()
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
    c_text = (repo / "generated" / "c" / "pc_q35_machines.c.inc").read_text()
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
    newest = max(built, key=lambda n: tuple(int(x) for x in n.rsplit("-", 1)[1].split(".")))
    assert header[-1] == newest
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
    from c_harness import assert_harness_agrees_with_json, config_defines, parse_harness, walk

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
    walked = parse_harness(walk(generated / "c", out, target, config_defines(generated, target)))[0]
    assert "pc-q35-2.4" not in walked and "pc-q35-2.5" in walked
    pc = {n: m for n, m in walked.items() if n.startswith(("pc-i440fx-", "pc-q35-"))}
    assert_harness_agrees_with_json(pc, generated, target, {"pc-i440fx", "pc-q35"})
    machines = machines_json(repo, target)
    for name in ("pc-q35-9.0", "pc-q35-8.2", "pc-q35-7.1"):
        reason = walked[name]["options"]["deprecation-reason"]
        assert reason == machines[name]["deprecation-reason"] == "use pc-q35-9.1 or newer"
    assert walked["pc-q35-9.1"]["options"].get("deprecation-reason") is None
