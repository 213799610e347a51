"""QEMU release numbers: "8.0", "2.12", and bugfix machine versions "4.0.1"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering


@total_ordering
@dataclass(frozen=True)
class Version:
    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> "Version":
        return cls(tuple(int(p) for p in text.split(".")))

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

    def __lt__(self, other: "Version") -> bool:
        return self.parts < other.parts

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)
