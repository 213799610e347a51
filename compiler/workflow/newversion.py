"""mtc new-version X.Y: open a release, the way QEMU's "hw: add compat machines
for X.Y" commits do, by editing machines/ in place.

With P the release before X.Y (out, dated; X.Y must be the release QEMU
numbers after it unless --allow-skip):
  - 'release X.Y planned' goes after release P ('release X.Y date D' with
    --date): QEMU adds the machine types at the start of the development
    cycle, before the release date is known, and a planned release never
    becomes the build's current release ('mtc release X.Y --date D' dates it);
    a release declared ahead as planned is opened where it stands;
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

import re
import sys
from datetime import date

from ..records import record
from .. import lifecycle
from ..versions import Version
from . import abi, common
from .sources import (
    SourceFile,
    compile_edited,
    load_sources,
    nodes,
    print_diff,
    release_node,
    version_of,
    write_and_rebuild,
)

NAME = "new-version"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@record
class Opening:
    """What new-version X.Y does, from the arguments and machines/."""

    version: Version
    previous: Version  # P: the release X.Y follows
    day: str | None  # None: X.Y is planned (no release date yet)
    declared: bool  # X.Y is already declared (planned, ahead): no release line to add


class Planner:
    def __init__(self, project, resolved, opening: Opening):
        self.project = project
        self.corpus = resolved.corpus
        self.opening = opening
        self.version = opening.version
        self.previous = opening.previous
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
        if self.opening.declared:
            self.notes.append(f"release {self.version} is declared already (planned)")
            return
        source, node = release_node(self.files, self.previous)
        line_end = source.line_end(node.meta.end_pos)
        start = source.line_start(node.meta.line)
        indent = source.text[start : start + node.meta.column - 1]
        when = f"date {self.opening.day}" if self.opening.day else "planned"
        source.edits.append((line_end, line_end, f"\n{indent}release {self.version} {when}"))
        source.what.append(f"release {self.version} {when}")

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


def parse_day(day: str, what: str = "--date") -> date:
    try:
        if not _DATE_RE.match(day):
            raise ValueError
        return date.fromisoformat(day)
    except ValueError:
        raise common.usage_error(f"{what}: not a date YYYY-MM-DD: '{day}'") from None


def check_arguments(
    corpus, version_text: str, day: str | None, allow_skip: bool = False
) -> Opening:
    """What opening release X.Y means here, or a usage error saying why not.

    X.Y follows P, the newest release before it, which must be out (dated):
    one release is developed at a time.  X.Y must be the release QEMU
    numbers after P (X.0, X.1, X.2, then X+1.0) unless allow_skip.  It may be
    declared already, planned, as long as it has no machine types yet."""
    version = common.parse_version(version_text, "the new version")
    releases = corpus.releases
    if not releases:
        raise common.usage_error("machines/ declares no release to follow")
    newer_machines = sorted(
        {m.version.release for m in corpus.machines if m.version and m.version >= version}
    )
    if newer_machines:
        found = newer_machines[-1]
        if found == version:
            raise common.usage_error(
                f"release {version} is open already: machines/ has its machine types"
            )
        raise common.usage_error(
            f"{version} is not newer than the newest release {found} with machine types"
        )
    earlier = [r for r in releases if r < version]
    if not earlier:
        raise common.usage_error(f"no release before {version} to follow")
    previous = max(earlier)
    last = releases[previous]
    if last.planned:
        raise common.usage_error(
            f"release {previous} is still planned: date it first "
            f"(mtc release {previous} --date YYYY-MM-DD), then open {version}"
        )
    expected = lifecycle.next_release(previous)
    if version != expected and not allow_skip:
        raise common.usage_error(
            f"QEMU's release after {previous} is {expected}: {version} would skip it "
            "(--allow-skip if that is what you mean)"
        )
    declared = releases.get(version)
    if declared is not None and not declared.planned:
        raise common.usage_error(f"release {version} is out already ({declared.date})")
    if day is not None:
        parsed = parse_day(day)
        if parsed <= date.fromisoformat(last.date):
            raise common.usage_error(f"--date {day} is not after release {previous} ({last.date})")
        if declared is not None:
            raise common.usage_error(
                f"release {version} is declared (planned): open it without --date, then "
                f"date it with mtc release {version} --date {day}"
            )
    return Opening(version, previous, day, declared is not None)


def verify(project, edited: list[SourceFile], before) -> None:
    """Compile the edited tree in a scratch copy and run the ABI gate on it."""
    after = compile_edited(project, edited)
    report = abi.check(before, after, as_of=date.max, base_label="before", new_label="after")
    changed = [f for f in report.findings if f.kind in ("property", "option", "registry")]
    if changed:
        sys.stderr.write(abi.render(report, verbose=False))
        raise common.Failure("the edit would change existing machine types; nothing was written")


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="open release X.Y: its release line, compat sets and machines",
        description="Open release X.Y after the newest release P (dated): 'release X.Y "
        "planned' (or dated with --date), an empty compat set 'SCOPE P' in every scope the "
        "versioned families use, and a machine X.Y in every versioned family, which takes "
        "over alias and default from machine P; machine P applies the new sets.  X.Y must "
        "be the release QEMU numbers after P (X.0, X.1, X.2, X+1.0) unless --allow-skip.  "
        "machines/ is edited in place (comments and layout kept), checked with the ABI gate "
        "against the tree before the edit, then generated/ is rebuilt.  Exit 0 done, 1 "
        "errors in machines/, 2 usage errors.",
    )
    p.add_argument("version", metavar="X.Y", help="the new release")
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="its release date, when it is out already (default: none: the release is "
        "planned, as at the start of QEMU's development cycle; 'mtc release X.Y --date D' "
        "dates it later)",
    )
    p.add_argument(
        "--allow-skip",
        action="store_true",
        help="open X.Y although QEMU numbers another release between it and the newest one",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the edit of machines/ as a unified diff and change nothing",
    )


def run(args) -> int:
    try:
        project, resolved = common.load_current(args)
        opening = check_arguments(resolved.corpus, args.version, args.date, args.allow_skip)
        planner = Planner(project, resolved, opening)
        edited = planner.plan()
        if args.dry_run:
            print_diff(edited)
            return 0
        verify(project, edited, resolved)
        write_and_rebuild(project, edited, planner.notes)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    return 0
