"""mtc inside a build system (issue 11, item 3): -o, --backend, --depfile,
outputs free of absolute paths, and a real meson + ninja project that
generates its C with mtc the way QEMU's meson.build runs qapi-gen."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import ninja

from conftest import ROOT, run_mtc

MESON_PROJECT = ROOT / "tests" / "fixtures" / "meson"
STUBS = ROOT / "tests" / "c" / "stubs"
MACHINE_C = ROOT / "tests" / "c" / "qemu" / "hw" / "core" / "machine.c"


def files_below(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def test_one_backend_goes_directly_in_the_output_dir(project_copy, tmp_path):
    before = {
        rel: (project_copy / "generated" / rel).read_bytes()
        for rel in files_below(project_copy / "generated")
    }
    out = tmp_path / "build" / "c"
    depfile = tmp_path / "build" / "mt.d"
    result = run_mtc(
        "build",
        "--root",
        str(project_copy),
        "-o",
        str(out),
        "--backend",
        "c",
        "--depfile",
        str(depfile),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    written = files_below(out)
    assert written and all(
        name.endswith((".c", ".h", ".inc")) and "/" not in name for name in written
    )
    # The same files as generated/c/, byte for byte; the source tree untouched.
    for name in written:
        assert (out / name).read_bytes() == (ROOT / "generated" / "c" / name).read_bytes(), name
    assert {rel: (project_copy / "generated" / rel).read_bytes() for rel in before} == before
    assert files_below(project_copy / "generated") == set(before)

    # The depfile: every output, then every .mtc and registry file read.
    text = depfile.read_text()
    head, _, deps = text.partition(":")
    assert sorted(head.split()) == sorted(f"build/c/{name}" for name in written)
    listed = {(tmp_path / d).resolve() for d in deps.replace("\\\n", " ").split()}
    expected = {
        p.resolve()
        for p in (project_copy / "machines").rglob("*")
        if p.name.endswith((".mtc", ".qom.json"))
    }
    assert listed == expected


def test_several_backends_keep_their_folders(project_copy, tmp_path):
    out = tmp_path / "out"
    result = run_mtc(
        "build",
        "--root",
        str(project_copy),
        "-o",
        str(out),
        "--backend",
        "json",
        "--backend",
        "libvirt",
    )
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {"json", "libvirt"}
    for rel in files_below(out):
        assert (out / rel).read_bytes() == (ROOT / "generated" / rel).read_bytes(), rel


def test_unknown_backend_is_a_usage_error(tmp_path):
    result = run_mtc("build", "-o", str(tmp_path), "--backend", "rust")
    assert result.returncode == 2
    assert "invalid choice: 'rust'" in result.stderr


def test_outputs_never_hold_an_absolute_path(tmp_path):
    # machines/ a symlink into another tree, --root a symlink, -o elsewhere.
    real = tmp_path / "elsewhere" / "machines-real"
    shutil.copytree(ROOT / "machines", real)
    project = tmp_path / "project"
    project.mkdir()
    (project / "machines").symlink_to(real)
    (tmp_path / "root-link").symlink_to(project)
    out = tmp_path / "build-dir"
    result = run_mtc("build", "--root", str(tmp_path / "root-link"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    for rel in files_below(out):
        data = (out / rel).read_bytes()
        assert str(tmp_path).encode() not in data, rel
        # Identical to the committed outputs: the paths shown are machines/...
        assert data == (ROOT / "generated" / rel).read_bytes(), rel


def run_tool(argv, cwd, env) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, argv))}\n{result.stdout}\n{result.stderr}"
    return result


def test_meson_and_ninja_regenerate_only_when_machines_change(tmp_path):
    project = tmp_path / "proj"
    shutil.copytree(MESON_PROJECT, project)
    shutil.copy(MACHINE_C, project / "machine.c")
    # meson and ninja from PyPI; meson looks for ninja on PATH.
    env = dict(os.environ, PATH=f"{ninja.BIN_DIR}{os.pathsep}{os.environ['PATH']}")
    meson = [sys.executable, "-m", "mesonbuild.mesonmain"]
    ninja_cmd = [os.path.join(ninja.BIN_DIR, "ninja"), "-C", "build"]
    run_tool(
        [*meson, "setup", "build", f"-Dpython={sys.executable}", f"-Dstubs={STUBS}"],
        project,
        env,
    )
    first = run_tool(ninja_cmd, project, env)
    assert "Generating machine-types" in first.stdout
    assert "Linking static target libhwcompat.a" in first.stdout
    generated = (project / "build" / "hw_compat.c.inc").read_text()
    assert '{ "virtio-mmio", "format_transport_address", "off" },' in generated

    # Nothing changed: nothing to do (mtc is not run again).
    again = run_tool(ninja_cmd, project, env)
    assert "no work to do" in again.stdout

    # hw.mtc is not among the custom_target's inputs: only the depfile names it.
    hw = project / "machines" / "hw.mtc"
    hw.write_text(hw.read_text().replace('"off"', '"on"'))
    rebuilt = run_tool(ninja_cmd, project, env)
    assert "Generating machine-types" in rebuilt.stdout
    assert "Compiling C object" in rebuilt.stdout
    generated = (project / "build" / "hw_compat.c.inc").read_text()
    assert '{ "virtio-mmio", "format_transport_address", "on" },' in generated
    assert "no work to do" in run_tool(ninja_cmd, project, env).stdout

    # Touching a file, content unchanged, still regenerates and rebuilds.
    os.utime(project / "machines" / "releases.mtc")
    touched = run_tool(ninja_cmd, project, env)
    assert "Generating machine-types" in touched.stdout
    assert "no work to do" in run_tool(ninja_cmd, project, env).stdout
