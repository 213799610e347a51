"""mtc new-version X.Y: open a release, the way QEMU's "hw: add compat machines
for X.Y" commits do, by editing machines/ in place.

With P the current (newest) release:
  - 'release X.Y date D' goes after release P;
  - an empty 'compat SCOPE P {}' goes above the newest set of every scope the
    versioned families use (hw_compat_P, pc_compat_P, ...);
  - every versioned family whose newest machine is for P gets a machine X.Y
    above it, which takes over that machine's 'alias' and 'default' flags;
    machine P instead applies the new sets ('compat hw P, pc P': the scopes
    the family's older machines use).
Comments and layout are kept: only those spans of text change.  The result is
compiled and checked with the ABI gate against the tree before the edit
(every existing machine must keep its effective properties and options)
before anything is written; then generated/ is rebuilt as 'mtc build' does.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import output, parser, pipeline
from ..diagnostics import Diagnostics
from ..versions import Version
from . import abi, common

NAME = "new-version"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@dataclass
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


class Planner:
    def __init__(self, project, resolved, version: Version, day: str):
        self.project = project
        self.corpus = resolved.corpus
        self.version = version
        self.day = day
        self.previous = self.corpus.current_release
        self.files = load_sources(project, self.corpus)
        self.notes: list[str] = []

    def plan(self) -> list[SourceFile]:
        self.add_release()
        families = self.versioned_families()
        scopes: list[str] = []
        for _, _, family_scopes in families:
            scopes += [s for s in family_scopes if s not in scopes]
        self.add_sets(scopes)
        for source, node, family_scopes in families:
            self.add_machine(source, node, family_scopes)
        return [f for f in self.files if f.edits]

    # -- release -------------------------------------------------------------
    def add_release(self) -> None:
        for source, node in nodes(self.files, "release"):
            if version_of(node.children[0]) == self.previous:
                line_end = source.text.find("\n", node.meta.end_pos)
                line_end = len(source.text) if line_end < 0 else line_end
                start = source.line_start(node.meta.line)
                indent = source.text[start : start + node.meta.column - 1]
                text = f"\n{indent}release {self.version} date {self.day}"
                source.edits.append((line_end, line_end, text))
                source.what.append(f"release {self.version} date {self.day}")
                return
        raise common.Failure(f"cannot find the declaration of release {self.previous}")

    # -- compat sets -----------------------------------------------------------
    def add_sets(self, scopes: list[str]) -> None:
        for scope in scopes:
            if (scope, self.previous) in self.corpus.compat_sets:
                self.notes.append(f"compat {scope} {self.previous} exists already")
                continue
            newest = None
            for source, node in nodes(self.files, "compat"):
                version = version_of(node.children[1])
                if node.children[0].value == scope and version is not None:
                    if newest is None or version > newest[2]:
                        newest = (source, node, version)
            if newest is None:
                raise common.Failure(
                    f"no versioned compat set of scope {scope} to put the new one by"
                )
            source, node, _ = newest
            at = source.block_start(node)
            source.edits.append((at, at, f"compat {scope} {self.previous} {{\n}}\n\n"))
            source.what.append(f"compat {scope} {self.previous} {{}}")

    # -- machines --------------------------------------------------------------
    def versioned_families(self):
        """(source, node of machine P, scopes) of every family whose newest
        machine is for release P."""
        by_family: dict[str, list] = {}
        for machine in self.corpus.machines:
            if machine.name and machine.version is not None:
                by_family.setdefault(machine.family, []).append(machine)
        found = []
        for family, machines in by_family.items():
            machines.sort(key=lambda m: m.version, reverse=True)
            newest = machines[0]
            if newest.version != self.previous:
                if newest.version.release < self.previous:
                    self.notes.append(
                        f"family {family} skipped: its newest machine {newest.name} is not "
                        f"for the current release {self.previous}"
                    )
                continue
            scopes = family_scopes(machines[1:])
            for source, node in nodes(self.files, "machine"):
                if (
                    node.children[0].value == family
                    and version_of(node.children[1]) == self.previous
                ):
                    found.append((source, node, scopes))
                    break
            else:
                raise common.Failure(f"cannot find the declaration of {newest.name}")
        return found

    def add_machine(self, source: SourceFile, node, scopes: list[str]) -> None:
        family = node.children[0].value
        stmts = [c for c in node.children[2:] if hasattr(c, "data")]
        flags = [
            s
            for s in stmts
            if s.data == "machine_default"
            or (s.data == "machine_alias" and all(c is None for c in s.children))
        ]
        keep = [s for s in stmts if s not in flags]
        refs = [
            f"{scope} {self.previous}"
            for scope in scopes
            if not any(
                r.children[0].value == scope and version_of(r.children[1]) == self.previous
                for s in keep
                if s.data == "machine_compat"
                for r in s.children
            )
        ]
        compat = f"compat {', '.join(refs)}" if refs else ""
        flag_text = " ".join(source.text[f.meta.start_pos : f.meta.end_pos] for f in flags)
        new_machine = (
            f"machine {family} {self.version} {{ {flag_text} }}"
            if flag_text
            else (f"machine {family} {self.version} {{}}")
        )
        at = source.block_start(node)
        source.edits.append((at, at, new_machine + "\n\n"))
        start, end = node.meta.start_pos, node.meta.end_pos
        source.edits.append((start, end, self.rewrite(source, node, flags, keep, compat)))
        moved = f" ({flag_text})" if flag_text else ""
        gets = f"; {family} {self.previous} gets {compat}" if compat else ""
        source.what.append(f"machine {family} {self.version}{moved}{gets}")

    def rewrite(self, source: SourceFile, node, flags, keep, compat: str) -> str:
        """The text of machine P without its flags and with the new sets."""
        start, end = node.meta.start_pos, node.meta.end_pos
        text = source.text[start:end]
        brace = text.index("{")
        if "\n" not in text:
            parts = ([compat] if compat else []) + [
                source.text[s.meta.start_pos : s.meta.end_pos] for s in keep
            ]
            body = f" {' '.join(parts)} " if parts else ""
            return f"{text[: brace + 1]}{body}}}"
        # Several lines: take the flags out, drop lines they leave empty.
        emptied = {f.meta.line - node.meta.line for f in flags}
        for flag in sorted(flags, key=lambda f: f.meta.start_pos, reverse=True):
            a, b = flag.meta.start_pos - start, flag.meta.end_pos - start
            if text[b : b + 1] == " ":
                b += 1
            text = text[:a] + text[b:]
        lines = []
        for i, line in enumerate(text.split("\n")):
            if i in emptied and i > 0:
                if not line.strip():
                    continue  # the line held only flags
                indent = line[: len(line) - len(line.lstrip())]
                if line.strip().startswith("#"):  # a trailing comment stays, re-indented
                    original = source.text.split("\n")[node.meta.line - 1 + i]
                    indent = original[: len(original) - len(original.lstrip())]
                line = indent + line.strip()
            lines.append(line.rstrip() if i in emptied else line)
        if compat:
            first_stmt_line = keep[0].meta.line - node.meta.line if keep else None
            if first_stmt_line == 0:
                head = lines[0]
                cut = head.index("{") + 1
                lines[0] = f"{head[:cut]} {compat}{head[cut:]}"
            else:
                indent = "    "
                if keep:
                    sample = source.text.split("\n")[keep[0].meta.line - 1]
                    indent = sample[: len(sample) - len(sample.lstrip())] or indent
                lines.insert(1, f"{indent}{compat}")
        return "\n".join(lines)


def family_scopes(older) -> list[str]:
    """The scopes of the versioned sets every machine of the family applies
    for its own release (hw, pc): QEMU adds those each release.  Scopes only
    some versions have (s390x's function-local ccw arrays) are not added."""
    common_scopes: list[str] | None = None
    for machine in older:
        if machine.version is None:
            continue
        scopes = [
            ref.scope
            for ref in machine.compat
            if ref.version is not None and ref.version.release == machine.version.release
        ]
        if not scopes:
            continue  # pc-q35-4.0: its sets come from 4.0.1
        if common_scopes is None:
            common_scopes = list(dict.fromkeys(scopes))
        else:
            common_scopes = [s for s in common_scopes if s in scopes]
    return common_scopes or []


def check_arguments(corpus, version_text: str, day: str | None) -> tuple[Version, str]:
    version = common.parse_version(version_text, "the new version")
    previous = corpus.current_release
    if previous is None:
        raise common.usage_error("machines/ declares no release to follow")
    if version <= previous:
        raise common.usage_error(f"{version} is not newer than the newest release {previous}")
    last = corpus.releases[previous]
    if day is None:
        day = date.today().isoformat()
        if date.fromisoformat(day) <= date.fromisoformat(last.date):
            raise common.usage_error(
                f"today is not after release {previous} ({last.date}): give --date YYYY-MM-DD"
            )
    else:
        try:
            if not _DATE_RE.match(day):
                raise ValueError
            parsed = date.fromisoformat(day)
        except ValueError:
            raise common.usage_error(f"--date: not a date YYYY-MM-DD: '{day}'") from None
        if parsed <= date.fromisoformat(last.date):
            raise common.usage_error(f"--date {day} is not after release {previous} ({last.date})")
    return version, day


def verify(project, edited: list[SourceFile], before) -> None:
    """Compile the edited tree in a scratch copy and run the ABI gate on it."""
    with tempfile.TemporaryDirectory(prefix="mtc-new-version-") as tmp:
        root = Path(tmp)
        shutil.copytree(project.machines, root / "machines")
        for source in edited:
            (root / source.shown).write_text(source.edited(), encoding="utf-8")
        after = common.compile_tree(root, "the edited tree")
        if after is None:
            raise common.Failure("the edited tree does not compile; nothing was written")
        report = abi.check(before, after, as_of=date.max, base_label="before", new_label="after")
        changed = [f for f in report.findings if f.kind in ("property", "option")]
        if changed:
            sys.stderr.write(abi.render(report, verbose=False))
            raise common.Failure(
                "the edit would change existing machine types; nothing was written"
            )


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


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="open release X.Y: its release line, compat sets and machines",
        description="Add release X.Y after the newest release P, an empty compat set "
        "'SCOPE P' in every scope the versioned families use, and a machine X.Y in every "
        "versioned family, which takes over alias and default from machine P; machine P "
        "applies the new sets.  machines/ is edited in place (comments and layout kept), "
        "checked with the ABI gate against the tree before the edit, then generated/ is "
        "rebuilt.  Exit 0 done, 1 errors in machines/, 2 usage errors.",
    )
    p.add_argument("version", metavar="X.Y", help="the new release")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="its release date (default: today)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the edit of machines/ as a unified diff and change nothing",
    )


def run(args) -> int:
    try:
        project, resolved = common.load_current(args)
        version, day = check_arguments(resolved.corpus, args.version, args.date)
        planner = Planner(project, resolved, version, day)
        edited = planner.plan()
        if args.dry_run:
            for source in edited:
                sys.stdout.writelines(
                    difflib.unified_diff(
                        source.text.splitlines(keepends=True),
                        source.edited().splitlines(keepends=True),
                        fromfile=f"a/{source.shown}",
                        tofile=f"b/{source.shown}",
                    )
                )
            return 0
        verify(project, edited, resolved)
        for source in edited:
            atomic_write(source.path, source.edited())
            for what in source.what:
                print(f"  EDIT    {source.shown}: {what}")
        for note in planner.notes:
            print(f"  NOTE    {note}")
        rebuilt = common.compile_tree(project.root, "machines/")
        if rebuilt is None:
            raise common.Failure("machines/ does not compile after the edit")
        result = output.write_outputs(project.generated, pipeline.emit(rebuilt))
        for rel in result.written:
            print(f"  GEN     generated/{rel}")
        for rel in result.removed:
            print(f"  RM      generated/{rel}")
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    return 0
