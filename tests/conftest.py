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
