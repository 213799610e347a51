#!/usr/bin/env python3
"""Big inputs must build in time linear in their size.

    python3 bench/scaling.py            # each input at 2.5 MB and 5 MB
    python3 bench/scaling.py --mb 1

Each kind of input is generated at two sizes, N and 2N megabytes, on top of
the real corpus, and built with `mtc build` (errors and all, as a user would
get them); printed: CPU seconds, seconds per MB, and the ratio of the two
times, which is about 2 for a linear build and 4 for a quadratic one.
Exit status 1 if a ratio exceeds 2.6.

- compat-set: one compat set of real hw entries, applied by one machine;
- repeated-hw: machines/hw.mtc repeated (every set declared again: errors);
- releases: releases 0.1, 0.2, ... each with a machine of one family;
- unknown-types: compat entries on QOM types no registry has (every one
  asks for 'did you mean').
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1 << 20


def compat_set(size: int) -> str:
    hw = (ROOT / "machines" / "hw.mtc").read_text()
    entries = {}
    for match in re.finditer(r'^\s+([\w\-]+\.[\w\-]+ = "[^"]*"(?: optional)?)', hw, re.M):
        entries.setdefault(match.group(1).split(" =")[0], match.group(1))
    lines = ['family big { name "big" targets x86_64 }', "machine big { compat big_set }"]
    lines.append("compat big_set {")
    body = list(entries.values())
    total, index = 0, 0
    while total < size:
        line = f"    {body[index % len(body)]}"
        lines.append(line)
        total += len(line) + 1
        index += 1
    return "\n".join(lines + ["}"]) + "\n"


def repeated_hw(size: int) -> str:
    hw = (ROOT / "machines" / "hw.mtc").read_text()
    return hw * (size // len(hw) + 1)


def releases(size: int) -> str:
    lines = ['family chain { name "chain-{version}" targets x86_64 }']
    total, index = 0, 0
    while total < size:
        index += 1
        pair = (
            f"release 0.{index} date 1990-01-01\n"
            f"machine chain 0.{index} {{ option max-cpus = {index} }}"
        )
        lines.append(pair)
        total += len(pair) + 1
    return "\n".join(lines) + "\n"


def unknown_types(size: int) -> str:
    lines = ["compat unknown 10.0 {"]
    total, index = 0, 0
    while total < size:
        index += 1
        line = f'    no-such-device-{index:x}.prop = "on"'
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines + ["}"]) + "\n"


KINDS = {
    "compat-set": compat_set,
    "repeated-hw": repeated_hw,
    "releases": releases,
    "unknown-types": unknown_types,
}


def cpu_seconds(root: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "mtc", "build", "--root", str(root), "-q", "-Wno-dead-entry"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(kind: str, size: int, scratch: Path) -> float:
    root = scratch / f"{kind}-{size}"
    shutil.copytree(ROOT / "machines", root / "machines")
    name = "hw.mtc" if kind == "repeated-hw" else f"zz-{kind}.mtc"
    (root / "machines" / name).write_text(KINDS[kind](size))
    return cpu_seconds(root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=2.5, help="the smaller size (2.5 MB)")
    args = parser.parse_args()
    small = int(args.mb * MB)
    worst = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for kind in KINDS:
            one = measure(kind, small, Path(scratch))
            two = measure(kind, 2 * small, Path(scratch))
            ratio = two / one
            worst = max(worst, ratio)
            print(
                f"{kind:14} {args.mb:g} MB {one:6.2f} s, {2 * args.mb:g} MB {two:6.2f} s "
                f"({two / (2 * args.mb):.2f} s/MB); ratio {ratio:.2f}",
                flush=True,
            )
    return 1 if worst > 2.6 else 0


if __name__ == "__main__":
    sys.exit(main())
