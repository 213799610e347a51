#!/usr/bin/env python3
"""Time `mtc build` on the real corpus against the floor of importing its
dependencies, in the same run, and print the ratio of the medians.

    python3 bench/build_bench.py [--runs N]

Both commands start a fresh interpreter, so the ratio says how much mtc adds
to what any Python tool using lark and jinja2 pays at start-up.  The machine
is noisy: compare ratios from one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict, before=None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    subprocess.run(
        command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        shutil.copytree(ROOT / "machines", project / "machines")
        generated = project / "generated"

        def clean() -> None:
            shutil.rmtree(generated, ignore_errors=True)

        floor_cmd = [sys.executable, "-c", "import lark, jinja2"]
        build_cmd = [sys.executable, "-m", "compiler", "build", "--root", str(project)]
        check_cmd = [sys.executable, "-m", "compiler", "check", "--root", str(project)]
        timed(build_cmd, env, clean)  # warm the grammar cache and the page cache
        floor, build, check = [], [], []
        for _ in range(args.runs):  # interleaved, so drift hits all three alike
            floor.append(timed(floor_cmd, env))
            build.append(timed(build_cmd, env, clean))
            check.append(timed(check_cmd, env))

    floor_s, build_s, check_s = (statistics.median(x) for x in (floor, build, check))
    print(f"runs: {args.runs} each, interleaved; medians:")
    print(f"  floor  python -c 'import lark, jinja2'   {floor_s * 1000:7.1f} ms")
    print(f"  mtc build (empty generated/)            {build_s * 1000:7.1f} ms")
    print(f"  mtc check (up to date)                  {check_s * 1000:7.1f} ms")
    print(f"ratio build/floor: {build_s / floor_s:.2f}  (target: within 1.5)")
    print(f"ratio check/floor: {check_s / floor_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
