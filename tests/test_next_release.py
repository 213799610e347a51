"""The suite survives the next release (issue 11, item 2).

Tests of the live machines/ check what a release must keep (every released
machine type's compat properties and options, and what QEMU 10.0 had, as of
10.0), not what a release legitimately changes (aliases, the default,
deprecation, the list of machine types).  The proof: in a copy of the
project, a maintainer opens 10.1 with mtc's own command, builds, and adds one
real 10.1 fact -- QEMU 10.1's first hw_compat_10_0 entry, scsi-hd's dpofua,
whose default QEMU 10.1 turned on (commit "scsi-disk: Advertise FUA support
by default") -- with its registry declaration, and commits it; then the
whole suite runs in the copy and must pass.  machines/ as of 10.0 still
builds exactly the committed generated/ of the project as it is.
"""

import os
import subprocess
import sys

from conftest import ROOT, run_mtc

THIS = "tests/test_next_release.py"
GIT = ["git", "-c", "user.name=mtc", "-c", "user.email=mtc@invalid"]


def git(cwd, *argv) -> str:
    return subprocess.run(
        GIT + list(argv), cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def committed_generated() -> dict[str, bytes]:
    """generated/ as the project commits it, keyed by the path below it."""
    names = git(ROOT, "ls-files", "-z", "--", "generated").split("\0")
    return {
        name.removeprefix("generated/"): subprocess.run(
            ["git", "show", f"HEAD:{name}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        for name in filter(None, names)
    }


def files_below(root) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def copy_project(target):
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for rel in filter(None, files):
        source = ROOT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_bytes(source.read_bytes())
            os.chmod(target / rel, source.stat().st_mode)
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "10.0"]):
        git(target, *argv)


def test_the_whole_suite_passes_after_opening_10_1(tmp_path):
    project = tmp_path / "project"
    copy_project(project)

    opened = run_mtc("new-version", "10.1", "--root", str(project))
    assert opened.returncode == 0, opened.stderr
    hw = project / "machines" / "hw.mtc"
    text = hw.read_text()
    assert (
        "compat hw 10.0 {\n}" in text or "compat hw 10.0 { }" in text
    ), "new-version opened no set"
    text = text.replace("compat hw 10.0 {\n}", "compat hw 10.0 { }", 1)
    hw.write_text(
        text.replace("compat hw 10.0 { }", 'compat hw 10.0 {\n    scsi-hd.dpofua = "off"\n}', 1)
    )
    declarations = project / "machines" / "registry" / "declarations.mtc"
    declarations.write_text(
        declarations.read_text()
        + "\n# QEMU 10.1 advertises FUA by default; hw_compat_10_0 pins it off.\n"
        + 'qom-type scsi-hd { dpofua bool default "on" since 10.1 }\n'
    )
    built = run_mtc("build", "--root", str(project))
    assert built.returncode == 0, built.stderr
    assert "scsi-hd" in (project / "generated" / "json" / "x86_64.json").read_text()
    git(project, "add", "-A")  # the maintainer commits the opened release
    git(project, "commit", "-qm", "open 10.1: scsi-hd.dpofua in hw_compat_10_0")
    assert git(project, "status", "--porcelain") == ""

    # What a release must keep: machines/ as of 10.0 is QEMU 10.0 as before,
    # to the byte (-o writes no .mtc-manifest).
    out = tmp_path / "at-10.0"
    at = run_mtc("build", "--root", str(project), "--at", "10.0", "-o", str(out))
    assert at.returncode == 0, at.stderr
    expected = committed_generated()
    del expected[".mtc-manifest"]
    built = files_below(out)
    assert sorted(built) == sorted(expected)
    assert [name for name in expected if built[name] != expected[name]] == []

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--deselect", THIS],
        cwd=project,
        capture_output=True,
        text=True,
    )
    tail = "\n".join(suite.stdout.splitlines()[-40:])
    assert (
        suite.returncode == 0
    ), f"the suite in the 10.1 copy failed:\n{tail}\n{suite.stderr[-2000:]}"
