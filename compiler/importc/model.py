"""What an import found, in the shape of mtc's language: the writer turns
it into .mtc text, one file per QEMU source file."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Location
from ..versions import Version


@dataclass
class Entry:
    driver: str  # with ${MACRO} for target-dependent parts
    property: str
    value: str
    optional: bool
    location: Location
    guard: str | None = None
    comment: str | None = None
    comment_above: bool = False


@dataclass
class CompatSet:
    scope: str
    version: Version | None
    entries: list[Entry]
    file: str  # the .mtc file it goes to
    location: Location

    @property
    def ref(self) -> str:
        return self.scope if self.version is None else f"{self.scope} {self.version}"


@dataclass
class OptionValue:
    name: str
    text: str  # as the language writes it
    location: Location
    guard: str | None = None
    comment: str | None = None
    comment_above: bool = False


@dataclass
class OptionDecl:
    name: str
    type: str
    c: str | None
    query: str | None = None
    monotone: bool = False
    enum_values: list[str] = field(default_factory=list)


@dataclass
class Family:
    name: str
    file: str
    location: Location
    extends: str | None = None
    abstract: bool = False
    pattern: str | None = None
    targets: list[str] = field(default_factory=list)
    alias: str | None = None
    desc: str | None = None
    compat: list[str] = field(default_factory=list)
    options: list[OptionValue] = field(default_factory=list)
    guard: str | None = None
    manual_lifecycle: bool = False


@dataclass
class Machine:
    family: str
    version: Version | None
    name: str
    file: str
    location: Location
    compat: list[str] = field(default_factory=list)
    options: list[OptionValue] = field(default_factory=list)
    inherits: tuple[str | None, Version] | None = None
    default: bool = False
    alias: str | None = None  # "" for the family's alias
    deprecated: str | None = None
    guard: str | None = None
    comment: str | None = None


@dataclass
class Target:
    name: str
    binary: str
    arch: str
    wordsize: int
    defines: dict[str, str] = field(default_factory=dict)
    file: str = ""


@dataclass
class Tree:
    source: str  # e.g. "QEMU 10.0.2"
    releases: dict[Version, str] = field(default_factory=dict)
    lifecycle: dict | None = None
    targets: dict[str, Target] = field(default_factory=dict)
    consts: dict[str, str] = field(default_factory=dict)  # name -> value as written
    configs: dict[str, tuple[bool, str]] = field(default_factory=dict)
    options: dict[str, OptionDecl] = field(default_factory=dict)
    sets: dict[str, CompatSet] = field(default_factory=dict)  # by ref
    families: dict[str, Family] = field(default_factory=dict)
    machines: list[Machine] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # .mtc file -> the C it is from


def quote(text: str) -> str:
    """A string as the language writes it."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'
