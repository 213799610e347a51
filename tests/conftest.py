import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"


def pytest_configure(config):
    """Every mtc the tests run shares one cache made fresh for this session,
    so each distinct input is really compiled at least once per run, and no
    result from an earlier run (or from a developer's own builds) is reused."""
    import tempfile

    cache = tempfile.mkdtemp(prefix="mtc-test-cache-")
    os.environ["MTC_CACHE_DIR"] = cache
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))


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
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=cwd or ROOT,
        env=env,
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
