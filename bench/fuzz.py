#!/usr/bin/env python3
"""The long fuzzing run: tests/fuzzing.py's inputs and checks, many of them.

    python3 bench/fuzz.py                      # 10,000 inputs, a random seed
    python3 bench/fuzz.py --inputs 50000 --seed 7

Inputs are split between corpus byte mutations, corpus token mutations and
generated programs (2:2:1).  Prints, per kind and in total: inputs run, exit
statuses, the slowest input and how many took over 5 s; a failed check is
shrunk by hypothesis to a small example and printed, and the run goes on
with the next kind.  Exit status 1 if any check failed or an input under
1 MB took over 5 s.  Record the summary in README.md ("Fuzzing").
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

import fuzzing  # noqa: E402

SLOW = 5.0  # seconds: the most any input below 1 MB may take
MB = 1 << 20


def run_kind(name, workspace, strategy, inputs: int, fuzz_seed: int, corpus_bytes: int) -> dict:
    stats = {"inputs": 0, "status": Counter(), "slowest": 0.0, "slow": 0, "failure": None}

    @seed(fuzz_seed)
    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one_input(files):
        outcome = workspace.check(files)
        stats["inputs"] += 1
        stats["status"][outcome.status] += 1
        stats["slowest"] = max(stats["slowest"], outcome.seconds)
        if outcome.seconds > SLOW and corpus_bytes + outcome.size < MB:
            stats["slow"] += 1

    started = time.monotonic()
    try:
        one_input()
    except (Exception, fuzzing.Timeout) as exc:  # hypothesis has shrunk it already
        stats["failure"] = f"{type(exc).__name__}: {exc}"
    stats["minutes"] = (time.monotonic() - started) / 60
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="total inputs (10000)")
    parser.add_argument("--seed", type=int, help="hypothesis seed (default: random, printed)")
    args = parser.parse_args()
    fuzz_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {fuzz_seed}, {args.inputs} inputs", flush=True)
    share = {"corpus bytes": 2, "corpus tokens": 2, "programs": 1}
    failed = False
    totals = {"inputs": 0, "status": Counter(), "slowest": 0.0, "slow": 0}
    with tempfile.TemporaryDirectory() as scratch:
        corpus = fuzzing.Workspace(Path(scratch) / "corpus", corpus=True)
        base = fuzzing.Workspace(Path(scratch) / "base", corpus=False)
        corpus_bytes = sum(len(d) for d in corpus.originals.values())
        kinds = {
            "corpus bytes": (corpus, fuzzing.byte_mutations(corpus.sources()), corpus_bytes),
            "corpus tokens": (corpus, fuzzing.token_mutations(corpus.sources()), corpus_bytes),
            "programs": (base, fuzzing.programs(), len(fuzzing.BASE_PROGRAM)),
        }
        for name, (workspace, strategy, size) in kinds.items():
            inputs = args.inputs * share[name] // sum(share.values())
            stats = run_kind(name, workspace, strategy, inputs, fuzz_seed, size)
            statuses = ", ".join(f"exit {k}: {v}" for k, v in sorted(stats["status"].items()))
            print(
                f"{name:14} {stats['inputs']:6} inputs ({statuses}); slowest "
                f"{stats['slowest']:.2f} s, {stats['slow']} over {SLOW:.0f} s; "
                f"{stats['minutes']:.1f} min",
                flush=True,
            )
            if stats["failure"]:
                failed = True
                print(f"  FAILED: {stats['failure']}", flush=True)
            totals["inputs"] += stats["inputs"]
            totals["status"].update(stats["status"])
            totals["slowest"] = max(totals["slowest"], stats["slowest"])
            totals["slow"] += stats["slow"]
    exit3 = totals["status"].get(3, 0)
    print(
        f"total {totals['inputs']} inputs: {exit3} exit 3, "
        f"{'a failed check (see above)' if failed else 'every check held'}, "
        f"slowest {totals['slowest']:.2f} s, {totals['slow']} over {SLOW:.0f} s"
    )
    return 1 if failed or totals["slow"] else 0


if __name__ == "__main__":
    sys.exit(main())
