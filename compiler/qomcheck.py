"""Checks against the QOM registry: every compat entry names a real driver and
property, with a value of the property's type.

In QEMU a misspelled driver in a compat set matches no object and is silently
ignored; a misspelled property aborts only when that device is created.  Both
are caught here, at compile time.  Two stages use this module:

- check_entries() after the model checks: drivers, properties and values;
- check_chains() after resolution: entries that change nothing.

Every check has a name (shown as [-Wname]) so -W/-E/-Wno- can change it.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import qom
from .diagnostics import Diagnostics, Location
from .model import CompatEntry, Corpus, Target, expand_macros


def load_registry(corpus: Corpus, root: Path, diags: Diagnostics):
    """The imported registries plus the DSL's qom-type declarations."""
    if not corpus.registry_files and not corpus.qom_decls:
        return None
    registry = None
    failed = False
    for shown in corpus.registry_files:
        try:
            loaded = qom.Registry.load(root / shown)
        except qom.QomError as exc:
            location, message = registry_error(str(exc), str(root / shown), shown)
            if location.line > 1 or location.column > 1:
                try:  # for the caret under the error
                    diags.add_source(shown, (root / shown).read_bytes().decode("utf-8", "replace"))
                except OSError:
                    pass
            diags.error(location, f"bad QOM registry: {message}")
            failed = True
            continue
        if registry is None:
            registry = loaded
            continue
        for name in loaded.types:  # another target's dump: add what is new
            if name not in registry.types:
                registry.types.put(loaded.types[name])
    if failed:
        return None  # checked against half a registry, every entry would be an error
    if registry is None:
        registry = qom.Registry()
    target = registry_target(corpus, registry)
    # New types first, so properties may be declared in any order.
    for decl in sorted(corpus.qom_decls, key=lambda d: d.extends is None):
        name = expand(decl.name, target)
        if decl.absent is not None:
            continue  # named by compat sets, built by nothing
        try:
            if decl.extends is not None:
                registry.add_type(
                    name,
                    expand(decl.extends, target),
                    abstract=decl.abstract,
                    since=str(decl.since) if decl.since else None,
                )
            elif name not in registry.types:
                raise qom.QomError(
                    f"unknown QOM type '{name}': write 'qom-type {decl.name} extends PARENT' "
                    "to declare a new type"
                )
        except qom.QomError as exc:
            diags.error(decl.location, str(exc))
            continue
        for prop in decl.properties:
            try:
                registry.add_property(
                    name, prop.name, prop.qom_type, str(prop.since) if prop.since else None
                )
            except qom.QomError as exc:
                diags.error(prop.location, str(exc))
                continue
            if prop.default is not None:
                problem = qom.check_value(prop.qom_type, prop.default)
                if problem:
                    diags.error(prop.location, f"default of {decl.name}.{prop.name}: {problem}")
    return registry


_AT_RE = re.compile(r"(?:cannot read )?(?P<path>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: ")


def registry_error(message: str, path: str, shown: str) -> tuple[Location, str]:
    """qom's message about the file at `path`, as a diagnostic at its line
    and column (1:1 when it names none) with the project-relative name."""
    found = _AT_RE.match(message)
    if found is None or found.group("path") != path:
        return Location(shown, 1, 1), message.replace(path, shown)
    line, column = found.group("line"), found.group("column")
    rest = message[found.end() :]
    if message.startswith("cannot read "):
        rest = f"cannot read it: {rest}"
    return Location(shown, int(line or 1), int(column or 1)), rest


def property_defaults(corpus: Corpus) -> dict[tuple[str, str], str]:
    return {
        (decl.name, prop.name): prop.default
        for decl in corpus.qom_decls
        for prop in decl.properties
        if prop.default is not None
    }


def registry_target(corpus: Corpus, registry) -> Target | None:
    """The target whose driver names the registry uses (its dump's binary)."""
    arch = qom.arch_from_source(registry.source or {}) if registry.source else None
    for target in corpus.targets.values():
        if target.name == arch:
            return target
    return next(iter(corpus.targets.values()), None)


def expand(driver: str, target: Target | None) -> str:
    if target is None:
        return driver
    return expand_macros(driver, target.defines)


def check_entries(corpus: Corpus, diags: Diagnostics) -> None:
    registry = corpus.registry
    if registry is None:
        return
    target = registry_target(corpus, registry)
    absent = {expand(d.name, target) for d in corpus.qom_decls if d.absent is not None}
    # What an entry is told depends only on these, and big inputs repeat
    # them: each is worked out once, then reported at every entry.
    found: dict[tuple, list] = {}
    for compat in corpus.compat_sets.values():
        for entry in compat.entries:
            driver = expand(entry.driver, target)
            key = (entry.driver, driver, entry.property, entry.value, entry.optional)
            problems = found.get(key)
            if problems is None:
                problems = found[key] = _Recorder()
                check_entry(registry, entry, driver, absent, problems)
            for message, check in problems.errors:
                diags.error(entry.location, message, check=check)


class _Recorder:
    """Stands in for Diagnostics in check_entry(), which reports only errors,
    all at the entry's location."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str | None]] = []

    def error(self, location, message: str, check: str | None = None) -> None:
        self.errors.append((message, check))


def check_entry(registry, entry: CompatEntry, driver: str, absent: set, diags) -> None:
    where = f"{entry.driver}.{entry.property}"
    if driver in absent:
        return  # declared: QEMU names it, no build has it
    if driver not in registry.types:
        candidates = closest(driver, registry.suggest_types(driver))
        hint = ""
        if candidates:
            hint = "; did you mean " + " or ".join(f"'{c}'" for c in candidates) + "?"
        else:
            hint = "; declare it with 'qom-type NAME extends PARENT since X.Y' if it is new"
        diags.error(
            entry.location, f"unknown QOM type '{driver}' in {where}{hint}", check="unknown-driver"
        )
        return
    prop = registry.find_property(driver, entry.property)
    if prop is None:
        with_it = registry.subtypes_with_property(driver, entry.property)
        without = registry.subtypes_without_property(driver, entry.property)
        if with_it and registry.types[driver].abstract:
            if without and not entry.optional:
                diags.error(
                    entry.location,
                    f"'{driver}' is abstract and only some of its subtypes have "
                    f"'{entry.property}' (e.g. '{with_it[0]}', not '{without[0]}'): "
                    "mark the entry optional",
                    check="abstract-not-optional",
                )
            prop = registry.find_property(with_it[0], entry.property)
        else:
            candidates = closest(
                entry.property, registry.suggest_properties(driver, entry.property)
            )
            if candidates:
                fix = "did you mean " + " or ".join(f"'{c}'" for c in candidates) + "?"
            else:
                fix = (
                    f"if it is new, declare it: qom-type {driver} "
                    f"{{ {entry.property} TYPE since X.Y }}"
                )
            owners = registry.ancestors(driver)
            diags.error(
                entry.location,
                f"QOM type '{driver}' has no property '{entry.property}' "
                f"(nor do {', '.join(owners[1:]) or 'its ancestors'}); {fix}",
                check="unknown-property",
            )
            return
    if prop is not None:
        problem = qom.check_value(prop.qom_type, entry.value)
        if problem:
            diags.error(
                entry.location,
                f"bad value for {driver}.{entry.property} ({prop.qom_type}): {problem}",
                check="bad-value",
            )


def closest(name: str, candidates: list[str]) -> list[str]:
    """Only the best of the suggestions: one clear fix beats a list."""
    if not candidates:
        return []
    distance = {c: qom.edit_distance(name, c, len(name) + len(c)) for c in candidates}
    best = min(distance.values())
    return [c for c in candidates if distance[c] == best]


def check_chains(resolved, diags: Diagnostics) -> None:
    """Entries that change nothing in any machine that applies them.

    dead-entry: the value equals the property's declared default and nothing
    before it in any chain changed it.  redundant-entry: an earlier set of the
    same chain already gives the same value.
    """
    defaults = property_defaults(resolved.corpus)
    useful: set[int] = set()  # id(CompatEntry) that changed something somewhere
    applied: dict[int, CompatEntry] = {}
    redundant: dict[int, tuple[CompatEntry, object]] = {}
    # A machine's list is its parent's plus its own sets, so its state after
    # the parent's part is the parent's final state: each machine only walks
    # the entries it adds.
    for resolved_target in resolved.targets.values():
        by_machine = {id(m.machine): m for m in resolved_target.machines}
        final: dict[int, dict] = {}

        def walk(machine) -> dict:
            key_id = id(machine.machine)
            if key_id in final:
                return final[key_id]
            parent = by_machine.get(id(machine.parent)) if machine.parent else None
            if parent is not None:
                state = dict(walk(parent))
                start = len(parent.compat_props)
            else:
                state, start = {}, 0
            for prop in machine.compat_props[start:]:
                key = (prop.driver, prop.property)
                entry_id = id(prop.entry)
                applied[entry_id] = prop.entry
                before = state.get(key)
                if before is not None and same_value(before.value, prop.value):
                    if before.compat is not prop.compat:
                        redundant.setdefault(entry_id, (prop.entry, before))
                elif before is None and same_value(defaults.get(_source_key(prop)), prop.value):
                    pass
                else:
                    useful.add(entry_id)
                state[key] = prop
            final[key_id] = state
            return state

        for machine in resolved_target.machines:
            walk(machine)
    for entry_id, entry in applied.items():
        if entry_id in useful:
            continue
        if entry_id in redundant:
            _, before = redundant[entry_id]
            loc = before.provenance.location
            diags.warning(
                entry.location,
                f'{entry.driver}.{entry.property} = "{entry.value}" changes nothing: '
                f"{before.provenance.set_name} ({loc.file}:{loc.line}) already sets it "
                "for every machine that applies this entry",
                check="redundant-entry",
            )
        else:
            diags.warning(
                entry.location,
                f'{entry.driver}.{entry.property} = "{entry.value}" is the property\'s '
                "default wherever this entry applies: it is dead",
                check="dead-entry",
            )


def same_value(a: str | None, b: str) -> bool:
    """Equal as QEMU would parse them: "on" and "true" are the same bool."""
    if a is None:
        return False
    if a == b:
        return True
    a_on, b_on = qom.is_on("bool", a), qom.is_on("bool", b)
    return a_on is not None and a_on == b_on


def _source_key(prop) -> tuple[str, str]:
    return (prop.entry.driver, prop.entry.property)
