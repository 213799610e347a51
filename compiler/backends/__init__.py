"""Backends: each turns the resolved model into files under generated/."""

from __future__ import annotations

import re

from ..diagnostics import Location

# "machines/x.mtc:9: message": a location some backends still put in front.
_LEADING_LOCATION_RE = re.compile(r"([^\s:]+\.mtc):(\d+)(?::(\d+))?: ")


class BackendError(Exception):
    """The model holds something a backend's format cannot express.  The
    build fails without writing anything, like any other error in the input,
    and the error is reported at `location`, the source that produced it."""

    def __init__(self, message: str, location: Location | None = None):
        # A "file:line: " prefix names a line, not a column: the column is
        # then that of the line's first word (Diagnostics.at_line_start).
        self.line_only = False
        if location is None:
            found = _LEADING_LOCATION_RE.match(message)
            if found:
                file, line, column = found.groups()
                location = Location(file, int(line), int(column or 1))
                message = message[found.end() :]
                self.line_only = column is None
        super().__init__(message)
        self.location = location


def merge_outputs(outputs: dict[str, str], more: dict[str, str], locate=None) -> None:
    """Add `more` to `outputs`.  Two outputs with one path, or with paths only
    case tells apart (one file on macOS and Windows), are an error, reported
    at locate(path), the source that named the second one."""
    seen = {path.casefold(): path for path in outputs}
    for path, text in more.items():
        other = seen.get(path.casefold())
        if other is not None:
            also = (
                "" if other == path else f" (and {other}, the same file where case does not count)"
            )
            raise BackendError(
                f"two outputs would be written to {path}{also}: rename the source that names "
                "one of them",
                locate(path) if locate is not None else None,
            )
        seen[path.casefold()] = path
        outputs[path] = text
