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

import re
from dataclasses import dataclass, field

from . import lifecycle, values
from .diagnostics import Location
from .model import CompatEntry, CompatSet, Corpus, Family, Machine, OptionAssign, OptionDecl, Target

_MACRO_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Provenance:
    set_name: str  # hw_compat_7_2, pc_q35_compat_defaults
    release: str | None
    location: Location


@dataclass(frozen=True)
class ResolvedProp:
    driver: str  # expanded for the target
    property: str
    value: str
    optional: bool
    provenance: Provenance
    entry: CompatEntry
    compat: CompatSet


@dataclass(frozen=True)
class ResolvedOption:
    name: str
    value: object  # as query-machines reports it
    decl: OptionDecl
    assign: OptionAssign
    set_by: str  # the family or machine whose assignment won


@dataclass
class ResolvedMachine:
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

    @property
    def deprecated(self) -> bool:
        return self.deprecation_reason is not None

    @property
    def parent(self) -> Machine | None:
        return self.machine.parent

    def effective(self) -> dict[tuple[str, str], ResolvedProp]:
        """The winning entry for each (driver, property)."""
        result: dict[tuple[str, str], ResolvedProp] = {}
        for prop in self.compat_props:
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


@dataclass
class ResolvedTarget:
    target: Target
    machines: list[ResolvedMachine]

    def find(self, name: str) -> ResolvedMachine | None:
        for machine in self.machines:
            if machine.name == name or machine.alias == name:
                return machine
        return None


@dataclass
class Resolved:
    corpus: Corpus
    targets: dict[str, ResolvedTarget]


def expand_driver(driver: str, target: Target) -> str:
    return _MACRO_RE.sub(lambda m: target.defines.get(m.group(1), m.group(0)), driver)


class Resolver:
    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.at = corpus.current_release

    def resolve(self) -> Resolved:
        targets = {}
        for target in self.corpus.targets.values():  # declaration order
            targets[target.name] = ResolvedTarget(target, self.resolve_target(target))
        return Resolved(self.corpus, targets)

    def families_for(self, target: Target) -> list[Family]:
        return [
            family
            for family in self.corpus.families.values()
            if not family.abstract and any(name == target.name for name, _ in family.targets)
        ]

    def resolve_target(self, target: Target) -> list[ResolvedMachine]:
        result = []
        for family in self.families_for(target):
            # Entries of one set expand once per target, then are shared.
            expanded: dict[int, list[ResolvedProp]] = {}
            machines = sorted(
                (m for m in self.corpus.machines if m.family == family.name and m.name),
                key=lambda m: m.version,
                reverse=True,
            )
            base_props = self.set_props(family_sets(family, self.corpus), target, expanded)
            base_options = self.family_options(family, target)
            memo: dict[int, tuple[list[ResolvedProp], dict[str, ResolvedOption]]] = {}
            for machine in machines:
                props, options = self.machine_state(
                    machine, target, base_props, base_options, expanded, memo
                )
                result.append(
                    ResolvedMachine(
                        machine=machine,
                        family=family,
                        target=target,
                        name=machine.name,
                        alias=family.alias if machine.alias is not None else None,
                        is_default=machine.default is not None,
                        deprecation_reason=lifecycle.deprecation_reason(
                            machine, self.corpus.lifecycle, self.at
                        ),
                        deletion_due=lifecycle.deletion_due(
                            machine, self.corpus.lifecycle, self.at
                        ),
                        compat_props=props,
                        options=options,
                    )
                )
        return result

    def machine_state(self, machine, target, base_props, base_options, expanded, memo):
        """(compat props, options) of a machine, built on its parent's."""
        key = id(machine)
        if key in memo:
            return memo[key]
        if machine.parent is not None:
            props, options = self.machine_state(
                machine.parent, target, base_props, base_options, expanded, memo
            )
        else:
            props, options = base_props, base_options
        sets = [self.corpus.compat_sets[ref.key] for ref in machine.compat]
        own_props = self.set_props(sets, target, expanded)
        if own_props:
            props = props + own_props
        if machine.options:
            options = dict(options)
            self.apply_options(options, machine.options, machine.name, target)
        memo[key] = (props, options)
        return memo[key]

    def set_props(self, sets, target, expanded) -> list[ResolvedProp]:
        props: list[ResolvedProp] = []
        for compat in sets:
            cached = expanded.get(id(compat))
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
                ]
                expanded[id(compat)] = cached
            props.extend(cached)
        return props

    def family_options(self, family: Family, target: Target) -> dict[str, ResolvedOption]:
        options: dict[str, ResolvedOption] = {}
        for member in family.lineage():
            self.apply_options(options, member.options, f"family {member.name}", target)
        return options

    def apply_options(self, options, assigns, set_by: str, target: Target) -> None:
        for assign in assigns:
            decl = self.corpus.options[assign.name]
            options[assign.name] = ResolvedOption(
                name=assign.name,
                value=values.json_value(decl, assign.value, self.corpus.consts, target),
                decl=decl,
                assign=assign,
                set_by=set_by,
            )


def family_sets(family: Family, corpus: Corpus) -> list[CompatSet]:
    """The family-wide sets, from the most basic family down."""
    return [corpus.compat_sets[ref.key] for member in family.lineage() for ref in member.compat]


def resolve(corpus: Corpus) -> Resolved:
    return Resolver(corpus).resolve()
