"""What an import found, in the shape of mtc's language: the writer turns
it into .mtc text, one file per QEMU source file."""

from __future__ import annotations


from ..records import field, record
from ..diagnostics import Location
from ..versions import Version


@record
class Entry:
    driver: str  # with ${MACRO} for target-dependent parts
    property: str
    value: str
    optional: bool
    location: Location
    guard: str | None = None
    comment: str | None = None
    comment_above: bool = False


@record
class CompatSet:
    scope: str
    version: Version | None
    entries: list[Entry]
    file: str  # the .mtc file it goes to
    location: Location

    @property
    def ref(self) -> str:
        return self.scope if self.version is None else f"{self.scope} {self.version}"


@record
class OptionValue:
    name: str
    text: str  # as the language writes it
    location: Location
    guard: str | None = None
    comment: str | None = None
    comment_above: bool = False


@record
class OptionDecl:
    name: str
    type: str
    c: str | None
    query: str | None = None
    monotone: bool = False
    enum_values: list[str] = field(default_factory=list)


@record
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


@record
class InstanceStmt:
    """What a machine's instance options do: cpu-featoff, cpu-group-featoff
    (level, names), cpu-qemu-model (definition, qemu_list) or instance
    (name, value)."""

    kind: str  # cpu-featoff, cpu-group-featoff, cpu-qemu-model, instance
    location: Location
    level: tuple[int, int] | None = None
    names: list[str] = field(default_factory=list)
    definition: str = ""
    qemu_list: str = ""
    name: str = ""
    value: str = ""
    comment: str | None = None
    comment_above: bool = False


@record
class InstanceGlobal:
    """A C global instance options set (css_migration_enabled)."""

    name: str
    type: str
    default: str  # as the language writes it
    desc: str
    file: str  # the .mtc file
    source: str  # the C file defining it
    location: Location


@record
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
    instance: list[InstanceStmt] = field(default_factory=list)


@record
class Target:
    name: str
    binary: str
    arch: str
    wordsize: int
    defines: dict[str, str] = field(default_factory=dict)
    file: str = ""


# ---- s390x CPU models (target/s390x) ------------------------------------------


@record
class CpuFeature:
    name: str
    enum: str  # S390_FEAT_<enum>
    desc: str
    location: Location


@record
class CpuGroup:
    name: str
    enum: str  # S390_FEAT_GROUP_<enum>
    desc: str
    members: list[str]
    location: Location


@record
class CpuDefinition:
    name: str
    type: str  # as written: 0x3931
    level: tuple[int, int]
    desc: str
    mha_pow: int
    hmfai: str  # as written: 0x08000000
    location: Location
    guard: str | None = None


@record
class CpuLevel:
    """What one generation/GA adds to the base, default and full sets, and
    what it first clears from those of the levels before it."""

    level: tuple[int, int]
    location: Location
    adds: dict[str, list[str]] = field(default_factory=dict)  # base/default/full
    clears: dict[str, list[str]] = field(default_factory=dict)
    comment: str | None = None  # of the clears


@record
class CpuQemuList:
    name: str  # QEMU_V7_1
    entries: list[str]
    location: Location


@record
class CpuModels:
    target: str
    file: str  # the .mtc file
    features: list[CpuFeature] = field(default_factory=list)
    groups: list[CpuGroup] = field(default_factory=list)
    definitions: list[CpuDefinition] = field(default_factory=list)
    levels: list[CpuLevel] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)
    qemu_lists: list[CpuQemuList] = field(default_factory=list)
    qemu_model: tuple[str, str] | None = None  # (definition, list)
    host_model: tuple[str, str] | None = None  # (definition, why)
    sources: list[str] = field(default_factory=list)  # the C files read


@record
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
    cpu_models: dict[str, CpuModels] = field(default_factory=dict)  # by target
    instance_globals: dict[str, InstanceGlobal] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # .mtc file -> the C it is from


def quote(text: str) -> str:
    """A string as the language writes it."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'
