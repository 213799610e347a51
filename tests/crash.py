"""SIGKILL trials: `mtc build` killed while it rewrites generated/.

Shared by tests/test_output.py (a few trials at chosen points) and
bench/kill_trials.py (100 trials, the README records the result).

A scratch project flips between two source trees, OLD and NEW, whose
outputs differ in every file (NEW adds a source file, which every output's
banner names).  A trial starts from generated/ complete for one of them,
switches the sources to the other and runs `mtc build` as a separate process
that is sent SIGKILL either

- after a random delay ('time': anywhere in the build, the writing included), or
- just before its Nth change to the file system ('op': an os.open that
  creates, os.replace, os.unlink, os.mkdir or os.rmdir -- every step of the
  write), through a hook that wraps those functions in the child.

Then `mtc check` runs against both source trees, and a final build runs to
completion.  What must hold: check passes only on a complete tree (all OLD
files with OLD sources, all NEW with NEW) with no temporary and no journal
left; the final build leaves exactly NEW's or OLD's files and nothing else.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA = "zz-kill-trial.mtc"  # present in NEW only

# Runs in the child: SIGKILL itself just before its Nth change to the file
# system (MTC_KILL_AT=N; 0 never), and report how many it made.
HOOK = r"""
import os, signal, sys
kill_at = int(os.environ.get("MTC_KILL_AT", "0"))
count = [0]
def wrap(name):
    real = getattr(os, name)
    def op(*args, **kwargs):
        if name != "open" or (len(args) > 1 and args[1] & os.O_CREAT):
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    setattr(os, name, op)
for name in ("open", "replace", "unlink", "mkdir", "rmdir"):
    wrap(name)
from mtc.cli import main
status = main(sys.argv[1:])
sys.stderr.write(f"mtc-kill-trial: {count[0]} changes\n")
sys.exit(status)
"""


@dataclass
class Trial:
    kind: str  # 'time' or 'op'
    point: float  # seconds or op number
    killed: bool  # the build did not finish
    state: str  # 'old', 'new' or 'mixed' (of the files that differ)
    temporaries: int
    journal: bool
    check_old: int  # mtc check's exit status with OLD's sources
    check_new: int


class Project:
    """The scratch project and the complete generated/ of OLD and NEW."""

    def __init__(self, root: Path):
        self.root = root
        self.generated = root / "generated"
        shutil.copytree(ROOT / "machines", root / "machines")
        self.use("new")
        self.build()
        self.new = self.snapshot()
        self.use("old")
        self.build()
        self.old = self.snapshot()
        self.current = "old"
        assert set(self.old) == set(self.new)
        outputs = [rel for rel in self.old if not rel.startswith(".")]
        assert all(self.old[rel] != self.new[rel] for rel in outputs), "every output must differ"

    def use(self, which: str) -> None:
        extra = self.root / "machines" / EXTRA
        if which == "new":
            extra.write_text("# a source file every output's banner names\n")
        elif extra.exists():
            extra.unlink()

    def run(self, *args: str, kill_at: int = 0, delay: float | None = None):
        """mtc in a child process (with the hook); (status, stderr)."""
        env = dict(os.environ, MTC_KILL_AT=str(kill_at))
        proc = subprocess.Popen(
            [sys.executable, "-c", HOOK, *args, "--root", str(self.root), "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if delay is not None:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        _, stderr = proc.communicate()
        return proc.returncode, stderr

    def build(self) -> str:
        status, stderr = self.run("build")
        assert status == 0, stderr
        return stderr

    def snapshot(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.generated).as_posix(): p.read_bytes()
            for p in sorted(self.generated.rglob("*"))
            if p.is_file()
        }

    def changes_in_a_build(self) -> int:
        """How many file-system changes a build from one tree to the other makes."""
        target = "new" if self.current == "old" else "old"
        self.use(target)
        stderr = self.build()
        self.current = target
        return int(stderr.rsplit("mtc-kill-trial: ", 1)[1].split()[0])

    def trial(self, kill_at: int = 0, delay: float | None = None) -> Trial:
        source, target = self.current, ("new" if self.current == "old" else "old")
        self.use(target)
        status, _ = self.run("build", kill_at=kill_at, delay=delay)
        files = self.snapshot()
        temporaries = sum(".mtc-tmp." in rel for rel in files)
        journal = ".mtc-journal" in files
        outputs = {rel: data for rel, data in files.items() if rel in self.old}
        state = "old" if outputs == self.old else "new" if outputs == self.new else "mixed"
        checks = {}
        for which in (target, source):
            self.use(which)
            checks[which] = self.run("check")[0]
        self.use(target)
        trial = Trial(
            "op" if delay is None else "time",
            delay if delay is not None else kill_at,
            status == -signal.SIGKILL,
            state,
            temporaries,
            journal,
            checks["old"],
            checks["new"],
        )
        # Whatever check says, it must never pass on anything but a complete,
        # clean tree of its own sources.
        for which in ("old", "new"):
            if checks[which] == 0:
                assert state == which and not temporaries and not journal, trial
        # The next build repairs everything and leaves nothing behind.
        self.build()
        assert self.snapshot() == getattr(self, target), "the next build did not repair"
        self.current = target
        return trial


def timed_build(project: Project) -> float:
    """How long an uninterrupted build from one tree to the other takes."""
    start = time.monotonic()
    project.changes_in_a_build()
    return time.monotonic() - start
