"""Writing generated/: atomically, only what changed, nothing on failure."""

from __future__ import annotations

import difflib
from pathlib import Path

from .files import write_if_changed


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


def write_outputs(generated: Path, outputs: dict[str, str]) -> tuple[list[str], list[str]]:
    """Write changed files and delete stale ones; returns (written, removed)."""
    written = []
    for rel, text in outputs.items():
        if write_if_changed(generated / rel, text.encode("utf-8")):
            written.append(rel)
    removed = []
    for rel, path in sorted(existing_files(generated).items()):
        if rel not in outputs:
            path.unlink()
            removed.append(rel)
    return written, removed


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
