#!/usr/bin/env python3
"""mtc's cost against the floor of importing its dependencies, in one run.

    python3 bench/build_bench.py [--rounds N] [--no-scale] [--scales 10,100]

Every command starts a fresh interpreter, as a user's or a build system's
does, and is timed against the floor `python3 -c "import lark, jinja2"`:
the ratio says how much mtc costs beyond what any Python tool using those
libraries pays at start.  Commands run interleaved, round after round, so
whatever else the machine does hits them all alike; each row is the median
of the rounds, with the fastest and slowest.  The measure is the CPU time
the process used (user + system, from wait4), which other load on a shared
machine inflates far less than wall-clock time (printed beside it).

mtc keeps no cache of any kind, so every build is cold: it parses every file,
runs every check and every backend.  Before timing, the package is compiled
to .pyc files as an installed package is (PYTHONDONTWRITEBYTECODE would
otherwise have every run compile mtc's sources).

Then the stage breakdown of one build (parse, build the model, checks, QOM
registries, resolve, chain checks, each backend, write), and the scale table:
synthetic corpora 10 and 100 times the real one (bench/synthetic.py), with
their build time against the real corpus's and their peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

PYTHON = sys.executable
MTC = [PYTHON, "-m", "mtc"]

# (name, target ratio or None, what it runs); {root} is the scratch project.
COMMANDS = [
    ("floor", None, [PYTHON, "-c", "import lark, jinja2"]),
    ("build, cold", 2.0, MTC + ["build", "-q", "--root", "{root}"]),
    ("build after a one-file edit", 2.0, MTC + ["build", "-q", "--root", "{root}"]),
    ("check, unchanged tree", 2.0, MTC + ["check", "-q", "--root", "{root}"]),
    ("list", 1.5, MTC + ["list", "--root", "{root}"]),
    ("show", 1.5, MTC + ["show", "pc-q35-8.2", "--root", "{root}"]),
    ("diff", 1.5, MTC + ["diff", "pc-q35-8.2", "pc-q35-9.0", "--root", "{root}"]),
    (
        "explain",
        1.5,
        MTC + ["explain", "pc-q35-8.2", "virtio-iommu-pci.aw-bits", "--root", "{root}"],
    ),
    ("abi-check --base HEAD", 3.0, MTC + ["abi-check", "--base", "HEAD", "--root", "{root}"]),
]
AIMS = {"build, cold": 1.5, "list": 1.3, "show": 1.3, "diff": 1.3, "explain": 1.3}


def run(argv: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, peak RSS in KiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"bench: {' '.join(argv)} failed")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss


def compile_package() -> None:
    import mtc

    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", str(Path(mtc.__file__).parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def make_project(scratch: Path) -> Path:
    """A copy of machines/ and generated/ in a git repository of its own."""
    project = scratch / "project"
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, project / name)
    for argv in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@invalid", "commit", "-qm", "b"],
    ):
        subprocess.run(argv, cwd=project, check=True, stdout=subprocess.DEVNULL)
    return project


def prepare(name: str, project: Path, edit_round: int) -> None:
    """What a case needs before its process starts: a cold build has no
    generated/ to compare with; an edited build has one file changed."""
    if name == "build, cold":
        shutil.rmtree(project / "generated", ignore_errors=True)
    elif name == "build after a one-file edit":
        hw = project / "machines" / "hw.mtc"
        text = hw.read_text()
        old, new = ('"48"', '"47"') if edit_round % 2 == 0 else ('"47"', '"48"')
        marker = "virtio-iommu-pci.aw-bits = "
        if marker + old in text:
            hw.write_text(text.replace(marker + old, marker + new, 1))
        else:  # the marker is elsewhere: append a comment instead
            hw.write_text(text + f"# edit {edit_round}\n")


def time_commands(project: Path, rounds: int) -> dict[str, list[tuple]]:
    results: dict[str, list[tuple]] = {name: [] for name, _, _ in COMMANDS}
    for name, _, argv in COMMANDS:  # once untimed: page cache, .pyc
        prepare(name, project, 0)
        run([a.format(root=project) for a in argv], project)
    for index in range(rounds):
        for name, _, argv in COMMANDS:
            prepare(name, project, index + 1)
            results[name].append(run([a.format(root=project) for a in argv], project))
        # Keep the tree as committed for the next round's check and abi-check.
        subprocess.run(["git", "checkout", "-q", "--", "machines"], cwd=project, check=True)
        subprocess.run(MTC + ["build", "-q", "--root", str(project)], check=True)
    return results


def print_table(results: dict[str, list[tuple]]) -> bool:
    floor = statistics.median(r[0] for r in results["floor"])
    floor_wall = statistics.median(r[1] for r in results["floor"])
    ok = True
    print(
        f"{'command':<30} {'CPU ms':>8} {'ratio':>6} {'min':>6} {'max':>6} {'wall ratio':>10}  target"
    )
    for name, target, _ in COMMANDS:
        cpu = [r[0] for r in results[name]]
        wall = [r[1] for r in results[name]]
        ratio = statistics.median(cpu) / floor
        verdict = ""
        if target is not None:
            met = ratio <= target
            ok &= met
            aim = f", aim {AIMS[name]}x" if name in AIMS else ""
            verdict = f"<= {target}x{aim}: {'met' if met else 'MISSED'}"
        print(
            f"{name:<30} {statistics.median(cpu) * 1000:8.0f} {ratio:6.2f} "
            f"{min(cpu) / floor:6.2f} {max(cpu) / floor:6.2f} "
            f"{statistics.median(wall) / floor_wall:10.2f}  {verdict}"
        )
    return ok


STAGES = r"""
import json, sys, time
from pathlib import Path
clock = time.process_time
t = {"start": clock()}
from mtc import guards, output, parser, pipeline, platforms, qomcheck, resolve, checks, builder
from mtc.diagnostics import Diagnostics
t["import"] = clock()
project = pipeline.Project(Path(sys.argv[1]))
diags = Diagnostics()
sources, registries = parser.find_sources(project.machines, project.root, diags)
parsed = []
for path in sources:
    shown = parser.display_path(path, project.root)
    parsed.append(parser.parse_text(parser.read_source(path, shown, diags), shown, diags))
t["parse"] = clock()
corpus = builder.build(parsed, diags)
corpus.registry_files = [parser.display_path(p, project.root) for p in registries]
t["build the model"] = clock()
checks.check(corpus, diags)
t["checks"] = clock()
qomcheck.load_registries(corpus, project.root, diags)
qomcheck.check_entries(corpus, diags)
t["QOM registries and entry checks"] = clock()
resolved = resolve.resolve(corpus, guards.default_config(corpus))
t["resolve"] = clock()
qomcheck.check_chains(resolved, diags)
platforms.check(resolved, diags)
t["chain checks"] = clock()
outputs = {}
for name in pipeline.BACKENDS:
    outputs.update(pipeline.backend(name).emit(resolved, corpus.files))
    t[f"backend {name}"] = clock()
output.write_outputs(Path(sys.argv[2]), outputs)
t["write"] = clock()
names = list(t)
print(json.dumps({b: t[b] - t[a] for a, b in zip(names, names[1:])}))
"""


def stage_breakdown(project: Path, rounds: int) -> None:
    samples: dict[str, list[float]] = {}
    for index in range(rounds):
        out = project.parent / f"stages-{index}"
        result = subprocess.run(
            [PYTHON, "-c", STAGES, str(project), str(out)], capture_output=True, text=True
        )
        if result.returncode != 0:
            print(f"stage breakdown failed:\n{result.stderr}")
            return
        for stage, seconds in json.loads(result.stdout).items():
            samples.setdefault(stage, []).append(seconds)
        shutil.rmtree(out, ignore_errors=True)
    print("\nstages of one build (CPU ms, median):")
    total = 0.0
    for stage, values in samples.items():
        median = statistics.median(values) * 1000
        total += median
        print(f"  {stage:<34} {median:7.1f}")
    print(f"  {'total (after interpreter start)':<34} {total:7.1f}")


def scale_table(scratch: Path, scales: list[int], rounds: int) -> bool:
    print("\nscale (synthetic corpora, bench/synthetic.py; CPU time and peak RSS of mtc build):")
    rows = {}
    for n in [1] + scales:
        tree = synthetic.make(n, scratch / f"x{n}") if n != 1 else make_project(scratch / "x1")
        samples = []
        for _ in range(rounds if n == 1 else max(1, rounds // 4) if n < 100 else 1):
            shutil.rmtree(tree / "generated", ignore_errors=True)
            samples.append(run(MTC + ["build", "-q", "--root", str(tree)]))
        rows[n] = (statistics.median(s[0] for s in samples), max(s[2] for s in samples))
    ok = True
    print(f"  {'corpus':<8} {'CPU s':>8} {'x of 1x':>8} {'peak RSS MiB':>13}")
    for n, (cpu, rss) in rows.items():
        factor = cpu / rows[1][0]
        note = ""
        if n == 100:
            met = factor <= 110 and rss / 1024 <= 400
            ok &= met
            note = f"  target <= 110x and <= 400 MiB: {'met' if met else 'MISSED'}"
        print(f"  {str(n) + 'x':<8} {cpu:8.2f} {factor:8.1f} {rss / 1024:13.0f}{note}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (default 11)")
    parser.add_argument("--no-scale", action="store_true", help="skip the 10x/100x table")
    parser.add_argument("--scales", default="10,100", help="synthetic corpus sizes (10,100)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    compile_package()
    with tempfile.TemporaryDirectory(prefix="mtc-bench-") as tmp:
        scratch = Path(tmp)
        project = make_project(scratch)
        print(f"mtc on the real corpus, {args.rounds} interleaved rounds (ratios to the floor):")
        ok = print_table(time_commands(project, args.rounds))
        stage_breakdown(project, args.rounds)
        if not args.no_scale:
            scales = [int(s) for s in args.scales.split(",") if s]
            ok &= scale_table(scratch, scales, args.rounds)
    print("\nevery target met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
