"""Writing generated/ (or -o DIR) as one transaction, and checking it.

A build replaces the files whose content changed and removes the stale ones
it owns, so that a reader sees the old set of files or the new one, never a
mix it could mistake for either:

1. every changed file is written to a temporary beside it (files.TEMP_PREFIX);
   an I/O error here removes them and leaves the directory as it was;
2. the journal (.mtc-journal) is written, in one rename: from now on the
   directory may hold a mix, and `mtc check` says so;
3. the temporaries are renamed over their files, stale files are removed, the
   manifest is replaced;
4. the journal is removed: the new set is complete.

A build killed at any point leaves either the old set (plus temporaries, which
`mtc check` reports) or a journal; the next build removes the temporaries
and the journal and writes whatever still differs.  Builds into one directory
hold a lock on it, so they run one at a time.

The manifest (.mtc-manifest, committed with generated/) lists the files mtc
writes there.  A build removes a stale file only if the manifest (or a killed
build's journal) lists it: a file mtc did not write is never deleted, and
`mtc check` fails while one is there.  In -o DIR, which other tools share,
nothing is ever removed and there is no manifest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .records import field, record
from .files import OutputError, OutputTree, atomic_write, is_temp

MANIFEST = ".mtc-manifest"
JOURNAL = ".mtc-journal"
_MANIFEST_HEADER = (
    "# The files mtc writes in this directory: 'mtc build' replaces and removes only these.\n"
)
_JOURNAL_HEADER = (
    "# An mtc build was interrupted here: the files below may be a mix of old and new.\n"
    "# 'mtc build' completes it; 'mtc check' fails until then.\n"
)


@record
class WriteResult:
    """What writing the outputs did: files written and removed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Files below generated/ that mtc did not write: left in place.
    foreign: list[str] = field(default_factory=list)


def path_list(header: str, paths) -> bytes:
    return (header + "".join(f"{rel}\n" for rel in sorted(paths))).encode("utf-8")


def read_path_list(tree: OutputTree, rel: str) -> set[str] | None:
    """The paths a manifest or journal lists; None if there is none.  Only
    plain relative paths count: a hand-edited '../x' names nothing mtc owns."""
    data = tree.read(rel)
    if data is None:
        return None
    paths = set()
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split("/")
        if line.startswith("#") or not line or line.startswith("/"):
            continue
        if all(part and part not in (".", "..") for part in parts):
            paths.add(line)
    return paths


def owned_files(tree: OutputTree) -> set[str]:
    """What the manifest and an interrupted build's journal say mtc wrote."""
    return (read_path_list(tree, MANIFEST) or set()) | (read_path_list(tree, JOURNAL) or set())


# What mtc before the journal left when killed: '.NAME.' and mkstemp's
# eight characters, beside the output NAME.
_LEGACY_TEMP_RE = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}")


def is_temporary(rel: str, outputs) -> bool:
    """A temporary of a killed build: ours, or an older mtc's beside one of
    its outputs."""
    rel_dir, _, name = rel.rpartition("/")
    if is_temp(name):
        return True
    legacy = _LEGACY_TEMP_RE.fullmatch(name)
    if legacy is None:
        return False
    return (f"{rel_dir}/{legacy['name']}" if rel_dir else legacy["name"]) in outputs


def is_ours(rel: str) -> bool:
    """mtc's own bookkeeping: the manifest, the journal, temporaries."""
    name = rel.rpartition("/")[2]
    return rel in (MANIFEST, JOURNAL) or is_temp(name)


def write_outputs(
    root: Path, outputs: dict[str, str], build_dir: bool = False, shown: str = "generated"
) -> WriteResult:
    """Write `outputs` below root as one transaction (module docstring).

    generated/ is mtc's: stale files the manifest lists are removed.  A build
    directory (-o) is not: nothing is removed there, and an unchanged output
    is touched instead, so make and ninja, which compare times, see it newer
    than the inputs that were edited and do not run mtc again on every build."""
    result = WriteResult()
    try:
        tree = OutputTree(root, shown, follow_root=build_dir, create=True)
    except OutputError as exc:
        raise OutputError(exc.path, f"{exc.message} (nothing was changed)") from None
    with tree:
        tree.lock()
        data = {rel: text.encode("utf-8") for rel, text in outputs.items()}
        try:
            interrupted = tree.kind(JOURNAL) is not None
            owned = set() if build_dir else owned_files(tree)
            changed = plan_changes(tree, data)
            stale = [] if build_dir else [r for r in sorted(owned - set(data)) if is_file(tree, r)]
            manifest = None if build_dir else path_list(_MANIFEST_HEADER, data)
            if manifest is not None and tree.read(MANIFEST) == manifest:
                manifest = None
            # What a killed build left: its temporaries are garbage now.
            for rel in stray_temporaries(tree, data, build_dir):
                tree.unlink(rel)
        except OutputError as exc:
            raise OutputError(exc.path, f"{exc.message} (nothing was changed)") from None
        if changed or stale or manifest is not None or interrupted:
            commit(tree, data, changed, stale, manifest, owned)
        result.written, result.removed = changed, stale
        if build_dir:
            for rel in sorted(set(data) - set(changed)):
                tree.touch(rel)
        else:
            result.foreign = [
                rel
                for rel, kind in tree.walk()
                if kind != "dir" and rel not in data and not hidden(rel)
            ]
    return result


def plan_changes(tree: OutputTree, data: dict[str, bytes]) -> list[str]:
    """The outputs whose file differs, after making sure each can be written
    (its directories exist and are real directories, it is no directory)."""
    changed = []
    for rel in sorted(data):
        tree.directory(rel.rpartition("/")[0], create=True)
        kind = tree.kind(rel)
        if kind in ("dir", "other"):
            what = "a directory" if kind == "dir" else "not a regular file"
            raise OutputError(tree.show(rel), f"is {what}")
        try:
            same = kind == "file" and tree.read(rel) == data[rel]
        except OutputError:
            same = False  # unreadable: replace it
        if not same:
            changed.append(rel)
    return changed


def commit(tree, data, changed, stale, manifest, owned) -> None:
    temps: dict[str, str] = {}
    try:
        for rel in changed:
            temps[rel] = tree.write_temp(rel, data[rel])
        if manifest is not None:
            temps[MANIFEST] = tree.write_temp(MANIFEST, manifest)
        journal = tree.write_temp(JOURNAL, path_list(_JOURNAL_HEADER, owned | set(data)))
        tree.replace(journal, JOURNAL)
    except OutputError as exc:
        for tmp in temps.values():
            tree.unlink_quietly(tmp)
        raise OutputError(exc.path, f"{exc.message} (nothing was changed)") from None
    try:
        for rel in changed:
            tree.replace(temps.pop(rel), rel)
        for rel in stale:
            tree.unlink(rel)
        for rel_dir in sorted({r.rpartition("/")[0] for r in stale} - {""}, reverse=True):
            tree.remove_empty_dir(rel_dir)
        if manifest is not None:
            tree.replace(temps.pop(MANIFEST), MANIFEST)
        tree.unlink(JOURNAL)
    except OutputError as exc:
        raise OutputError(
            exc.path,
            f"{exc.message} (the build is incomplete: fix this and build again; "
            "'mtc check' fails until then)",
        ) from None


def is_file(tree: OutputTree, rel: str) -> bool:
    """Something mtc could have written at rel (a directory it never does)."""
    return tree.kind(rel) not in (None, "dir")


def hidden(rel: str) -> bool:
    """Dot files (.gitattributes, editor files) are nobody's business here."""
    return any(part.startswith(".") for part in rel.split("/"))


def stray_temporaries(tree: OutputTree, data, build_dir: bool) -> list[str]:
    """Temporaries a killed build left.  generated/ is mtc's and small: all of
    it is searched.  In -o DIR only the directories mtc writes into are."""
    if not build_dir:
        return [rel for rel, kind in tree.walk() if kind != "dir" and is_temporary(rel, data)]
    found = []
    for rel_dir in sorted({rel.rpartition("/")[0] for rel in data} | {""}):
        for rel, kind in tree.walk(rel_dir, recursive=False):
            if is_temp(rel.rpartition("/")[2]) and kind != "dir":
                found.append(rel)
    return found


# -- mtc check -----------------------------------------------------------------------


def check_outputs(generated: Path, outputs: dict[str, str]) -> tuple[list[str], str]:
    """(problems, diff): why generated/ is not what a build would leave --
    an interrupted build, temporaries, symlinks, files mtc did not write --
    and a unified diff from what it holds to what it should hold."""
    problems: list[str] = []
    with OutputTree(generated, "generated", follow_root=False, create=False) as tree:
        tree.lock(shared=True)
        if tree.kind(JOURNAL) is not None:
            problems.append(
                f"{tree.show(JOURNAL)}: a build was interrupted here and generated/ may mix "
                "old and new files: run 'mtc build'"
            )
        owned = owned_files(tree) | set(outputs)
        on_disk = {}
        for rel, kind in tree.walk():
            if kind != "dir" and is_temporary(rel, owned):
                problems.append(f"{tree.show(rel)}: a temporary left by an interrupted build")
            elif kind == "link":
                problems.append(f"{tree.show(rel)}: a symbolic link: mtc never writes one")
            elif kind != "dir" and not is_ours(rel) and not hidden(rel):
                if rel in owned:
                    on_disk[rel] = kind
                else:
                    problems.append(
                        f"{tree.show(rel)}: not written by mtc (move it out of generated/)"
                    )
        chunks = []
        for rel in sorted(set(on_disk) | set(outputs)):
            want = outputs.get(rel)
            have = read_text(tree, rel) if rel in on_disk else None
            if have != want:
                chunks.extend(unified(rel, have, want))
        have = read_text(tree, MANIFEST)
        want = path_list(_MANIFEST_HEADER, outputs).decode("utf-8")
        if have != want:
            chunks.extend(unified(MANIFEST, have, want))
    return problems, "".join(chunks)


def read_text(tree: OutputTree, rel: str) -> str | None:
    try:
        data = tree.read(rel)
    except OutputError:
        return "<unreadable>\n"
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "<not UTF-8>\n"


def unified(rel: str, have: str | None, want: str | None) -> list[str]:
    import difflib  # only when generated/ is out of date

    return list(
        difflib.unified_diff(
            (have or "").splitlines(keepends=True),
            (want or "").splitlines(keepends=True),
            fromfile=f"a/generated/{rel}" if have is not None else "/dev/null",
            tofile=f"b/generated/{rel}" if want is not None else "/dev/null",
        )
    )


# -- depfiles --------------------------------------------------------------------------


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
    try:
        atomic_write(path, depfile_text(targets, inputs).encode("utf-8"))
    except OSError as exc:
        raise OutputError(str(path), f"cannot write: {exc.strerror or exc}") from None
