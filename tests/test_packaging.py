"""mtc as its users install it (issue 11, item 1): a wheel and an sdist built
from the repository, installed into a fresh virtual environment, run from a
directory outside any checkout on a copy of the project."""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


def run(argv, cwd, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(list(map(str, argv)), cwd=cwd, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """A wheel and an sdist of a clean export of the repository."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    # What git tracks, as a fresh clone has it (no egg-info, no caches).
    files = run(["git", "ls-files", "-z"], ROOT).stdout.split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    builder = work / "builder"
    run([sys.executable, "-m", "venv", builder], work)
    python = builder / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "setuptools>=77", "wheel"], work)
    out = work / "out"
    for hook in ("build_wheel", "build_sdist"):  # one process each, as pip does
        code = f"import sys; from setuptools import build_meta as b; b.{hook}(sys.argv[1])"
        run([python, "-c", code, out], source)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed: its bin/."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", venv], venv.parent)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", dists["wheel"]], venv.parent)
    return venv / "bin"


def test_wheel_holds_the_runtime_files_under_mtc(dists):
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    assert "mtc/grammar/mtc.lark" in names
    assert "mtc/backends/json/machines.schema.json" in names
    assert any(n.startswith("mtc/backends/c/") and n.endswith(".j2") for n in names)
    # The templates compiled ahead, which a build loads (backends/c/templates.py).
    assert "mtc/backends/c/compiled/MANIFEST.json" in names
    assert "mtc/backends/c/compiled/options_function_c.py" in names
    assert not any(n.startswith("compiler/") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dists["wheel"]).read(metadata).decode()
    assert "License-Expression: GPL-2.0-or-later" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    requires = sorted(
        line.split(":", 1)[1].split(";")[0].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )
    # Exactly what the runtime imports.
    assert [r.split(">")[0].split("<")[0] for r in requires] == ["jinja2", "lark"]
    assert "Project-URL" not in text


def test_sdist_holds_the_sources_and_builds(dists, tmp_path):
    with tarfile.open(dists["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for rel in ("grammar/mtc.lark", "LICENSE", "pyproject.toml", "compiler/cli.py"):
        assert rel in names
    venv = tmp_path / "env"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", dists["sdist"]], tmp_path)
    assert run([venv / "bin" / "mtc", "--version"], tmp_path).stdout.startswith("mtc ")


def test_installed_mtc_builds_a_copy_byte_for_byte(installed, tmp_path):
    copy = tmp_path / "copy"
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.rmtree(copy / "generated")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    version = run([installed / "mtc", "--version"], outside).stdout
    assert version.startswith("mtc ")
    run([installed / "mtc", "build", "-q", "--root", copy], outside)
    produced = sorted(p.relative_to(copy).as_posix() for p in (copy / "generated").rglob("*"))
    committed = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "generated").rglob("*"))
    assert produced == committed
    for rel in committed:
        if (ROOT / rel).is_file():
            assert (copy / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    run([installed / "mtc", "check", "--root", copy], outside)
    help_text = run([installed / "python", "-m", "mtc", "--help"], outside).stdout
    assert "usage: mtc" in help_text and "build" in help_text


def test_no_top_level_compiler_package_is_installed(installed, tmp_path):
    probe = "import importlib.util as u; print(u.find_spec('compiler'), u.find_spec('mtc').origin)"
    # Installed, the compiled templates are current: a build renders them
    # without Jinja.
    loader = (
        "from mtc.backends.c import templates; "
        "print(templates._current(), type(templates.template('host.h.j2')).__name__)"
    )
    assert run([installed / "python", "-c", loader], tmp_path).stdout.strip() == "True _Compiled"
    found = run([installed / "python", "-c", probe], tmp_path).stdout.split()
    assert found[0] == "None"
    assert "site-packages/mtc/__init__.py" in found[1]
