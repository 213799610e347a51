"""Source locations and diagnostics, printed the way compilers print them.

machines/hw.mtc:12:5: error: unknown compat set 'hw 7.3'
    compat hw 7.3
           ^
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SHOWN = 120  # columns of source shown under a diagnostic


@dataclass(frozen=True, order=True)
class Location:
    """A position in a source file; line and column are 1-based."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    location: Location
    severity: str  # "error", "warning" or "note"
    message: str
    check: str | None = None  # the check's name, for -W/-E/-Wno-

    def sort_key(self) -> tuple:
        return (self.location, self.message)


class CompileError(Exception):
    """Raised to stop the pipeline after a stage reported errors."""


@dataclass
class Diagnostics:
    """Collects every diagnostic of a run so they can be reported together."""

    items: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)
    # Check name -> "error" | "warning" | "ignore"; set from -W/-E/-Wno-.
    severity_overrides: dict[str, str] = field(default_factory=dict)

    def add_source(self, file: str, text: str) -> None:
        self.sources[file] = text.split("\n")

    def report(
        self,
        location: Location,
        severity: str,
        message: str,
        check: str | None = None,
    ) -> None:
        if check is not None:
            severity = self.severity_overrides.get(check, severity)
            if severity == "ignore":
                return
        self.items.append(Diagnostic(location, severity, message, check))

    def error(self, location: Location, message: str, check: str | None = None):
        self.report(location, "error", message, check)

    def warning(self, location: Location, message: str, check: str | None = None):
        self.report(location, "warning", message, check)

    def note(self, location: Location, message: str) -> None:
        self.report(location, "note", message)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        # Notes stay after the diagnostic they explain: sort is stable and
        # notes are only ever added right after their diagnostic.
        seen: set[Diagnostic] = set()
        unique = []
        for d in self.items:
            if d not in seen:
                seen.add(d)
                unique.append(d)
        return sorted(unique, key=Diagnostic.sort_key)

    def format(self, diagnostic: Diagnostic) -> str:
        text = f"{diagnostic.location}: {diagnostic.severity}: {diagnostic.message}"
        if diagnostic.check:
            text += f" [-W{diagnostic.check}]"
        lines = self.sources.get(diagnostic.location.file)
        line_no = diagnostic.location.line
        if lines is not None and 0 < line_no <= len(lines):
            source_line = lines[line_no - 1].rstrip("\r")
            column = max(diagnostic.location.column - 1, 0)
            if len(source_line) > MAX_SHOWN:
                # Show a window around the column of an overlong line.
                start = max(0, column - MAX_SHOWN // 2)
                source_line = source_line[start : start + MAX_SHOWN]
                column -= start
            # Tabs keep their width so the caret lines up under the column.
            prefix = source_line[:column]
            pad = "".join("\t" if ch == "\t" else " " for ch in prefix)
            text += f"\n    {source_line}\n    {pad}^"
        return text

    def render(self) -> str:
        return "".join(self.format(d) + "\n" for d in self.sorted())
