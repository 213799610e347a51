#!/usr/bin/env python3
"""Time `mtc build` on the real corpus against the floor of importing its
dependencies, in the same run, and print the ratio of the medians.

    python3 bench/build_bench.py [--runs N]

Both commands start a fresh interpreter, so the ratio says how much mtc adds
to what any Python tool using lark and jinja2 pays at start-up.  The machine
is noisy: compare ratios from one run, not seconds across runs.

mtc is timed three ways, interleaved with the floor:
  warm         nothing changed since the last build: the build cache answers;
  incremental  the build cache off (MTC_BUILD_CACHE=0), so everything after
               reading the sources runs: the case of an edited machines/;
  cold         every cache off (MTC_CACHE_DIR=): a fresh machine's first build,
               Lark's table construction included.
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

    env = dict(os.environ)
    # An installed package has its .pyc files; make sure ours do too, even
    # where PYTHONDONTWRITEBYTECODE is set, so source compilation is not timed.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "compiler")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        shutil.copytree(ROOT / "machines", project / "machines")
        generated = project / "generated"

        def clean() -> None:
            shutil.rmtree(generated, ignore_errors=True)

        cache = Path(scratch) / "cache"
        floor_cmd = [sys.executable, "-c", "import lark, jinja2"]
        build_cmd = [sys.executable, "-m", "mtc", "build", "--root", str(project)]
        modes = {
            "warm": dict(env, MTC_CACHE_DIR=str(cache)),
            "incremental": dict(env, MTC_CACHE_DIR=str(cache), MTC_BUILD_CACHE="0"),
            "cold": dict(env, MTC_CACHE_DIR=""),
        }
        timed(build_cmd, modes["warm"], clean)  # fill the caches and the page cache
        times: dict[str, list[float]] = {"floor": [], **{mode: [] for mode in modes}}
        for _ in range(args.runs):  # interleaved, so drift hits all alike
            times["floor"].append(timed(floor_cmd, env))
            for mode, mode_env in modes.items():
                times[mode].append(timed(build_cmd, mode_env, clean))

    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"runs: {args.runs} each, interleaved; medians of a build into an empty generated/:")
    print(f"  floor        python -c 'import lark, jinja2'  {median['floor'] * 1000:7.1f} ms")
    for mode in modes:
        ratio = median[mode] / median["floor"]
        print(f"  {mode:<12} mtc build  {median[mode] * 1000:7.1f} ms   ratio {ratio:.2f}")
    print("target: within 1.5x the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
