"""Editing machines/ in place, as `mtc new-version` and `mtc release` do:
the source files with their syntax trees, text spans replaced keeping
comments and layout, a dry run as a unified diff, and writing the result
(atomically, file by file) followed by the rebuild of generated/.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..records import field, record
from .. import output, parser, pipeline
from ..diagnostics import Diagnostics
from ..versions import Version
from . import common


@record
class SourceFile:
    shown: str  # machines/x86/pc-q35.mtc
    path: Path
    text: str
    tree: object
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    what: list[str] = field(default_factory=list)

    def line_start(self, line: int) -> int:
        """Offset of the first character of a 1-based line."""
        offset = 0
        for _ in range(line - 1):
            offset = self.text.index("\n", offset) + 1
        return offset

    def line_end(self, offset: int) -> int:
        """Offset of the end of the line holding offset (its newline)."""
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def block_start(self, node) -> int:
        """Where text that belongs above node goes: above the comment lines
        directly on top of it, unless they are the file's header comment."""
        lines = self.text.split("\n")
        first = node.meta.line
        while first > 1 and lines[first - 2].lstrip().startswith("#"):
            first -= 1
        if first == 1 and node.meta.line != 1:
            first = node.meta.line
        return self.line_start(first)

    def edited(self) -> str:
        text = self.text
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text


def load_sources(project: pipeline.Project, corpus) -> list[SourceFile]:
    files = []
    for shown in corpus.files:
        path = project.root / shown
        text = path.read_text(encoding="utf-8")
        if text.startswith("\ufeff"):
            raise common.Failure(f"{shown} starts with a byte-order mark; remove it first")
        parsed = parser.parse_text(text, shown, Diagnostics())
        if parsed is None:
            raise common.Failure(f"cannot parse {shown}")
        files.append(SourceFile(shown, path, text, parsed.tree))
    return files


def nodes(files: list[SourceFile], kind: str):
    for source in files:
        for node in source.tree.children:
            if getattr(node, "data", None) == kind:
                yield source, node


def version_of(token) -> Version | None:
    return Version.parse(token.value) if token is not None else None


def release_node(files: list[SourceFile], version: Version):
    """(source, node) of the declaration of release `version`."""
    for source, node in nodes(files, "release"):
        if version_of(node.children[0]) == version:
            return source, node
    raise common.Failure(f"cannot find the declaration of release {version}")


def print_diff(edited: list[SourceFile]) -> None:
    for source in edited:
        sys.stdout.writelines(
            difflib.unified_diff(
                source.text.splitlines(keepends=True),
                source.edited().splitlines(keepends=True),
                fromfile=f"a/{source.shown}",
                tofile=f"b/{source.shown}",
            )
        )


def compile_edited(project: pipeline.Project, edited: list[SourceFile]):
    """Compile machines/ with the edits applied, in a scratch copy; the
    resolved tree, or Failure (nothing is written)."""
    with tempfile.TemporaryDirectory(prefix="mtc-edit-") as tmp:
        root = Path(tmp)
        shutil.copytree(project.machines, root / "machines")
        for source in edited:
            (root / source.shown).write_text(source.edited(), encoding="utf-8")
        after = common.compile_tree(root, "the edited tree")
        if after is None:
            raise common.Failure("the edited tree does not compile; nothing was written")
        return after


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_and_rebuild(project: pipeline.Project, edited: list[SourceFile], notes=()) -> None:
    """Write the edited sources, then generated/ as 'mtc build' would."""
    for source in edited:
        atomic_write(source.path, source.edited())
        for what in source.what:
            print(f"  EDIT    {source.shown}: {what}")
    for note in notes:
        print(f"  NOTE    {note}")
    rebuilt = common.compile_tree(project.root, "machines/")
    if rebuilt is None:
        raise common.Failure("machines/ does not compile after the edit")
    result = output.write_outputs(project.generated, pipeline.emit(rebuilt))
    for rel in result.written:
        print(f"  GEN     generated/{rel}")
    for rel in result.removed:
        print(f"  RM      generated/{rel}")
