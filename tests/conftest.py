import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Facts transcribed from QEMU; tests/reference/README.md says from where.
REFERENCE = ROOT / "tests" / "reference"


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite the expected .err files of tests/golden from the current output",
    )


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen-golden")


def run_mtc(*args, cwd=None, check=False) -> subprocess.CompletedProcess:
    """Run the CLI the way a build pipeline would: a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "mtc", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        check=check,
    )


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A scratch copy of the project's machines/ and generated/."""
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def reference():
    import json

    path = REFERENCE / "qemu-10.0-compat.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def dump_72(tmp_path_factory) -> Path:
    """The vendored QEMU 7.2 QOM dump, uncompressed: import-qom reads plain JSON."""
    import lzma

    path = tmp_path_factory.mktemp("dump") / "qemu-7.2-x86_64-qom.json"
    path.write_bytes(lzma.decompress((REFERENCE / "qemu-7.2-x86_64-qom.json.xz").read_bytes()))
    return path


# ---- machines/ as of QEMU 10.0 ----------------------------------------------------
# The reference facts describe QEMU 10.0.  Tests that compare mtc's outputs
# with them compare what mtc gives for machines/ *as of 10.0*: after a
# maintainer opens 10.1 (`mtc new-version`), generated/ describes 10.1, but
# machines/ as of 10.0 must still be exactly QEMU 10.0.  Today the two are the
# same thing.

REFERENCE_RELEASE = "10.0"


@functools.lru_cache(maxsize=None)
def outputs_at(release: str = REFERENCE_RELEASE) -> dict[str, str]:
    """Every file `mtc build` would write for machines/ as of `release`,
    keyed by its path below generated/."""
    from mtc import asof, pipeline
    from mtc.diagnostics import Diagnostics
    from mtc.versions import Version

    diags = Diagnostics()
    resolved = pipeline.compile_project(pipeline.Project(ROOT), diags)
    assert resolved is not None, diags.render()
    return pipeline.emit(asof.resolve_at(resolved, Version.parse(release)))


def at_10_0(rel: str) -> str:
    """One output (json/x86_64.json, libvirt/capabilities.xml, ...) as of 10.0."""
    return outputs_at()[rel]


def json_at_10_0(target: str) -> dict:
    import json

    return json.loads(at_10_0(f"json/{target}.json"))


# ---- the next release cycle -------------------------------------------------------------


def _releases(root: Path) -> list[tuple[tuple[int, int], str | None]]:
    """(version, date or None when planned) of machines/releases.mtc, sorted."""
    import re

    text = (root / "machines" / "releases.mtc").read_text()
    found = re.findall(r"^release (\d+)\.(\d+) (?:date (\S+)|planned)", text, re.M)
    return sorted(((int(a), int(b)), day or None) for a, b, day in found)


def _has_machines(root: Path, version: tuple[int, int]) -> bool:
    import re

    pattern = re.compile(rf"^machine \S+ {version[0]}\.{version[1]} ", re.M)
    return any(pattern.search(p.read_text()) for p in (root / "machines").rglob("*.mtc"))


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


class Cycle:
    """The release a test opened (new) and the one before it (previous, out)."""

    def __init__(self, previous: tuple[int, int], new: tuple[int, int], previous_date: str):
        self.previous = _text(previous)
        self.new = _text(new)
        self.after = _text(release_after(new))  # the release opening it would skip
        self.previous_date = previous_date
        self.suffix = f"{previous[0]}_{previous[1]}"  # hw_compat_10_0

    def day(self, days: int) -> str:
        """The date `days` days after the previous release's."""
        from datetime import date, timedelta

        return (date.fromisoformat(self.previous_date) + timedelta(days=days)).isoformat()


def date_open_release(root: Path) -> tuple[tuple[int, int], str]:
    """When machines/ is in a cycle already (a planned release with machine
    types: the live tree after `mtc new-version`), date that release with
    `mtc release`.  Returns the build's current release and its date."""
    from datetime import date, timedelta

    releases = _releases(root)
    previous, day = [(v, d) for v, d in releases if d][-1]
    opened = [v for v, d in releases if d is None and v > previous and _has_machines(root, v)]
    if opened:
        day = (date.fromisoformat(day) + timedelta(days=120)).isoformat()
        run_mtc("release", _text(opened[0]), "--date", day, "--root", str(root), check=True)
        previous = opened[0]
    return previous, day


def release_after(version: tuple[int, int]) -> tuple[int, int]:
    """The release QEMU numbers after `version`: X.0, X.1, X.2, then X+1.0."""
    return (version[0], version[1] + 1) if version[1] < 2 else (version[0] + 1, 0)


def next_cycle(root: Path) -> Cycle:
    """The cycle a maintainer would open next in root: the open release, if
    any, is dated first (see date_open_release); the new one is not opened
    yet, for tests of `mtc new-version` itself."""
    previous, day = date_open_release(root)
    return Cycle(previous, release_after(previous), day)


def open_next_release(root: Path, **kwargs) -> Cycle:
    """Open the release after the build's current one with `mtc new-version`,
    as a maintainer starting a cycle does (after dating the one in progress,
    if any: so the tests hold before and after a maintainer opens 10.1)."""
    cycle = next_cycle(root)
    args = [f"--{k.replace('_', '-')}={v}" for k, v in kwargs.items()]
    run_mtc("new-version", cycle.new, "--root", str(root), *args, check=True)
    return cycle
