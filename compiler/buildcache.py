"""A cache of whole builds, the way ccache caches compilations.

A build's result (every generated file and the diagnostics text) depends
only on the compiler's own files, the files under machines/, the build
options and the -W/-E flags.  The key hashes all of them, so a hit is exactly
what a fresh build would produce; anything else recompiles.  `mtc build` and
`mtc check` on an unchanged tree then cost little more than reading files.

The cache lives in cache_dir() (~/.cache/mtc, $MTC_CACHE_DIR; empty turns
every cache off), next to the parse trees parser.py keeps; MTC_BUILD_CACHE=0
turns off this one alone.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from .files import atomic_write

PACKAGE = Path(__file__).resolve().parent
# Installed, package data; in a source checkout, beside compiler/ (parser.py).
GRAMMAR_DIR = next(
    (d for d in (PACKAGE / "grammar", PACKAGE.parent / "grammar") if d.is_dir()),
    PACKAGE / "grammar",
)
KEEP = 8  # most recent builds kept
_FORMAT = b"mtc-build-cache 1"


@dataclass
class BuildResult:
    diagnostics: str  # rendered, as the build printed them
    outputs: dict[str, str] | None  # None when the build failed


def cache_dir() -> str | None:
    directory = os.environ.get("MTC_CACHE_DIR")
    if directory is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        directory = os.path.join(base, "mtc")
    if not directory:
        return None
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return directory


def _hash_tree(digest, root: Path, suffixes: tuple[str, ...] | None) -> None:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if not path.is_file() or (suffixes and path.suffix not in suffixes):
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


_compiler_digest: bytes | None = None


def compiler_digest() -> bytes:
    """Changes with any file of the compiler, its templates or the grammar."""
    global _compiler_digest
    if _compiler_digest is None:
        digest = hashlib.sha256(_FORMAT)
        _hash_tree(digest, PACKAGE, (".py", ".j2", ".json"))
        _hash_tree(digest, GRAMMAR_DIR, (".lark",))
        _compiler_digest = digest.digest()
    return _compiler_digest


def key(machines: Path, config: dict[str, bool], warn: list[str], error: list[str]) -> str:
    digest = hashlib.sha256(compiler_digest())
    _hash_tree(digest, machines, None)  # every file: stray ones are errors too
    digest.update(repr((sorted(config.items()), list(warn), list(error))).encode())
    return digest.hexdigest()


def _path(build_key: str) -> Path | None:
    if os.environ.get("MTC_BUILD_CACHE") == "0":
        return None  # only the whole-build cache off (parse trees stay)
    directory = cache_dir()
    return Path(directory) / "builds" / f"{build_key}.pickle" if directory else None


def load(build_key: str) -> BuildResult | None:
    path = _path(build_key)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            result = pickle.load(handle)
    except Exception:  # missing, truncated, or from another mtc: build again
        return None
    return result if isinstance(result, BuildResult) else None


def store(build_key: str, result: BuildResult) -> None:
    path = _path(build_key)
    if path is None:
        return
    try:
        atomic_write(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), 0o600)
        entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in entries[:-KEEP]:
            stale.unlink()
    except OSError:
        pass  # a cache that cannot be written only costs time
