"""Stage 4: effective machines, with QEMU's semantics and full provenance.

For one target, a machine's compat properties are, in application order:
the family-wide sets (its base families' first), then for each machine of its
chain from the newest version down to itself, that machine's sets in the
order it lists them.  object_apply_global_props applies them in that order,
so the last entry for a (driver, property) wins.  Options resolve the same
way: base families, family, then the chain newest first.

Every backend reads this result; none of them walks inheritance again.
"""

from __future__ import annotations


from .records import field, record
from . import cpumodels, guards, lifecycle, values
from .diagnostics import Location
from .versions import Version
from .model import (
    expand_macros,
    CompatEntry,
    CompatSet,
    Corpus,
    Family,
    Guard,
    Machine,
    OptionAssign,
    OptionDecl,
    Target,
)


@record(frozen=True)
class Provenance:
    """Where a resolved compat property comes from: set, release, source line."""

    set_name: str  # hw_compat_7_2, pc_q35_compat_defaults
    release: str | None
    location: Location


@record(frozen=True)
class ResolvedProp:
    """A compat property as one machine type applies it, with its provenance."""

    driver: str  # expanded for the target
    property: str
    value: str
    optional: bool
    provenance: Provenance
    entry: CompatEntry
    compat: CompatSet

    @property
    def guard(self) -> Guard | None:
        """A host guard: the entry applies only on hosts where it holds.  A
        build-time guard was decided when the target was resolved."""
        guard = self.entry.guard
        return None if guard is None or guard.is_build_time else guard


@record(frozen=True)
class ResolvedOption:
    """An option's value in one machine type, and who set it."""

    name: str
    value: object  # as query-machines reports it
    decl: OptionDecl
    assign: OptionAssign
    set_by: str  # the family or machine whose assignment won


@record
class ResolvedMachine:
    """One machine type of one target with everything it inherits applied."""

    machine: Machine
    family: Family
    target: Target
    name: str
    alias: str | None
    is_default: bool
    deprecation_reason: str | None
    deletion_due: bool
    compat_props: list[ResolvedProp] = field(default_factory=list)
    options: dict[str, ResolvedOption] = field(default_factory=dict)
    # Option assignments under a host guard, in application order.
    host_options: list[ResolvedOption] = field(default_factory=list)
    # cpumodels.MachineCpuModels: effective CPU-model defaults (s390x only).
    cpu_models: object | None = None
    vendor: bool = False  # declared by a vendor overlay (overlay.py)
    # How many of compat_props are its parent's, in the parent's order: a
    # machine's list is its parent's plus its own sets' entries.
    inherited: int = 0
    # Why the build leaves it out (removed, or deletion due and enforced);
    # such a machine is in ResolvedTarget.gone, not .machines.
    absent: str | None = None

    @property
    def guard(self) -> Guard | None:
        """The build-time guard the machine exists under, if any."""
        return self.machine.guard or self.family.guard

    @property
    def requires(self) -> list[str]:
        return [name for name, _ in self.machine.requires]

    @property
    def deprecated(self) -> bool:
        return self.deprecation_reason is not None

    @property
    def parent(self) -> Machine | None:
        return self.machine.parent

    def effective(self, applies=None) -> dict[tuple[str, str], ResolvedProp]:
        """The winning entry for each (driver, property).  Entries under a
        host guard count only where applies(prop) says so (default: never).
        The host-independent answer is computed once: several checks ask."""
        if applies is None:
            cached = self.__dict__.get("_effective")
            if cached is None:
                cached = self.__dict__["_effective"] = self._effective(None)
            return cached
        return self._effective(applies)

    def _effective(self, applies) -> dict[tuple[str, str], ResolvedProp]:
        result: dict[tuple[str, str], ResolvedProp] = {}
        for prop in self.compat_props:
            if prop.guard is not None and (applies is None or not applies(prop)):
                continue
            result[(prop.driver, prop.property)] = prop
        return result

    def option(self, name: str, default=None):
        resolved = self.options.get(name)
        return resolved.value if resolved is not None else default

    def query_value(self, query: str, default=None):
        for resolved in self.options.values():
            if resolved.decl.query == query:
                return resolved.value
        return default


@record
class ResolvedTarget:
    """One target's machine types, as its binary registers them."""

    target: Target
    machines: list[ResolvedMachine]  # the machine types the binary registers
    # cpumodels.TargetCpuModels, for a target with a cpu-models block.
    cpu_models: object | None = None
    # Machine types machines/ declares that this release's binary lacks:
    # removed, or due for deletion under a policy that enforces it.
    gone: list[ResolvedMachine] = field(default_factory=list)

    def find(self, name: str) -> ResolvedMachine | None:
        for machine in self.machines:
            if machine.name == name or machine.alias == name:
                return machine
        return None


@record
class Resolved:
    """The resolved model: every target's machine types, for the backends."""

    corpus: Corpus
    targets: dict[str, ResolvedTarget]
    config: dict[str, bool] = field(default_factory=dict)  # the configured binary


def expand_driver(driver: str, target: Target) -> str:
    return expand_macros(driver, target.defines)


class Resolver:
    def __init__(self, corpus: Corpus, config: dict[str, bool] | None = None):
        self.corpus = corpus
        self.at = corpus.current_release
        self.config = config if config is not None else guards.default_config(corpus)

    def resolve(self) -> Resolved:
        targets = {}
        for target in self.corpus.targets.values():  # declaration order
            machines = self.resolve_target(target)
            targets[target.name] = ResolvedTarget(
                target,
                [m for m in machines if m.absent is None],
                gone=[m for m in machines if m.absent is not None],
            )
        resolved = Resolved(self.corpus, targets, dict(sorted(self.config.items())))
        cpumodels.attach(resolved)
        return resolved

    def builds(self, guard: Guard | None, target: Target) -> bool:
        return guards.build_true(guard, self.config, target)

    def families_for(self, target: Target) -> list[Family]:
        return [
            family
            for family in self.corpus.families.values()
            if not family.abstract
            and any(name == target.name for name, _ in family.targets)
            and self.builds(family.guard, target)
        ]

    def resolve_target(self, target: Target) -> list[ResolvedMachine]:
        result = []
        # Entries of one set expand once per target, then are shared; each
        # machine's state is built on its parent's, whatever its family.
        self.expanded: dict[int, list[ResolvedProp]] = {}
        self.memo: dict[int, tuple] = {}
        newest_first = sorted(
            (m for m in self.corpus.machines if m.name),
            key=lambda m: (m.version is not None, m.version or Version(())),
            reverse=True,
        )
        by_family: dict[str, list[Machine]] = {}
        for machine in newest_first:
            by_family.setdefault(machine.family, []).append(machine)
        for family in self.families_for(target):
            for machine in by_family.get(family.name, ()):
                if not self.builds(machine.guard, target):
                    continue
                props, options, host_options = self.machine_state(machine, target)
                inherited = 0
                if machine.parent is not None:
                    inherited = len(self.machine_state(machine.parent, target)[0])
                manual = family.manual_lifecycle
                if machine.alias is None:
                    alias = None
                else:
                    alias = machine.alias_name or family.alias
                result.append(
                    ResolvedMachine(
                        machine=machine,
                        family=family,
                        target=target,
                        name=machine.name,
                        alias=alias,
                        is_default=machine.default is not None,
                        deprecation_reason=lifecycle.deprecation_reason(
                            machine, self.corpus.lifecycle, self.at, manual
                        ),
                        deletion_due=lifecycle.deletion_due(
                            machine, self.corpus.lifecycle, self.at, manual
                        ),
                        compat_props=props,
                        options=options,
                        host_options=host_options,
                        inherited=inherited,
                        vendor=self.corpus.is_vendor(machine.location),
                        absent=lifecycle.absent_reason(
                            machine, self.corpus.lifecycle, self.at, manual
                        ),
                    )
                )
        return result

    def machine_state(self, machine: Machine, target: Target):
        """(compat props, options, host-guarded options) of a machine, built on
        its parent's; a machine without a parent starts from its family's."""
        key = id(machine)
        if key in self.memo:
            return self.memo[key]
        if machine.parent is not None:
            props, options, host_options = self.machine_state(machine.parent, target)
        else:
            family = self.corpus.families[machine.family]
            props = self.set_props(family_sets(family, self.corpus), target)
            options, host_options = {}, []
            for member in family.lineage():
                options, host_options = self.apply_options(
                    options, host_options, member.options, f"family {member.name}", target
                )
        sets = [self.corpus.compat_sets[ref.key] for ref in machine.compat]
        own_props = self.set_props(sets, target)
        if own_props:
            props = props + own_props
        options, host_options = self.apply_options(
            options, host_options, machine.options, machine.name, target
        )
        self.memo[key] = (props, options, host_options)
        return self.memo[key]

    def set_props(self, sets, target) -> list[ResolvedProp]:
        props: list[ResolvedProp] = []
        for compat in sets:
            cached = self.expanded.get(id(compat))
            if cached is None:
                provenance_release = str(compat.version) if compat.version else None
                cached = [
                    ResolvedProp(
                        driver=expand_driver(entry.driver, target),
                        property=entry.property,
                        value=entry.value,
                        optional=entry.optional,
                        provenance=Provenance(compat.c_name, provenance_release, entry.location),
                        entry=entry,
                        compat=compat,
                    )
                    for entry in compat.entries
                    if self.builds(entry.guard, target)
                ]
                self.expanded[id(compat)] = cached
            props.extend(cached)
        return props

    def apply_options(self, options, host_options, assigns, set_by: str, target: Target):
        """New (options, host_options) with `assigns` applied; the inputs are
        shared with the parent machine and stay untouched."""
        if not assigns:
            return options, host_options
        options = dict(options)
        for assign in assigns:
            if not self.builds(assign.guard, target):
                continue
            decl = self.corpus.options[assign.name]
            resolved = ResolvedOption(
                name=assign.name,
                value=values.json_value(decl, assign.value, self.corpus.consts, target),
                decl=decl,
                assign=assign,
                set_by=set_by,
            )
            if assign.guard is not None and not assign.guard.is_build_time:
                host_options = host_options + [resolved]
            else:
                options[assign.name] = resolved
        return options, host_options


def family_sets(family: Family, corpus: Corpus) -> list[CompatSet]:
    """The family-wide sets, from the most basic family down."""
    return [corpus.compat_sets[ref.key] for member in family.lineage() for ref in member.compat]


def resolve(corpus: Corpus, config: dict[str, bool] | None = None) -> Resolved:
    return Resolver(corpus, config).resolve()
