#!/usr/bin/env python3
"""SIGKILL trials of `mtc build` rewriting every file of generated/
(tests/crash.py says how a trial runs and what must hold).

    python3 bench/kill_trials.py                 # 100 trials, a random seed
    python3 bench/kill_trials.py --trials 200 --seed 3

Half the trials kill the build at a random one of its file-system changes,
half after a random delay within 1.2 times an uninterrupted build.  Prints
how the trees were left (old, new, mixed; with temporaries or a journal) and
what `mtc check` said; exits 1 if check ever passed on a tree that was not
complete and clean, or a following build did not repair it.  Record the
summary in README.md ("Interrupted builds").
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import crash  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, help="default: random, printed")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as scratch:
        project = crash.Project(Path(scratch))
        changes = project.changes_in_a_build()
        seconds = sum(crash.timed_build(project) for _ in range(3)) / 3
        print(
            f"seed {seed}; a build rewrites {len(project.new)} files in {changes} "
            f"file-system changes and takes {seconds:.2f} s",
            flush=True,
        )
        seen = Counter()
        failures = []
        for number in range(args.trials):
            try:
                if number % 2 == 0:
                    trial = project.trial(kill_at=rng.randint(1, changes))
                else:
                    trial = project.trial(delay=rng.uniform(0, 1.2 * seconds))
            except AssertionError as exc:
                failures.append(f"trial {number}: {exc}")
                print(f"trial {number}: FAILED: {exc}", flush=True)
                continue
            leftovers = ("temporaries " if trial.temporaries else "") + (
                "journal" if trial.journal else ""
            )
            checks = (
                f"check old {'passes' if not trial.check_old else 'fails'}, "
                f"new {'passes' if not trial.check_new else 'fails'}"
            )
            key = f"{trial.state:5} {leftovers or 'clean':21} {checks}"
            seen[key] += 1
            print(
                f"trial {number:3} {trial.kind:4} {trial.point:8.3f}: "
                f"{'killed' if trial.killed else 'finished'}; {key}",
                flush=True,
            )
    print(f"\n{args.trials} trials:")
    for key, count in sorted(seen.items()):
        print(f"  {count:3}  {key}")
    mixed = sum(count for key, count in seen.items() if key.startswith("mixed"))
    passed_mixed = sum(
        count for key, count in seen.items() if key.startswith("mixed") and "passes" in key
    )
    print(
        f"mtc check passed on {passed_mixed} of {mixed} mixed trees; "
        f"{len(failures)} failed trials; every following build "
        f"{'repaired the tree and left no temporaries' if not failures else 'see above'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
