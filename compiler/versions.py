"""QEMU release numbers: "8.0", "2.12", and bugfix machine versions "4.0.1"."""

from __future__ import annotations

import re

from .records import record

# Each part is decimal without a leading zero and fits a C int (10 digits at
# most is checked first, so no text reaches int()'s limit on digits).
_VERSION_RE = re.compile(r"(0|[1-9][0-9]{0,9})(\.(0|[1-9][0-9]{0,9})){1,2}")
PART_MAX = 2**31 - 1


@record(frozen=True)
class Version:
    """A QEMU version, X.Y or X.Y.Z, ordered numerically."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> "Version":
        """X.Y or X.Y.Z; ValueError for anything else (08.0, 1.2.3.4, a part
        beyond a C int)."""
        if not _VERSION_RE.fullmatch(text):
            raise ValueError(f"invalid version '{text}'")
        parts = tuple(int(p) for p in text.split("."))
        if max(parts) > PART_MAX:
            raise ValueError(f"invalid version '{text}'")
        return cls(parts)

    @property
    def major(self) -> int:
        return self.parts[0]

    @property
    def minor(self) -> int:
        return self.parts[1] if len(self.parts) > 1 else 0

    @property
    def release(self) -> "Version":
        """The X.Y release a bugfix version X.Y.Z belongs to."""
        return Version(self.parts[:2])

    @property
    def c_suffix(self) -> str:
        """hw_compat_7_2, pc_q35_machine_4_0_1_options: dots become underscores."""
        return "_".join(str(p) for p in self.parts)

    # Written out rather than derived by functools.total_ordering: sorting
    # and comparing versions is hot, and the derived ones cost twice as much.
    def __lt__(self, other: "Version") -> bool:
        return self.parts < other.parts

    def __le__(self, other: "Version") -> bool:
        return self.parts <= other.parts

    def __gt__(self, other: "Version") -> bool:
        return self.parts > other.parts

    def __ge__(self, other: "Version") -> bool:
        return self.parts >= other.parts

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)
