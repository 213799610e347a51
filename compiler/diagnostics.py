"""Source locations and diagnostics, printed the way compilers print them.

machines/hw.mtc:12:5: error: unknown compat set 'hw 7.3'
    compat hw 7.3
           ^
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .records import field, record
from .checklist import CHECKS

MAX_SHOWN = 120  # columns of source shown under a diagnostic


class Location(NamedTuple):
    """A position in a source file; line and column are 1-based.  A named
    tuple, ordered by file, line, column: every model object has one, and a
    frozen dataclass cost several times as much to make."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@record(frozen=True)
class Diagnostic:
    """One error, warning or note, at a source location."""

    location: Location
    severity: str  # "error", "warning" or "note"
    message: str
    check: str | None = None  # the check's name, for -W/-E/-Wno-

    def sort_key(self) -> tuple:
        return (self.location, self.message)


class CompileError(Exception):
    """Raised to stop the pipeline after a stage reported errors."""


# gcc's default GCC_COLORS: locus bold, error bold red, warning bold magenta,
# note bold cyan, caret bold green, 'quoted' text bold.
COLORS = {
    "locus": "01",
    "error": "01;31",
    "warning": "01;35",
    "note": "01;36",
    "caret": "01;32",
    "quote": "01",
}
QUOTED_RE = re.compile(r"'[^'\n]+'")
# A diagnostic is one line, and nothing in it may drive the terminal: control
# characters from the input are escaped in messages and masked (one column
# each, so the caret stays put) in the source line shown.
_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_control(match: re.Match) -> str:
    code = ord(match.group())
    return {10: "\\n", 13: "\\r"}.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def paint(text: str, what: str, color: bool) -> str:
    return f"\033[{COLORS[what]}m\033[K{text}\033[m\033[K" if color else text


@record
class Diagnostics:
    """Collects every diagnostic of a run so they can be reported together."""

    items: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)
    # Check name -> "error" | "warning" | "ignore"; set from -W/-E/-Wno-/-Werror=.
    severity_overrides: dict[str, str] = field(default_factory=dict)
    # gcc's -Werror: every warning is an error, but for checks -Wno-error=NAME exempts.
    warnings_are_errors: bool = False
    not_errors: set[str] = field(default_factory=set)
    # Checks -Werror turned into errors: shown as [-Werror=NAME], as gcc does.
    promoted: set[Diagnostic] = field(default_factory=set)

    def add_source(self, file: str, text: str) -> None:
        self.sources[file] = text.split("\n")

    def report(
        self,
        location: Location,
        severity: str,
        message: str,
        check: str | None = None,
    ) -> None:
        promoted = False
        if check is not None:
            if check not in CHECKS:
                raise ValueError(f"diagnostic names an undeclared check '{check}'")
            severity = self.severity_overrides.get(check, severity)
            if severity == "ignore":
                return
        if severity == "warning" and self.warnings_are_errors and check not in self.not_errors:
            severity, promoted = "error", True
        diagnostic = Diagnostic(location, severity, message, check)
        if promoted:
            self.promoted.add(diagnostic)
        self.items.append(diagnostic)

    def error(self, location: Location, message: str, check: str | None = None):
        self.report(location, "error", message, check)

    def warning(self, location: Location, message: str, check: str | None = None):
        self.report(location, "warning", message, check)

    def note(self, location: Location, message: str) -> None:
        self.report(location, "note", message)

    def at_line_start(self, location: Location) -> Location:
        """location, moved to the first non-blank column of its line."""
        lines = self.sources.get(location.file)
        if lines is None or not 0 < location.line <= len(lines):
            return location
        text = lines[location.line - 1]
        return Location(location.file, location.line, len(text) - len(text.lstrip()) + 1)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        # Notes stay after the diagnostic they explain: sort is stable and
        # notes are only ever added right after their diagnostic.
        # Plain tuples: hashing and comparing the dataclasses themselves
        # costs seconds once there are a few hundred thousand diagnostics.
        seen: set[tuple] = set()
        unique = []
        for d in self.items:
            where = d.location
            key = (where.file, where.line, where.column, d.message, d.severity, d.check)
            if key not in seen:
                seen.add(key)
                unique.append((key, d))
        unique.sort(key=lambda pair: pair[0][:4])
        return [d for _, d in unique]

    def format(self, diagnostic: Diagnostic, color: bool = False) -> str:
        severity = diagnostic.severity
        message = _CONTROL_RE.sub(_escape_control, diagnostic.message)
        if color:
            message = QUOTED_RE.sub(lambda m: paint(m.group(0), "quote", True), message)
        text = (
            f"{paint(f'{diagnostic.location}:', 'locus', color)} "
            f"{paint(f'{severity}:', severity, color)} {message}"
        )
        if diagnostic.check:
            flag = "-Werror=" if self.promoted and diagnostic in self.promoted else "-W"
            text += f" [{paint(flag + diagnostic.check, severity, color)}]"
        lines = self.sources.get(diagnostic.location.file)
        line_no = diagnostic.location.line
        if lines is not None and 0 < line_no <= len(lines):
            source_line = _CONTROL_RE.sub("?", lines[line_no - 1].rstrip("\r"))
            column = max(diagnostic.location.column - 1, 0)
            if len(source_line) > MAX_SHOWN:
                # Show a window around the column of an overlong line.
                start = max(0, column - MAX_SHOWN // 2)
                source_line = source_line[start : start + MAX_SHOWN]
                column -= start
            # Tabs keep their width so the caret lines up under the column.
            prefix = source_line[:column]
            pad = "".join("\t" if ch == "\t" else " " for ch in prefix)
            text += f"\n    {source_line}\n    {pad}{paint('^', 'caret', color)}"
        return text

    def render(self, color: bool = False, quiet: bool = False) -> str:
        """Every diagnostic, sorted; `quiet` keeps only errors (and the notes
        that explain them)."""
        lines = []
        keep = True
        for diagnostic in self.sorted():
            if diagnostic.severity != "note":
                keep = not quiet or diagnostic.severity == "error"
            if keep:
                lines.append(self.format(diagnostic, color) + "\n")
        return "".join(lines)
