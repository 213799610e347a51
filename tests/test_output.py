"""generated/ and -o DIR as one transaction (compiler/output.py): interrupted
builds, temporaries, the manifest, symlinks and I/O errors.  Every test runs
the CLI as a separate process on a scratch copy of the project."""

import os
import resource
import subprocess
import sys

import pytest

import crash
from conftest import ROOT, run_mtc


def build(root, *args):
    return run_mtc("build", "--root", str(root), *args)


def check(root):
    return run_mtc("check", "--root", str(root))


def tree(directory):
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def change_every_output(root):
    """A new source file: every output's banner names it."""
    (root / "machines" / "zz-new.mtc").write_text("# another source\n")


def test_sigkill_at_every_stage_of_the_write(tmp_path):
    """Killed at its first change, while writing temporaries, while renaming
    and at its last change, a build leaves a tree 'mtc check' accepts only if
    it is complete and clean; the next build repairs it (crash.Project
    asserts both).  bench/kill_trials.py runs 100 such trials."""
    project = crash.Project(tmp_path)
    changes = project.changes_in_a_build()
    trials = [project.trial(kill_at=k) for k in (1, changes // 3, 2 * changes // 3, changes)]
    assert all(t.killed for t in trials)
    states = {(t.state, bool(t.temporaries), t.journal) for t in trials}
    # The points reach every stage: nothing written yet, temporaries only,
    # renames half done under the journal.
    assert ("old", True, False) in states or ("new", True, False) in states
    assert any(state == "mixed" and journal for state, _, journal in states)
    for t in trials:
        if t.state == "mixed" or t.journal or t.temporaries:
            assert t.check_old != 0 and t.check_new != 0


def test_stray_temporaries_and_a_journal_fail_check_and_the_next_build_removes_them(
    project_copy,
):
    generated = project_copy / "generated"
    stray = generated / "c" / ".mtc-tmp.hw_compat.h.0123abcd"
    stray.write_text("half of a file")
    older = generated / "json" / ".x86_64.json.k3_9xq0z"  # an older mtc's mkstemp name
    older.write_text("half of another")
    (generated / ".mtc-journal").write_text("# interrupted\nc/hw_compat.h\n")
    editor_file = generated / "c" / ".hw_compat.h.swp"
    editor_file.write_text("not mtc's")
    result = check(project_copy)
    assert result.returncode == 1
    assert "generated/c/.mtc-tmp.hw_compat.h.0123abcd: error: a temporary left by" in result.stderr
    assert "generated/.mtc-journal: error: a build was interrupted here" in result.stderr
    assert "generated/json/.x86_64.json.k3_9xq0z: error: a temporary left by" in result.stderr
    assert build(project_copy).returncode == 0
    assert not stray.exists() and not older.exists()
    assert not (generated / ".mtc-journal").exists()
    assert editor_file.read_text() == "not mtc's"  # dot files are nobody's business
    assert check(project_copy).returncode == 0


@pytest.mark.parametrize("link", ["generated", "generated/c"])
def test_never_writes_or_deletes_through_a_symlink(project_copy, tmp_path, link):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "unrelated.txt").write_text("keep me")
    (elsewhere / "hw_compat.h").write_text("not mtc's either")
    (project_copy / link).rename(tmp_path / "moved")
    (project_copy / link).symlink_to(elsewhere)
    change_every_output(project_copy)
    result = build(project_copy)
    assert result.returncode == 1
    assert f"{link}: error: is a symbolic link" in result.stderr
    assert "(nothing was changed)" in result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["hw_compat.h", "unrelated.txt"]
    assert (elsewhere / "hw_compat.h").read_text() == "not mtc's either"
    assert check(project_copy).returncode == 1


def test_a_symlinked_output_file_is_replaced_not_written_through(project_copy, tmp_path):
    target = tmp_path / "victim.h"
    target.write_text("keep me")
    link = project_copy / "generated" / "c" / "hw_compat.h"
    link.unlink()
    link.symlink_to(target)
    assert "a symbolic link" in check(project_copy).stderr
    assert build(project_copy).returncode == 0
    assert not link.is_symlink() and target.read_text() == "keep me"
    assert check(project_copy).returncode == 0


def test_an_output_directory_that_is_a_file_is_a_clear_error(project_copy):
    generated = project_copy / "generated"
    before = tree(generated)
    (generated / "libvirt").rename(project_copy / "libvirt.moved")
    (generated / "libvirt").write_text("in the way\n")
    change_every_output(project_copy)
    result = build(project_copy)
    assert result.returncode == 1
    assert "generated/libvirt: error: is not a directory (nothing was changed)" in result.stderr
    assert "internal error" not in result.stderr
    after = tree(generated)
    assert after.pop("libvirt") == b"in the way\n"
    assert after == {k: v for k, v in before.items() if not k.startswith("libvirt/")}


def test_a_write_error_part_way_changes_nothing(project_copy):
    """A file-size limit makes the biggest output fail half-way (EFBIG, as
    a full disk would), whatever user the tests run as."""
    generated = project_copy / "generated"
    before = tree(generated)
    change_every_output(project_copy)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    result = subprocess.run(
        [sys.executable, "-m", "mtc", "build", "--root", str(project_copy)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert result.returncode == 1
    assert ": error: cannot write: File too large (nothing was changed)" in result.stderr
    assert tree(generated) == before  # no temporary left, nothing replaced


def test_a_fifo_in_generated_does_not_hang_check_or_build(project_copy):
    fifo = project_copy / "generated" / "json" / "x86_64.json"
    fifo.unlink()
    os.mkfifo(fifo)
    assert check(project_copy).returncode == 1
    result = build(project_copy)
    assert result.returncode == 1
    assert "generated/json/x86_64.json: error: is not a regular file" in result.stderr


def test_build_dir_is_transactional_and_never_pruned(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "meson-owned.txt").write_text("another tool's")
    (out / ".mtc-tmp.hw_compat.h.deadbeef").write_text("left by a killed build")
    result = run_mtc("build", "--root", str(ROOT), "-o", str(out), "--backend", "c")
    assert result.returncode == 0, result.stderr
    assert (out / "meson-owned.txt").read_text() == "another tool's"
    assert not (out / ".mtc-tmp.hw_compat.h.deadbeef").exists()
    assert not (out / ".mtc-journal").exists() and not (out / ".mtc-manifest").exists()
    assert (out / "hw_compat.h").read_bytes() == (
        ROOT / "generated" / "c" / "hw_compat.h"
    ).read_bytes()


def test_the_manifest_lists_every_output():
    manifest = (ROOT / "generated" / ".mtc-manifest").read_text().splitlines()
    assert manifest[0].startswith("# ")
    files = sorted(
        p.relative_to(ROOT / "generated").as_posix()
        for p in (ROOT / "generated").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    assert manifest[1:] == files
