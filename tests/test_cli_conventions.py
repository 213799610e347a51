"""A compiler's conventions (issue 11, item 4): --version, validated check
names, gcc's -Werror, --list-checks, -q, colour, one diagnostic format, and
--json on every command that prints a report."""

import json
import os
import pty
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import ROOT, run_mtc

GOLDEN = ROOT / "tests" / "golden" / "cases"

# One warning (the same entry twice, same value) and nothing else.
WARNS = """\
release 9.2 date 2024-12-11
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }
compat hw 9.2 {
    virtio-mmio.format_transport_address = "off"
    virtio-mmio.format_transport_address = "off"
}
c-scope hw {
    tables "hw_compat.c.inc" in "hw/core/machine.c"
    declarations "hw_compat.h" in "include/hw/boards.h"
}
"""
DIAGNOSTIC_RE = re.compile(r"^[^\s:][^:]*:\d+:\d+: (error|warning|note): \S.*$")


@pytest.fixture
def warns(tmp_path) -> Path:
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "m.mtc").write_text(WARNS)
    return tmp_path


def test_version():
    result = run_mtc("--version")
    assert result.returncode == 0
    assert result.stdout == f"mtc {version('mtc')}\n"


@pytest.mark.parametrize(
    "flag",
    ["-Wfoo", "-Wno-such-check", "-Werror=nope", "-Wno-error=nope", "-Eno-such-check"],
)
def test_unknown_check_names_are_usage_errors(flag, warns):
    result = run_mtc("build", "--root", str(warns), flag)
    assert result.returncode == 2
    assert "unknown check" in result.stderr
    assert not (warns / "generated").exists()


def test_a_misspelt_check_gets_did_you_mean(warns):
    result = run_mtc("build", "--root", str(warns), "-Wno-duplicate-entyr")
    assert result.returncode == 2
    assert "did you mean '-Wno-duplicate-entry'?" in result.stderr


def test_warning_then_werror(warns):
    plain = run_mtc("build", "--root", str(warns))
    assert plain.returncode == 0
    assert "m.mtc:5:5: warning: " in plain.stderr
    assert plain.stderr.splitlines()[0].endswith("[-Wduplicate-entry]")

    strict = run_mtc("build", "--root", str(warns), "-Werror")
    assert strict.returncode == 1
    assert "m.mtc:5:5: error: " in strict.stderr
    assert "[-Werror=duplicate-entry]" in strict.stderr

    assert run_mtc("build", "--root", str(warns), "-Werror=duplicate-entry").returncode == 1
    assert run_mtc("build", "--root", str(warns), "-E", "duplicate-entry").returncode == 1
    exempt = run_mtc("build", "--root", str(warns), "-Werror", "-Wno-error=duplicate-entry")
    assert exempt.returncode == 0 and ": warning: " in exempt.stderr
    silent = run_mtc("build", "--root", str(warns), "-Wno-duplicate-entry")
    assert silent.returncode == 0 and silent.stderr == ""


def test_quiet_prints_errors_only(warns):
    quiet = run_mtc("build", "--root", str(warns), "-q")
    assert quiet.returncode == 0
    assert quiet.stderr == "" and quiet.stdout == ""
    (warns / "machines" / "m.mtc").write_text(WARNS + "compat hw 1.0 { }\n")
    failed = run_mtc("build", "--root", str(warns), "-q")
    assert failed.returncode == 1
    assert ": error: " in failed.stderr and ": warning: " not in failed.stderr


def test_list_checks_names_every_check_the_golden_cases_show():
    result = run_mtc("build", "--list-checks")
    assert result.returncode == 0
    listed = {}
    for line in result.stdout.splitlines()[1:]:
        name, severity, _ = line.split(None, 2)
        listed[name] = severity
    assert set(listed.values()) <= {"error", "warning"}
    shown = set()
    for err in GOLDEN.glob("*.err"):
        shown |= set(re.findall(r"\[-W(?:error=)?([a-z0-9-]+)\]", err.read_text()))
    assert shown and shown <= set(listed)
    assert listed["duplicate-entry"] == "warning" and listed["unknown-driver"] == "error"


def test_every_golden_diagnostic_has_the_one_format():
    for err in GOLDEN.glob("*.err"):
        for line in err.read_text().splitlines():
            if line.startswith(("    ", "exit ", "mtc: ")):
                continue
            assert DIAGNOSTIC_RE.match(line), f"{err.name}: {line}"


# ---- colour ------------------------------------------------------------------

ESC = "\x1b["


def run_env(warns, *args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "mtc", "build", "--root", str(warns), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def run_on_tty(warns, **env) -> str:
    """stderr of a build whose stderr is a terminal."""
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mtc", "build", "--root", str(warns)],
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_no_colour_when_not_a_terminal(warns):
    assert ESC not in run_env(warns).stderr


def test_colour_on_a_terminal_as_gcc_does(warns):
    text = run_on_tty(warns)
    assert f"{ESC}01;35m{ESC}K" + "warning:" in text  # bold magenta, as gcc
    assert f"{ESC}01m{ESC}K" in text  # the bold locus
    assert f"{ESC}01;32m{ESC}K^" in text  # the green caret
    assert ESC not in run_on_tty(warns, NO_COLOR="1")


def test_forced_colour(warns):
    assert f"{ESC}01;35m" in run_env(warns, FORCE_COLOR="1").stderr
    assert f"{ESC}01;35m" in run_env(warns, "--color=always").stderr
    assert ESC not in run_env(warns, "--color=never", FORCE_COLOR="1").stderr
    # Colour changes only how it looks: stripped, the text is the plain one.
    coloured = run_env(warns, "--color=always").stderr
    assert re.sub(r"\x1b\[[0-9;]*[mK]", "", coloured) == run_env(warns).stderr


# ---- --json on every report --------------------------------------------------


def test_list_json():
    result = run_mtc("list", "--json", "--target", "x86_64")
    assert result.returncode == 0
    machines = json.loads(result.stdout)["targets"]["x86_64"]["machines"]
    q35 = next(m for m in machines if m["name"] == "pc-q35-9.2")
    assert q35["cpu-max"] == 4096 and q35["alias"] is None and q35["default"] is False
    assert [m for m in machines if m["alias"] == "q35"]


def test_platforms_json():
    result = run_mtc("platforms", "--json")
    assert result.returncode == 0
    platforms = json.loads(result.stdout)["platforms"]
    assert platforms["linux-6.2"]["features"] == ["tap-uso"]
    assert platforms["linux-6.2"]["extends"] == "linux-5.14"
    assert platforms["macos-hvf"]["os"] == "darwin"


def test_migrate_check_json():
    args = ["migrate-check", "pc-q35-9.2", "--from", "linux-6.2", "--to", "linux-5.14"]
    text = run_mtc(*args)
    result = run_mtc(*args, "--json")
    assert result.returncode == text.returncode == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "can-break"
    broken = {d["property"] for d in report["differences"] if d["breaks"]}
    assert "virtio-net-device.host_uso" in broken
    assert all(f"{p}:" in text.stdout for p in broken)


# ---- pre-commit ----------------------------------------------------------------


def test_pre_commit_hook_runs_mtc_check_on_the_files_it_passes(project_copy, tmp_path):
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: mtc-check" in hooks and "entry: mtc check" in hooks
    assert "pass_filenames: true" in hooks
    # pre-commit runs the entry with the changed files appended, from the
    # repository's top; mtc finds the project from them, wherever it runs.
    changed = [project_copy / "machines" / "hw.mtc", project_copy / "generated" / "c" / "compat.h"]
    ok = run_mtc("check", *map(str, changed), cwd=tmp_path.parent)
    assert ok.returncode == 0, ok.stderr
    (project_copy / "generated" / "c" / "compat.h").write_text("/* edited */\n")
    stale = run_mtc("check", *map(str, changed), cwd=tmp_path.parent)
    assert stale.returncode == 1
    assert "generated/ is out of date" in stale.stderr


def test_output_is_complete_when_mtc_leaves_without_teardown(tmp_path):
    # mtc ends with os._exit (no interpreter teardown): whatever it printed
    # must be flushed first, also when stdout is a buffered file.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = tmp_path / "list.txt"
    with out.open("w") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "mtc", "list", "--json"], cwd=ROOT, env=env, stdout=stdout
        )
    assert done.returncode == 0
    listed = json.loads(out.read_text())
    assert {"x86_64", "s390x", "ppc64"} <= set(listed["targets"])


def test_a_reader_that_leaves_early_is_not_an_error():
    # `mtc list | head -1`: the pipe closes under mtc (here before mtc writes
    # a byte); no traceback, no "Exception ignored" from the final flush.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    for unbuffered in ({}, {"PYTHONUNBUFFERED": "1"}):
        process = subprocess.Popen(
            [sys.executable, "-m", "mtc", "list"],
            cwd=ROOT,
            env={**env, **unbuffered},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        process.stdout.close()
        stderr = process.stderr.read()
        assert process.wait() == 0
        assert stderr == b""
