"""Golden tests in the style of QEMU's tests/qapi-schema.

Each case under tests/golden/cases/ is a small machines/ tree: either one
NAME.mtc file or a directory NAME/ of files.  It is compiled with `mtc build`
in a scratch project; stderr and the exit status must equal NAME.err.  A line
"# mtc-args: ..." in a case's sources adds command-line options.
Regenerate the expectations with `pytest --regen-golden` and review the diff.
"""

import shutil
from pathlib import Path

import pytest

from conftest import run_mtc

CASES = Path(__file__).resolve().parent / "golden" / "cases"


def case_names():
    names = set()
    for path in CASES.iterdir():
        if path.suffix == ".err":
            continue
        names.add(path.name.removesuffix(".mtc"))
    return sorted(names)


def make_project(tmp_path: Path, name: str) -> Path:
    machines = tmp_path / "machines"
    source = CASES / name
    if source.is_dir():
        shutil.copytree(source, machines)
    else:
        machines.mkdir()
        shutil.copy(CASES / f"{name}.mtc", machines / f"{name}.mtc")
    return tmp_path


def case_args(root: Path) -> list[str]:
    for path in sorted((root / "machines").rglob("*.mtc")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("# mtc-args:"):
                return line.split(":", 1)[1].split()
    return []


@pytest.mark.parametrize("name", case_names())
def test_golden(name, tmp_path, regen):
    root = make_project(tmp_path, name)
    result = run_mtc("build", "--root", str(root), *case_args(root))
    actual = result.stderr + f"exit {result.returncode}\n"
    assert "Traceback" not in result.stderr
    expected_file = CASES / f"{name}.err"
    if regen:
        expected_file.write_text(actual)
    assert expected_file.exists(), f"no {expected_file.name}; run pytest --regen-golden"
    assert actual == expected_file.read_text()
    if result.returncode != 0:
        # A failed build writes nothing at all.
        assert not (root / "generated").exists()
