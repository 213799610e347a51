"""The source model: what machines/ says, as typed records with locations.

Built from the syntax tree by builder.py, checked by checks.py and turned into
effective machines by resolve.py.  Nothing here knows about any backend.
"""

from __future__ import annotations

import re


from .records import field, record
from .diagnostics import Location
from .versions import Version

# ---- guards ----------------------------------------------------------------
# A guard is a condition on the build (config.CONFIG_X, target) or on the host
# (os, kernel, accelerator, named feature).  BUILD_ATOMS decide what a binary
# contains; the others decide what a guest sees on one host.

BUILD_ATOMS = ("config", "target")
HOST_ATOMS = ("os", "kernel", "accel", "feature")


@record(frozen=True)
class Guard:
    """kind: and, or, not (args), or an atom: config, target, os, kernel,
    accel, feature (value; compare for kernel)."""

    kind: str
    location: Location
    args: tuple["Guard", ...] = ()
    value: str = ""
    compare: str = ""

    def atoms(self):
        if self.args:
            for arg in self.args:
                yield from arg.atoms()
        else:
            yield self

    @property
    def is_build_time(self) -> bool:
        return all(atom.kind in BUILD_ATOMS for atom in self.atoms())

    def to_json(self) -> dict:
        if self.kind in ("and", "or"):
            return {self.kind: [arg.to_json() for arg in self.args]}
        if self.kind == "not":
            return {"not": self.args[0].to_json()}
        if self.kind == "kernel":
            return {"kernel": {"compare": self.compare, "version": self.value}}
        return {self.kind: self.value}

    def __str__(self) -> str:
        if self.kind in ("and", "or"):
            return f" {self.kind} ".join(
                f"({a})" if a.kind in ("and", "or") and a.kind != self.kind else str(a)
                for a in self.args
            )
        if self.kind == "not":
            inner = self.args[0]
            return f"not ({inner})" if inner.kind in ("and", "or") else f"not {inner}"
        return {
            "config": f"config.{self.value}",
            "target": f"target == {self.value}",
            "os": f"host.os == {self.value}",
            "kernel": f"host.kernel {self.compare} {self.value}",
            "accel": f"accel == {self.value}",
            "feature": f"feature {self.value}",
        }[self.kind]


@record(eq=False)
class Feature:
    """A host feature a platform may have and a guard may test."""

    name: str
    description: str
    location: Location


@record(eq=False)
class ConfigSymbol:
    """A build-time switch (Kconfig symbol) and its value in the default build."""

    name: str
    default: bool
    location: Location
    description: str = ""


@record(eq=False)
class Platform:
    """A named host profile: OS, kernel, accelerators (the first is the one a
    guest runs with) and host features."""

    name: str
    location: Location
    extends: str | None = None
    extends_location: Location | None = None
    os: str | None = None
    kernel: Version | None = None
    accels: list[str] = field(default_factory=list)
    features: list[tuple[str, Location]] = field(default_factory=list)
    desc: str = ""
    base: "Platform | None" = None  # set by checks.py

    def lineage(self) -> list["Platform"]:
        chain: list[Platform] = []
        node: Platform | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.base
        return chain[::-1]

    def effective(self) -> "HostFacts":
        facts = HostFacts(name=self.name)
        for member in self.lineage():
            facts.os = member.os or facts.os
            facts.kernel = member.kernel or facts.kernel
            facts.accels = member.accels or facts.accels
            facts.features |= {name for name, _ in member.features}
        return facts


@record(eq=False)
class HostFacts:
    """What a platform amounts to once its `extends` chain is applied."""

    name: str
    os: str | None = None
    kernel: Version | None = None
    accels: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)


@record(eq=False)
class HostProperty:
    """driver.property whose guest-visible value needs a host feature."""

    driver: str
    property: str
    feature: str
    location: Location
    # Why a default that is on without the feature stays (QEMU's own choice):
    # the host-dependent-default warning is then not given.
    acknowledged: str | None = None


@record(eq=False)
class GuestInvisible:
    """driver.property a maintainer states no guest can see: the ABI gate
    asks for no compat pin when it is new or its default changes."""

    driver: str
    property: str
    reason: str
    location: Location


@record(eq=False)
class Release:
    """A QEMU release: its version, and the date of X.Y.0 (None while planned)."""

    version: Version
    date: str | None  # None: planned, declared ahead of its release
    location: Location

    @property
    def planned(self) -> bool:
        return self.date is None


# A target-dependent part of a type name: "EPYC-${TYPE_X86_CPU}".
MACRO_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_macros(text: str, defines: dict[str, str]) -> str:
    """Replace each ${MACRO} the target defines by its expansion."""
    return MACRO_RE.sub(lambda m: defines.get(m.group(1), m.group(0)), text)


@record(eq=False)
class Target:
    """One QEMU system emulator binary (qemu-system-x86_64, ...)."""

    name: str
    location: Location
    binary: str = ""
    arch: str = ""  # libvirt's name for the architecture (i686 for i386)
    wordsize: int = 0
    # C macros whose expansion differs per target: TYPE_X86_CPU -> "x86_64-cpu".
    defines: dict[str, str] = field(default_factory=dict)


@record(eq=False)
class Const:
    """A named integer constant (`const NAME = N`)."""

    name: str
    value: int
    location: Location


@record(eq=False)
class OptionDecl:
    """A machine-class field that changes with the version, e.g. max-cpus."""

    name: str
    type: str  # bool, int, str, size, typename or enum
    c_lvalue: str | None  # m->max_cpus; None for facts C has no field for
    location: Location
    query: str | None = None  # its query-machines member, if it has one
    enum_values: tuple[str, ...] = ()
    monotone: bool = False  # changes at most once along a chain
    c_location: Location | None = None  # where c "lvalue" is written


@record(eq=False)
class Value:
    """An option value as written: kind is string, int, size, bool, macro or typeref."""

    kind: str
    text: str  # the decoded string, the digits, the macro name, ...
    location: Location


@record(eq=False)
class OptionAssign:
    """One `option NAME = VALUE` in a family or machine."""

    name: str
    value: Value
    location: Location
    guard: Guard | None = None
    comment: str | None = None  # travels into C, like an entry's
    comment_above: bool = False


@record(eq=False)
class Define:
    """define NAME "value": a C macro with one expansion in every target."""

    name: str
    value: str
    location: Location


@record(eq=False)
class CompatEntry:
    """One compat property, `driver.property = "value"`, of a compat set."""

    driver: str  # may hold ${MACRO} parts that expand per target
    property: str
    value: str
    optional: bool
    location: Location
    comment: str | None = None
    comment_above: bool = False  # the comment sits on its own line(s) above
    guard: Guard | None = None
    # Driver and property as written when they name macros of 'define'
    # (${TYPE_PCI_DEVICE}): C writes the macro, everything else the
    # expansion that `driver` and `property` hold.  None: as `driver` and
    # `property` are.
    c_driver: str | None = None
    c_property: str | None = None


@record(eq=False)
class CompatSet:
    """hw_compat_7_2 is CompatSet(scope="hw", version=7.2); a family-wide set
    such as pc_q35_compat_defaults has a scope name and no version."""

    scope: str
    version: Version | None
    entries: list[CompatEntry]
    location: Location

    @property
    def key(self) -> tuple[str, Version | None]:
        return (self.scope, self.version)

    @property
    def c_name(self) -> str:
        if self.version is None:
            return self.scope
        return f"{self.scope}_compat_{self.version.c_suffix}"

    @property
    def display(self) -> str:
        return self.scope if self.version is None else f"{self.scope} {self.version}"


@record(eq=False)
class SetRef:
    """A machine's or family's reference to a compat set by scope and version."""

    scope: str
    version: Version | None
    location: Location

    @property
    def key(self) -> tuple[str, Version | None]:
        return (self.scope, self.version)

    @property
    def display(self) -> str:
        return self.scope if self.version is None else f"{self.scope} {self.version}"


@record(eq=False)
class Family:
    """A chain of versioned machine types (pc-q35, virt) and the facts they share."""

    name: str
    location: Location
    extends: str | None = None
    extends_location: Location | None = None
    abstract: bool = False
    pattern: str | None = None  # "pc-i440fx-{version}"
    targets: list[tuple[str, Location]] = field(default_factory=list)
    alias: str | None = None
    desc: str | None = None
    compat: list[SetRef] = field(default_factory=list)
    options: list[OptionAssign] = field(default_factory=list)
    guard: Guard | None = None  # build-time: the whole family
    manual_lifecycle: bool = False  # QEMU's automatic deprecation does not apply
    # Set by checks.py: the family this one extends.
    base: Family | None = None

    def lineage(self) -> list[Family]:
        """This family and the ones it extends, most basic first."""
        chain: list[Family] = []
        family: Family | None = self
        while family is not None and family not in chain:
            chain.append(family)
            family = family.base
        return chain[::-1]


@record(eq=False)
class Deprecation:
    """An explicit `deprecated "reason"` on a machine, with the release it starts at."""

    reason: str
    since: Version | None
    location: Location


@record(eq=False)
class Machine:
    """One machine type of a family: `machine FAMILY X.Y { ... }`."""

    family: str
    version: Version | None  # None in an unversioned family (isapc)
    location: Location
    compat: list[SetRef] = field(default_factory=list)
    options: list[OptionAssign] = field(default_factory=list)
    # (family or None for its own, version, location) per 'inherits'.
    inherits: list[tuple[str | None, Version, Location]] = field(default_factory=list)
    default: Location | None = None
    alias: Location | None = None
    alias_name: str | None = None  # a pinned alias ("alias xenfv")
    requires: list[tuple[str, Location]] = field(default_factory=list)
    guard: Guard | None = None
    deprecated: Deprecation | None = None
    unstable: Location | None = None
    removed: tuple[Version, Location] | None = None
    # What its instance options do (cpu-featoff, cpu-qemu-model, instance X = V),
    # in source order: CpuFeatOff, CpuQemuModelSet or InstanceSet (cpumodels.py).
    instance_options: list = field(default_factory=list)
    # Its compat references, option assignments, 'inherits' and explicit
    # deprecation in source order, as ("compat", SetRef), ("option",
    # OptionAssign), ("inherits", Location) or ("deprecated", Deprecation):
    # the order C writes them in (QEMU's order).
    statements: list[tuple[str, object]] = field(default_factory=list)
    # Set by checks.py once names are resolved.
    name: str = ""
    parent: Machine | None = None

    def chain(self) -> list[Machine]:
        """This machine and the ones it inherits, newest first."""
        chain: list[Machine] = []
        seen: set[int] = set()  # a list's 'in' would make long chains quadratic
        machine: Machine | None = self
        while machine is not None and id(machine) not in seen:
            chain.append(machine)
            seen.add(id(machine))
            machine = machine.parent
        return chain[::-1]


@record(eq=False)
class Lifecycle:
    """QEMU 9.1+'s automatic policy (include/hw/boards.h MACHINE_VER_*)."""

    location: Location
    deprecate_after: int | None = None
    delete_after: int | None = None
    reason: str | None = None
    removal_notice: int = 2  # releases between deprecation and removal
    # Whether machine types due for deletion are left out of the build
    # (QEMU's MACHINE_VER_DELETION): never (None), always, or from a release
    # on (QEMU 10.0 gated it off; 10.1 enforces it).
    enforce_deletion: Location | None = None
    enforce_since: Version | None = None

    def enforces_deletion(self, at: Version | None) -> bool:
        if self.enforce_deletion is None or at is None:
            return False
        return self.enforce_since is None or at.release >= self.enforce_since.release


@record(eq=False)
class QomPropertyDecl:
    """A QOM property declared by hand in a `qom-type` block."""

    name: str
    qom_type: str
    location: Location
    default: str | None = None
    since: Version | None = None


@record(eq=False)
class QomTypeDecl:
    """A QOM type or properties the imported registry does not know."""

    name: str
    location: Location
    extends: str | None = None
    abstract: bool = False
    since: Version | None = None
    absent: str | None = None  # why compat entries may name a type QEMU lacks
    properties: list[QomPropertyDecl] = field(default_factory=list)


# ---- how QEMU writes things in C ----------------------------------------------
# Data for the C backend (compiler/backends/c): which QEMU file each generated
# file replaces a part of, how a family's functions and DEFINE lines are
# spelled, where a scope's sets live, which header declares a name.


@record(eq=False)
class CHeader:
    """c-header "hw/pci/pci.h" { TYPE_PCI_DEVICE }: where C finds names.
    `header` is a quoted path, a <system> path, or a macro (CONFIG_DEVICES)."""

    header: str
    names: list[tuple[str, Location]]
    location: Location
    macro: bool = False  # #include CONFIG_DEVICES rather than a path


@record(eq=False)
class CTypeName:
    """c-type-name X86_CPU_TYPE_NAME "-${TYPE_X86_CPU}": a typename value
    MODEL<suffix> is written MACRO("MODEL")."""

    macro: str
    suffix: str
    location: Location


@record(eq=False)
class CPlacement:
    """A generated file and the QEMU file whose part it replaces."""

    file: str
    qemu_file: str
    location: Location


@record(eq=False)
class CScope:
    """Where the versioned sets of one scope live in QEMU."""

    scope: str
    location: Location
    tables: CPlacement | None = None  # GlobalProperty arrays and their _len
    declarations: CPlacement | None = None  # their extern declarations
    local: bool = False  # arrays inside the options functions that add them
    trailing_comma: bool = False  # { A, "b", "c", } as s390-virtio-ccw.c writes them


@record(eq=False)
class CSplit:
    """The machines of `family` from `version` down go to a second file."""

    family: str
    version: Version
    file: str
    location: Location


@record(eq=False)
class CFile:
    """c-file: one generated machines file."""

    name: str
    location: Location
    replaces: str | None = None
    families: list[tuple[str, Location]] = field(default_factory=list)
    includes: list[tuple[str, bool]] = field(default_factory=list)  # (header, is a macro)
    split: CSplit | None = None


@record(eq=False)
class CDefine:
    """A DEFINE line template: kind "" (a plain version), "latest" (the
    newest, with what the macro sets: alias, default) or "bugfix" (X.Y.Z)."""

    kind: str
    template: str
    sets: tuple[str, ...]
    location: Location


@record(eq=False)
class CFunction:
    """How a family's versioned options functions are named and called in C."""

    template: str  # "pc_q35_machine_{version}_options"
    param: str  # "MachineClass *m"
    location: Location


@record(eq=False)
class CFamily:
    """c-family: how QEMU writes one family's machines."""

    family: str
    location: Location
    function: CFunction | None = None
    instance_function: CFunction | None = None
    defines: list[CDefine] = field(default_factory=list)
    # What sets the family's own facts (its options, desc, family-wide sets):
    # "call" QEMU's base_function from the newest machine's function;
    # "inline": the machine functions write them; "elsewhere": QEMU code the
    # generated functions do not call (the DEFINE macro, the abstract class).
    base: str = ""
    base_function: str | None = None
    base_why: str = ""
    base_location: Location | None = None
    locals: list[tuple[str, str, Location]] = field(default_factory=list)
    symbols: dict[Version, tuple[str, Location]] = field(default_factory=dict)
    machine_comment: bool = False


@record(eq=False)
class Corpus:
    """Everything machines/ declares."""

    files: list[str] = field(default_factory=list)
    releases: dict[Version, Release] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    consts: dict[str, Const] = field(default_factory=dict)
    options: dict[str, OptionDecl] = field(default_factory=dict)
    compat_sets: dict[tuple[str, Version | None], CompatSet] = field(default_factory=dict)
    families: dict[str, Family] = field(default_factory=dict)
    machines: list[Machine] = field(default_factory=list)
    lifecycle: Lifecycle | None = None
    qom_decls: list[QomTypeDecl] = field(default_factory=list)
    features: dict[str, Feature] = field(default_factory=dict)
    config: dict[str, ConfigSymbol] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)
    host_properties: list[HostProperty] = field(default_factory=list)
    guest_invisible: list[GuestInvisible] = field(default_factory=list)
    registry_files: list[str] = field(default_factory=list)
    # CPU models per target (s390x) and C globals instance options may set.
    cpu_models: dict[str, "CpuModels"] = field(default_factory=dict)
    instance_globals: dict[str, "InstanceGlobal"] = field(default_factory=dict)
    # target -> its QOM registry (compiler.qom.Registry) with qom_decls
    # merged in; set by qomcheck.load_registries, ask qomcheck.registry_for.
    registries: dict[str, object] = field(default_factory=dict)
    # The files of vendor overlays layered on machines/ (overlay.py).
    vendor_files: set[str] = field(default_factory=set)

    def is_vendor(self, location: Location | None) -> bool:
        """Declared by a vendor overlay, not by upstream's machines/."""
        return location is not None and location.file in self.vendor_files

    # Macros with one expansion everywhere ('define'), and the C backend's data.
    defines: dict[str, Define] = field(default_factory=dict)
    c_headers: list[CHeader] = field(default_factory=list)
    c_type_names: dict[str, CTypeName] = field(default_factory=dict)
    c_scopes: dict[str, CScope] = field(default_factory=dict)
    c_files: dict[str, CFile] = field(default_factory=dict)
    c_families: dict[str, CFamily] = field(default_factory=dict)

    @property
    def current_release(self) -> Version | None:
        """The release machines/ describes: the newest one that is out (dated).
        A planned release never is, however many are declared ahead."""
        dated = [v for v, r in self.releases.items() if not r.planned]
        return max(dated) if dated else None

    @property
    def newest_release(self) -> Version | None:
        """The newest release declared, planned or not."""
        return max(self.releases) if self.releases else None


# ---- CPU models (s390x) ------------------------------------------------------
# QEMU's target/s390x model: features (cpu_features_def.h.inc), groups, CPU
# definitions (s390_cpu_defs[]), what each generation/GA level adds to the
# base, default and full sets (gen-features.c), the deprecated features and the
# cumulative lists of the 'qemu' model.  compiler/cpumodels.py computes the
# cumulative sets and each machine's effective CPU-model defaults.

GenGa = tuple[int, int]  # (generation, GA level): gen16.1 is (16, 1)


def gen_ga_text(level: GenGa) -> str:
    return f"gen{level[0]}.{level[1]}"


@record(eq=False)
class CpuFeature:
    """An s390x CPU feature: its QOM property and S390_FEAT_ enum."""

    name: str  # the QOM property: msa-base, sea_esop2
    enum: str  # S390_FEAT_<enum>
    description: str
    location: Location
    index: int = 0  # position in enum order
    deprecated: bool = False  # set by checks.py from the 'deprecated' list


@record(eq=False)
class CpuGroup:
    """An s390x CPU feature group: its QOM property and S390_FEAT_GROUP_ enum."""

    name: str  # the QOM property: msa4, mepochptff
    enum: str  # S390_FEAT_GROUP_<enum>
    description: str
    members: list[tuple[str, Location]]
    location: Location


@record(eq=False)
class CpuDefinition:
    """An s390x CPU model definition (type, generation, features)."""

    name: str  # z14.2, gen16a
    type: str  # the CPU type as written, 0x3906
    level: GenGa
    description: str
    location: Location
    mha_pow: int | None = None
    hmfai: str | None = None  # as written, 0x08000000
    guard: Guard | None = None  # build-time: CONFIG_S390X_LEGACY_CPUS

    @property
    def gen(self) -> int:
        return self.level[0]

    @property
    def ga(self) -> int:
        return self.level[1]


@record(eq=False)
class CpuGaLevel:
    """base_/default_/full_GEN<g>_GA<a>[]: what one GA level adds, and what it
    clears from the sets of the levels before it (gen15 drops csske, bpb)."""

    level: GenGa
    location: Location
    adds: dict[str, list[tuple[str, Location]]] = field(default_factory=dict)
    clears: dict[str, list[tuple[str, Location]]] = field(default_factory=dict)


@record(eq=False)
class CpuQemuList:
    """qemu_<V>[]: what S390_FEAT_LIST_QEMU_<V> adds to the lists before it."""

    name: str  # QEMU_V7_1
    entries: list[tuple[str, Location]]
    location: Location


@record(eq=False)
class CpuModels:
    """A target's s390x CPU-model facts: features, groups, definitions."""

    target: str
    location: Location
    features: dict[str, CpuFeature] = field(default_factory=dict)
    groups: dict[str, CpuGroup] = field(default_factory=dict)
    definitions: dict[str, CpuDefinition] = field(default_factory=dict)  # table order
    levels: list[CpuGaLevel] = field(default_factory=list)
    deprecated: list[tuple[str, Location]] = field(default_factory=list)
    qemu_lists: dict[str, CpuQemuList] = field(default_factory=dict)  # cumulative order
    # (definition, list, location): the 'qemu' model no machine has rebased.
    qemu_default: tuple[str, str, Location] | None = None
    # (definition, why, location): what host-model outputs stand for.
    host_model: tuple[str, str, Location] | None = None


@record(eq=False)
class CpuFeatOff:
    """cpu-featoff / cpu-group-featoff: clear features (or whole groups) from
    the default set of every definition of that generation/GA or newer."""

    level: GenGa
    names: list[tuple[str, Location]]
    group: bool
    location: Location
    comment: str | None = None
    comment_above: bool = False


@record(eq=False)
class CpuQemuModelSet:
    """cpu-qemu-model: rebase the 'qemu' model (s390_set_qemu_cpu_model)."""

    definition: str
    definition_location: Location
    qemu_list: str
    location: Location
    comment: str | None = None
    comment_above: bool = False


@record(eq=False)
class InstanceGlobal:
    """A C global a machine's instance options may set, and its default."""

    name: str
    type: str
    default: Value
    location: Location
    description: str = ""


@record(eq=False)
class InstanceSet:
    """An assignment a machine's instance options make to a C global."""

    name: str
    value: Value
    location: Location
    comment: str | None = None
    comment_above: bool = False
