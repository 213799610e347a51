"""mtc new-version, and the ABI gate on its result (issue 7's done-when list).

Each test works on a git copy of the project: machines/ and generated/ copied
to a scratch directory, committed, then edited by the command under test.
The release opened is the one after the copy's current release (10.1 after
10.0; once a maintainer has opened 10.1, the copy dates it first and 10.2 is
opened), so the tests hold in the tree before and after each release.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, Cycle, date_open_release, next_cycle, release_after, run_mtc

GIT = ["git", "-c", "user.email=test@example.com", "-c", "user.name=test"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def make_repo(root: Path) -> Path:
    for name in ("machines", "generated"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, root / name)
    date_open_release(root)  # a release in progress is out before the next one opens
    run_mtc("build", "--root", str(root), check=True)  # generated/ as this tree builds it
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "project")


@pytest.fixture
def cycle(repo) -> Cycle:
    """The release to open in repo: cycle.new after cycle.previous, the
    copy's current release.  The tests date the new one cycle.day(126):
    126 days after the previous one (2025-08-26 after 10.0)."""
    return next_cycle(repo)


def machines_json(root: Path, target: str) -> dict:
    data = json.loads((root / "generated" / "json" / f"{target}.json").read_text())
    return {m["name"]: m for m in data["machines"]}


def test_new_version_gives_aliased_defaults_and_empty_sets(repo, cycle):
    p, n = cycle.previous, cycle.new
    before = {t: machines_json(repo, t) for t in ("x86_64", "i386")}
    result = run_mtc("new-version", n, "--date", cycle.day(126), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "EDIT    machines/releases.mtc" in result.stdout
    assert "GEN     generated/json/x86_64.json" in result.stdout
    # 'mtc build' afterwards has nothing left to do.
    build = run_mtc("build", cwd=repo)
    assert build.returncode == 0, build.stderr
    assert build.stdout == ""
    for target in ("x86_64", "i386"):
        machines = machines_json(repo, target)
        i440fx, q35 = machines[f"pc-i440fx-{n}"], machines[f"pc-q35-{n}"]
        assert i440fx["alias"] == "pc" and i440fx["is-default"] is True
        assert q35["alias"] == "q35" and q35["is-default"] is False
        for family in ("pc-i440fx", "pc-q35"):
            name = f"{family}-{p}"
            assert "alias" not in machines[name]
            assert machines[name]["is-default"] is False
            assert machines[name]["parent"] == f"{family}-{n}"
            # The new sets are empty: the previous one keeps exactly its compat properties.
            assert machines[name]["compat-props"] == before[target][name]["compat-props"]
        assert [m for m in machines.values() if m["is-default"]] == [i440fx]
    text = (repo / "machines" / "hw.mtc").read_text()
    assert f"compat hw {p} {{\n}}\n" in text
    assert f"compat pc {p} {{\n}}\n" in (repo / "machines" / "x86" / "pc-compat.mtc").read_text()
    c_dir = repo / "generated" / "c"
    if c_dir.is_dir():  # the C backend: hw_compat_10_0[] and pc_compat_10_0[] exist, empty
        c_text = "".join(f.read_text() for f in sorted(c_dir.iterdir()))
        for name in (f"hw_compat_{cycle.suffix}", f"pc_compat_{cycle.suffix}"):
            assert f"GlobalProperty {name}[] = {{}};" in c_text.replace(" \n", "\n"), name


def test_new_version_edits_in_place_keeping_layout(repo, cycle):
    p, n, day = cycle.previous, cycle.new, cycle.day(126)
    result = run_mtc("new-version", n, "--date", day, cwd=repo)
    assert result.returncode == 0, result.stderr
    diff = git(repo, "diff", "-U0", "--", "machines")
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert sorted(removed) == [
        f"machine pc-i440fx {p} {{ alias default }}",
        f"machine pc-q35 {p} {{ alias }}",
        f"machine pseries {p} {{ alias default }}",
        f"machine s390-ccw-virtio {p} {{ alias default }}",
        f"machine virt {p} {{ alias }}",
    ]
    assert sorted(a for a in added if a) == sorted(
        [
            f"release {n} date {day}",
            f"compat hw {p} {{",
            "}",
            f"compat pc {p} {{",
            "}",
            f"machine pc-i440fx {n} {{ alias default }}",
            f"machine pc-i440fx {p} {{ compat hw {p}, pc {p} }}",
            f"machine pc-q35 {n} {{ alias }}",
            f"machine pc-q35 {p} {{ compat hw {p}, pc {p} }}",
            f"machine pseries {n} {{ alias default }}",
            f"machine pseries {p} {{ compat hw {p} }}",
            f"machine s390-ccw-virtio {n} {{ alias default }}",
            f"machine s390-ccw-virtio {p} {{ compat hw {p} }}",
            f"machine virt {n} {{ alias }}",
            f"machine virt {p} {{ compat hw {p} }}",
        ]
    )
    releases = (repo / "machines" / "releases.mtc").read_text()
    assert f"release {p} date {cycle.previous_date}\nrelease {n} date {day}\n" in releases
    hw = (repo / "machines" / "hw.mtc").read_text()
    # Newest first: the new set goes before every other.
    assert hw.index(f"compat hw {p} {{") == hw.index("\ncompat hw ") + 1


def test_abi_check_passes_after_new_version(repo, cycle):
    p, n = cycle.previous, cycle.new
    run_mtc("new-version", n, "--date", cycle.day(126), cwd=repo, check=True)
    result = run_mtc("abi-check", "--base", "HEAD", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 notes" in result.stdout
    assert f"pc-i440fx-{n} [x86_64, i386]" in result.stdout  # new: not a subject
    report = json.loads(run_mtc("abi-check", "--base", "HEAD", "--json", cwd=repo).stdout)
    assert report["ok"] is True
    assert [f for f in report["findings"] if f["kind"] in ("property", "option")] == []
    assert report["machines"]["new"]["x86_64"] == [f"pc-i440fx-{n}", f"pc-q35-{n}"]
    moved = {(f["machine"], f["subject"]) for f in report["findings"] if f["target"] == "i386"}
    assert (f"pc-i440fx-{p}", "alias") in moved and (f"pc-i440fx-{p}", "default") in moved


def test_changing_an_old_compat_value_fails_and_names_the_machines(repo, cycle):
    run_mtc("new-version", cycle.new, cwd=repo, check=True)  # planned, as in the cycle
    hw = repo / "machines" / "hw.mtc"
    text = hw.read_text()
    old = 'virtio-blk-device.queue-size = "128"'
    assert old in text
    hw.write_text(text.replace(old, 'virtio-blk-device.queue-size = "256"'))
    result = run_mtc("abi-check", "--base", "HEAD", cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 1
    # One cause, one headline at the entry, then every machine type that
    # applies hw_compat_4_2 (and no other), per target.
    headlines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(headlines) == 1, result.stdout
    assert headlines[0].startswith("machines/hw.mtc:")
    assert 'virtio-blk-device.queue-size changed from "128" to "256"' in headlines[0]
    assert headlines[0].endswith("[-Wabi-changed]")
    # The machine types of the copy's build (a dated 10.1 leaves out what
    # QEMU 10.1 deletes).
    data = json.loads((repo / "generated" / "json" / "x86_64.json").read_text())
    affected = {
        m["name"]
        for m in data["machines"]
        if any(
            p["set"] == "hw_compat_4_2" and p["property"] == "queue-size" for p in m["compat-props"]
        )
    }
    assert affected and "pc-q35-4.2" in affected and "pc-i440fx-4.2" in affected
    report = json.loads(run_mtc("abi-check", "--base", "HEAD", "--json", cwd=repo).stdout)
    [cause] = [c for c in report["causes"] if c["severity"] == "error"]
    assert set(cause["machines"]["x86_64"]) == affected
    assert set(cause["machines"]["i386"]) == affected
    assert cause["location"].startswith("machines/hw.mtc:") and cause["in"] == "new"
    assert 'base: "128"  (hw_compat_4_2, release 4.2, machines/hw.mtc:' in result.stdout
    assert 'new:  "256"  (hw_compat_4_2, release 4.2, machines/hw.mtc:' in result.stdout
    assert len(result.stdout.splitlines()) < 40  # not one block per machine type


def test_new_version_twice_and_bad_arguments_fail_cleanly(repo, cycle):
    p, n, p_day = cycle.previous, cycle.new, cycle.previous_date
    cases = [
        ([p], f"release {p} is open already"),
        (["9.2"], "not newer"),
        (
            [cycle.after],
            f"QEMU's release after {p} is {n}: {cycle.after} would skip it (--allow-skip",
        ),
        ([f"{n}.1"], "must look like X.Y"),
        (["ten"], "must look like X.Y"),
        ([n, "--date", "2025-13-01"], "not a date"),
        ([n, "--date", "26.08.2025"], "not a date"),
        ([n, "--date", p_day], f"not after release {p} ({p_day})"),
    ]
    for argv, message in cases:
        result = run_mtc("new-version", *argv, cwd=repo)
        assert result.returncode == 2, (argv, result.stderr)
        assert message in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    assert git(repo, "status", "--porcelain") == ""  # nothing was touched
    run_mtc("new-version", n, "--date", cycle.day(126), cwd=repo, check=True)
    again = run_mtc("new-version", n, "--date", cycle.day(127), cwd=repo)
    assert again.returncode == 2 and f"release {n} is open already" in again.stderr


def test_new_version_refuses_a_broken_tree(repo, cycle):
    hw = repo / "machines" / "hw.mtc"
    hw.write_text(hw.read_text() + "\ncompat hw 9.9 {\n}\n")
    result = run_mtc("new-version", cycle.new, "--date", cycle.day(126), cwd=repo)
    assert result.returncode == 1
    assert "unknown release 9.9" in result.stderr
    assert "Traceback" not in result.stderr
    assert git(repo, "status", "--porcelain", "--", "generated") == ""


def test_dry_run_prints_the_edit_and_changes_nothing(repo, cycle):
    p, n = cycle.previous, cycle.new
    result = run_mtc("new-version", n, "--date", cycle.day(126), "--dry-run", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert f"+machine pc-q35 {n} {{ alias }}" in result.stdout
    assert f"-machine pc-q35 {p} {{ alias }}" in result.stdout
    assert git(repo, "status", "--porcelain") == ""


SMALL = """\
# releases
release 9.1 date 2024-09-03
release 9.2 date 2024-12-10
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }
option max-cpus int c "m->max_cpus" query "cpu-max"

# hw_compat_X_Y, newest first

# (this comment belongs to the set below)
compat hw 9.1 {
    virtio-net-device.mq = "off"  # kept
}

family virt {
    name "virt-{version}"
    targets x86_64
    alias virt
    option max-cpus = 512
}

family old {
    name "old-{version}"
    targets x86_64
}

# The newest virt machine: a comment that stays with it.
machine virt 9.2 {
    default   # the x86_64 default
    option max-cpus = 1024
    alias
}

machine virt 9.1 {
    compat hw 9.1
}

machine old 9.1 { }
"""


def test_multi_line_machine_keeps_comments_and_other_statements(tmp_path):
    root = tmp_path / "small"
    (root / "machines").mkdir(parents=True)
    (root / "machines" / "all.mtc").write_text(SMALL)
    run_mtc("build", "--root", str(root), check=True)
    result = run_mtc("new-version", "9.3", "--date", "2025-02-01", "--root", str(root))
    assert result.returncode == 2 and "QEMU's release after 9.2 is 10.0" in result.stderr
    result = run_mtc(
        "new-version", "9.3", "--date", "2025-02-01", "--allow-skip", "--root", str(root)
    )
    assert result.returncode == 0, result.stderr
    assert "family old skipped" in result.stdout
    text = (root / "machines" / "all.mtc").read_text()
    assert "release 9.2 date 2024-12-10\nrelease 9.3 date 2025-02-01\n" in text
    assert (
        "# hw_compat_X_Y, newest first\n\ncompat hw 9.2 {\n}\n\n"
        "# (this comment belongs to the set below)\ncompat hw 9.1 {"
    ) in text
    assert (
        "machine virt 9.3 { default alias }\n\n"
        "# The newest virt machine: a comment that stays with it.\n"
        "machine virt 9.2 {\n"
        "    compat hw 9.2\n"
        "    # the x86_64 default\n"
        "    option max-cpus = 1024\n"
        "}\n"
    ) in text, text
    assert "machine old 9.1 { }" in text
    # The old newest machine keeps its own option; the new one does not get it.
    machines = machines_json(root, "x86_64")
    assert machines["virt-9.2"]["cpu-max"] == 1024
    assert machines["virt-9.3"]["cpu-max"] == 512
    assert machines["virt-9.3"]["alias"] == "virt"


def test_pins_added_during_the_development_cycle(repo, cycle):
    """After 'new-version 10.1' is committed, hw_compat_10_0 collects the old
    defaults of what 10.1 changes.  Until 10.1 is out, that keeps pc-10.0 and
    older as they were (info); once it is out, the same edit is an error."""
    p, n, day = cycle.previous, cycle.new, cycle.day(126)
    during_day, after_day = cycle.day(40), cycle.day(132)  # 2025-06-01, 2025-09-01 for 10.1
    run_mtc("new-version", n, "--date", day, cwd=repo, check=True)
    git(repo, "commit", "-qam", f"open {n}")
    hw = repo / "machines" / "hw.mtc"
    hw.write_text(
        hw.read_text().replace(
            f"compat hw {p} {{\n}}", f'compat hw {p} {{\n    virtio-net-device.mq = "off"\n}}'
        )
    )
    during = run_mtc("abi-check", "--base", "HEAD", "--as-of", during_day, "--json", cwd=repo)
    assert during.returncode == 0, during.stdout[-2000:] + during.stderr
    report = json.loads(during.stdout)
    assert report["base-released"] == p
    pins = {f["machine"] for f in report["findings"] if f["subject"] == "virtio-net-device.mq"}
    # Dated 10.1 is the build's release: QEMU 10.1 leaves out the machine types
    # due for deletion (6 years: 4.1 and older), so pc-q35-4.2 is the oldest subject.
    major, minor = (int(x) for x in n.split("."))
    gone = (major - 6, minor)
    oldest = "{}.{}".format(*release_after(gone))
    assert f"pc-i440fx-{p}" in pins and f"pc-q35-{oldest}" in pins
    assert f"pc-q35-{gone[0]}.{gone[1]}" not in pins
    assert f"pc-i440fx-{n}" not in pins
    assert {f["severity"] for f in report["findings"]} == {"info"}
    assert [f"pc-i440fx-{n}", f"release {n} (dated {day}) is not out as of {during_day}"] in [
        [item["name"], item["why"]] for item in report["machines"]["not-subjects"]["x86_64"]
    ]
    after = run_mtc("abi-check", "--base", "HEAD", "--as-of", after_day, cwd=repo)
    assert after.returncode == 1
    assert (
        'error: virtio-net-device.mq now set to "off" for released machine types: the '
        "property already existed in the base" in after.stdout
    )
