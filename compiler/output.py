"""Writing generated/: atomically, only what changed, nothing on failure."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from .files import atomic_write, write_if_changed


def existing_files(generated: Path) -> dict[str, Path]:
    """Files mtc owns below generated/ (dot files are left alone)."""
    if not generated.is_dir():
        return {}
    found = {}
    for path in generated.rglob("*"):
        rel = path.relative_to(generated)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            found[rel.as_posix()] = path
    return found


def write_outputs(
    generated: Path, outputs: dict[str, str], build_dir: bool = False
) -> tuple[list[str], list[str]]:
    """Write changed files and delete stale ones; returns (written, removed).

    generated/ is mtc's alone.  A build directory (-o) is not: nothing is
    removed there, and an unchanged output is touched instead, so make and
    ninja, which compare times, see it newer than the inputs that were
    edited and do not run mtc again on every build."""
    written = []
    for rel, text in outputs.items():
        if write_if_changed(generated / rel, text.encode("utf-8")):
            written.append(rel)
        elif build_dir:
            os.utime(generated / rel)
    removed = []
    if not build_dir:
        for rel, path in sorted(existing_files(generated).items()):
            if rel not in outputs:
                path.unlink()
                removed.append(rel)
    return written, removed


def depfile_text(targets: list[Path], inputs: list[Path]) -> str:
    """A Makefile-syntax rule 'outputs: inputs', as ninja's depfile reader
    and make both accept; paths are relative to the working directory where
    they lie below it (ninja runs commands from the build directory)."""

    cwd = Path.cwd()

    def shown(path: Path) -> str:
        path = Path(os.path.abspath(path))
        text = path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else str(path)
        # Make's escapes: a space and '#' with a backslash, '$' doubled.
        return text.replace(" ", "\\ ").replace("#", "\\#").replace("$", "$$")

    head = " ".join(shown(t) for t in targets)
    lines = [f"{head}:"] + [f" {shown(p)}" for p in inputs]
    return " \\\n".join(lines) + "\n"


def write_depfile(path: Path, targets: list[Path], inputs: list[Path]) -> None:
    atomic_write(path, depfile_text(targets, inputs).encode("utf-8"))


def diff_outputs(generated: Path, outputs: dict[str, str]) -> str:
    """A unified diff from what generated/ holds to what it should hold."""
    chunks = []
    on_disk = existing_files(generated)
    for rel in sorted(set(on_disk) | set(outputs)):
        want = outputs.get(rel)
        try:
            have = on_disk[rel].read_text(encoding="utf-8") if rel in on_disk else None
        except (OSError, UnicodeDecodeError):
            have = "<unreadable>\n"
        if have == want:
            continue
        chunks.extend(
            difflib.unified_diff(
                (have or "").splitlines(keepends=True),
                (want or "").splitlines(keepends=True),
                fromfile=f"a/generated/{rel}" if have is not None else "/dev/null",
                tofile=f"b/generated/{rel}" if want is not None else "/dev/null",
            )
        )
    return "".join(chunks)
