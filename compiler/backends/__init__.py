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
        if location is None:
            found = _LEADING_LOCATION_RE.match(message)
            if found:
                file, line, column = found.groups()
                location = Location(file, int(line), int(column or 1))
                message = message[found.end() :]
        super().__init__(message)
        self.location = location
