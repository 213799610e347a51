"""Checks against the QOM registries: every compat entry names a real driver
and property, with a value of the property's type, in the binary of every
target it applies to.

In QEMU a misspelled driver in a compat set matches no object and is silently
ignored; a misspelled property aborts only when that device is created.  Both
are caught here, at compile time.  A compat set applies to the targets of the
families whose machines (or the families themselves) apply it: hw_compat_X_Y
to all of them, pc_compat_X_Y to x86_64 and i386.  A driver a target's binary
lacks is fine there (QEMU ignores it) as long as some target it applies to
has it.  Three stages use this module:

- load_registries() after the model checks: each target's registry
  (machines/registry/qemu-X.Y-TARGET.qom.json) with the qom-type
  declarations of machines/ merged in; registry_for() answers for a target;
- check_entries(): drivers, properties and values;
- check_chains() after resolution: entries that change nothing.

Every check has a name (shown as [-Wname]) so -W/-E/-Wno- can change it.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import guards, qom, qomfiles
from .diagnostics import Diagnostics, Location
from .model import CompatEntry, Corpus, Target, expand_macros
from .qomvalues import same_value

# ---- the registries --------------------------------------------------------


def registry_for(corpus: Corpus, target_name: str) -> qom.Registry | None:
    """The QOM registry of target_name's binary, with machines/'s qom-type
    declarations merged in; None when machines/ has none for it.  Set by
    load_registries() during a build."""
    return corpus.registries.get(target_name)


def registries_at(root: Path) -> dict[str, qom.Registry]:
    """target -> the registry files below root/machines say, without
    compiling anything (no qom-type declarations merged): what a revision's
    registries are, for comparing two revisions."""
    paths = sorted((root / "machines").rglob(f"*{qomfiles.SUFFIX}"))
    return qomfiles.by_target(
        qomfiles.load_files(paths, [p.relative_to(root).as_posix() for p in paths])
    )


def load_registries(corpus: Corpus, root: Path, diags: Diagnostics) -> dict[str, qom.Registry]:
    """target -> its registry, declarations merged; sets corpus.registries.

    A target's own registry is the newest qemu-X.Y-TARGET file.  A file
    without a target (format 1) serves every target without one of its own.
    """
    corpus.registries = {}
    if not corpus.registry_files and not corpus.qom_decls:
        return corpus.registries
    paths = [root / shown for shown in corpus.registry_files]
    try:
        loaded = qomfiles.load_files(paths, list(corpus.registry_files))
    except qom.QomError as exc:
        shown = exc.file if exc.file in corpus.registry_files else corpus.registry_files[0]
        location, message = registry_error(str(exc), str(root / shown), shown)
        if location.line > 1 or location.column > 1:
            try:  # for the caret under the error
                diags.add_source(shown, (root / shown).read_bytes().decode("utf-8", "replace"))
            except OSError:
                pass
        diags.error(location, f"bad QOM registry: {message}")
        # Checked against half a registry, every entry would be an error.
        return corpus.registries
    own = qomfiles.by_target(loaded)
    untargeted = [r for r in loaded if r.target is None]
    for target in corpus.targets.values():
        registry = own.get(target.name)
        if registry is None:
            registry = _merged(untargeted) if untargeted or corpus.qom_decls else None
        if registry is not None:
            corpus.registries[target.name] = registry
    _merge_declarations(corpus, diags)
    return corpus.registries


_AT_RE = re.compile(r"(?:cannot read )?(?P<path>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: ")


def registry_error(message: str, path: str, shown: str) -> tuple[Location, str]:
    """qom's message about the file at `path`, as a diagnostic at its line
    and column (1:1 when it names none) with the project-relative name."""
    found = _AT_RE.match(message)
    if found is None or found.group("path") not in (path, shown):
        return Location(shown, 1, 1), message.replace(path, shown)
    line, column = found.group("line"), found.group("column")
    rest = message[found.end() :]
    if message.startswith("cannot read "):
        rest = f"cannot read it: {rest}"
    return Location(shown, int(line or 1), int(column or 1)), rest


def _merged(registries: list[qom.Registry]) -> qom.Registry:
    """One registry of several untargeted files (the first wins), fresh for
    one target: declarations merged into it concern that target alone."""
    entries: dict[str, dict] = {}
    for registry in reversed(registries):
        entries.update(registry.entries())
    first = registries[0] if registries else qom.Registry()
    return qom.Registry._from_entries(entries, first.release, first.source)


def _merge_declarations(corpus: Corpus, diags: Diagnostics) -> None:
    """Add each qom-type declaration to the registries of the targets it
    concerns: a new type where its parent exists, properties where the type
    exists.  Naming a type no registry has is an error."""
    reported: set[tuple[Location, str]] = set()

    def error(location: Location, message: str) -> None:
        if (location, message) not in reported:
            reported.add((location, message))
            diags.error(location, message)

    # New types first, so properties may be declared in any order.
    decls = sorted(corpus.qom_decls, key=lambda d: d.extends is None)
    for decl in decls:
        if decl.absent is not None:
            continue  # named by compat sets, built by nothing
        placed = False
        for target_name, registry in corpus.registries.items():
            target = corpus.targets[target_name]
            name = expand(decl.name, target)
            try:
                if decl.extends is not None:
                    parent = expand(decl.extends, target)
                    if parent not in registry.types:
                        continue
                    since = str(decl.since) if decl.since else None
                    registry.add_type(name, parent, abstract=decl.abstract, since=since)
                elif name not in registry.types:
                    continue
            except qom.QomError as exc:
                error(decl.location, str(exc))
                continue
            placed = True
            for prop in decl.properties:
                try:
                    registry.add_property(
                        name,
                        prop.name,
                        prop.qom_type,
                        str(prop.since) if prop.since else None,
                        prop.default,
                    )
                except qom.QomError as exc:
                    error(prop.location, str(exc))
        if not placed and corpus.registries:
            if decl.extends is not None:
                error(
                    decl.location, f"parent '{decl.extends}' of QOM type '{decl.name}' is not known"
                )
            else:
                error(
                    decl.location,
                    f"unknown QOM type '{decl.name}': write 'qom-type {decl.name} extends "
                    "PARENT' to declare a new type",
                )
        for prop in decl.properties:
            if prop.default is not None:
                problem = qom.check_value(prop.qom_type, prop.default)
                if problem:
                    error(prop.location, f"default of {decl.name}.{prop.name}: {problem}")


def expand(driver: str, target: Target | None) -> str:
    if target is None:
        return driver
    return expand_macros(driver, target.defines)


def set_targets(corpus: Corpus) -> dict[tuple, list[str]]:
    """compat set key -> the targets whose machines apply it, in target order."""
    found: dict[tuple, set[str]] = {}
    for family in corpus.families.values():
        if family.abstract:
            continue
        targets = {name for name, _ in family.targets}
        refs = [ref for member in family.lineage() for ref in member.compat]
        refs += [
            ref
            for machine in corpus.machines
            if machine.family == family.name
            for ref in machine.compat
        ]
        for ref in refs:
            found.setdefault(ref.key, set()).update(targets)
    order = list(corpus.targets)
    return {key: [t for t in order if t in names] for key, names in found.items()}


# ---- compat entries ----------------------------------------------------------


def check_entries(corpus: Corpus, diags: Diagnostics) -> None:
    check_guest_invisible(corpus, diags)
    if not corpus.registries:
        return
    absent = {
        target.name: {expand(d.name, target) for d in corpus.qom_decls if d.absent is not None}
        for target in corpus.targets.values()
    }
    config = guards.default_config(corpus)
    applies = set_targets(corpus)
    everywhere = list(corpus.registries)
    for compat in corpus.compat_sets.values():
        names = applies.get(compat.key) or everywhere
        for entry in compat.entries:
            targets = [
                corpus.targets[name]
                for name in names
                if name in corpus.registries
                and guards.build_true(entry.guard, config, corpus.targets[name])
            ]
            if targets:
                EntryCheck(corpus, entry, compat.display, targets, absent, diags).run()


def check_guest_invisible(corpus: Corpus, diags: Diagnostics) -> None:
    """Each 'property T.P not-guest-visible' has a reason and names a
    property some target's registry has (on T or one of its subtypes)."""
    for decl in corpus.guest_invisible:
        what = f"{decl.driver}.{decl.property}"
        if not decl.reason.strip():
            diags.error(decl.location, f"{what} is declared not guest-visible without a reason")
        if not corpus.registries:
            continue
        found = False
        for name, registry in corpus.registries.items():
            driver = expand(decl.driver, corpus.targets.get(name))
            if driver not in registry.types:
                continue
            if not registry.is_listed(driver) or registry.find_property(driver, decl.property):
                found = True
            elif registry.subtypes_with_property(driver, decl.property):
                found = True
        if not found:
            diags.error(
                decl.location,
                f"no QOM registry has property {what}: nothing to declare not guest-visible",
                check="unknown-property",
            )


class EntryCheck:
    """One compat entry against the registry of each target it applies to."""

    def __init__(self, corpus, entry: CompatEntry, set_name: str, targets, absent, diags):
        self.corpus = corpus
        self.entry = entry
        self.set_name = set_name
        self.targets: list[Target] = targets
        self.absent = absent
        self.diags = diags

    def run(self) -> None:
        entry = self.entry
        where = f"{entry.driver}.{entry.property}"
        having = []
        for target in self.targets:
            driver = expand(entry.driver, target)
            if driver in self.absent[target.name]:
                return  # declared: QEMU names it, no build has it
            if driver in self.corpus.registries[target.name].types:
                having.append(target)
        if not having:
            self.unknown_driver(where)
            return
        problems: dict[tuple[str, str], list[str]] = {}
        for target in having:
            registry = self.corpus.registries[target.name]
            found = check_entry(registry, entry, expand(entry.driver, target))
            if found is not None:
                problems.setdefault(found, []).append(target.name)
        for (check, message), names in problems.items():
            if len(having) > 1 and len(names) < len(having):
                message = f"in {_targets_text(names)}: {message}"
            self.diags.error(entry.location, message, check=check)

    def unknown_driver(self, where: str) -> None:
        target = self.targets[0]
        driver = expand(self.entry.driver, target)
        registry = self.corpus.registries[target.name]
        elsewhere = [
            name
            for name, other in self.corpus.registries.items()
            if other is not registry
            and expand(self.entry.driver, self.corpus.targets[name]) in other.types
        ]
        if elsewhere and len(self.targets) < len(self.corpus.registries):
            applied = _targets_text([t.name for t in self.targets])
            hint = (
                f": only {_targets_text(elsewhere)} {'has' if len(elsewhere) == 1 else 'have'} "
                f"it, and compat set '{self.set_name}' applies to {applied}"
            )
        else:
            candidates = closest(driver, registry.suggest_types(driver))
            if candidates:
                hint = "; did you mean " + " or ".join(f"'{c}'" for c in candidates) + "?"
            else:
                hint = (
                    "; if it is new in QEMU, re-import the registry from a binary that has it "
                    "(mtc import-qom --qemu)"
                )
        self.diags.error(
            self.entry.location,
            f"unknown QOM type '{driver}' in {where}{hint}",
            check="unknown-driver",
        )


def _targets_text(names: list[str]) -> str:
    return ("target " if len(names) == 1 else "targets ") + ", ".join(names)


def check_entry(registry: qom.Registry, entry: CompatEntry, driver: str):
    """(check, message) of what is wrong with entry on driver, or None."""
    if not registry.is_listed(driver):
        return None  # QEMU could not list its properties: any may exist
    prop = registry.find_property(driver, entry.property)
    if prop is None:
        with_it = registry.subtypes_with_property(driver, entry.property)
        if with_it and registry.types[driver].abstract:
            without = (
                [] if entry.optional else registry.subtypes_without_property(driver, entry.property)
            )
            if without:
                return (
                    "abstract-not-optional",
                    f"'{driver}' is abstract and only some of its subtypes have "
                    f"'{entry.property}' (e.g. '{with_it[0]}', not '{without[0]}'): "
                    "mark the entry optional",
                )
            prop = registry.find_property(with_it[0], entry.property)
        elif any(not registry.is_listed(name) for name in registry.ancestors(driver)):
            return None  # an ancestor QEMU could not list may have it
        else:
            candidates = closest(
                entry.property, registry.suggest_properties(driver, entry.property)
            )
            if candidates:
                fix = "did you mean " + " or ".join(f"'{c}'" for c in candidates) + "?"
            else:
                fix = (
                    "if it is new in QEMU, re-import the registry from a binary that has it "
                    "(mtc import-qom --qemu)"
                )
            owners = registry.ancestors(driver)
            return (
                "unknown-property",
                f"QOM type '{driver}' has no property '{entry.property}' "
                f"(nor do {', '.join(owners[1:]) or 'its ancestors'}); {fix}",
            )
    if prop is not None:
        problem = qom.check_value(prop.qom_type, entry.value)
        if problem:
            return (
                "bad-value",
                f"bad value for {driver}.{entry.property} ({prop.qom_type}): {problem}",
            )
    return None


def closest(name: str, candidates: list[str]) -> list[str]:
    """Only the best of the suggestions: one clear fix beats a list."""
    if not candidates:
        return []
    distance = {c: qom.edit_distance(name, c, len(name) + len(c)) for c in candidates}
    best = min(distance.values())
    return [c for c in candidates if distance[c] == best]


# ---- chains ------------------------------------------------------------------------


def declared_defaults(corpus: Corpus) -> dict[tuple[str, str], tuple[str, str]]:
    """(driver as written, property) -> (QOM type, default) of the qom-type
    declarations that give a default.

    Only these decide dead entries.  What a binary reports is the class
    default, which instance init may change per object: x86 CPU models set
    legacy-cache from their cache information, so pc_compat_2_12's
    legacy-cache = "on" matters although the class default is on.
    """
    return {
        (decl.name, prop.name): (prop.qom_type, prop.default)
        for decl in corpus.qom_decls
        for prop in decl.properties
        if prop.default is not None
    }


def check_chains(resolved, diags: Diagnostics) -> None:
    """Entries that change nothing in any machine that applies them.

    dead-entry: the value equals the property's declared default (see
    declared_defaults) and nothing before it in any chain changed it.
    redundant-entry: an earlier set of the same chain already gives the same
    value.
    """
    defaults = declared_defaults(resolved.corpus)
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
                qom_type, default = defaults.get((prop.entry.driver, prop.property), (None, None))
                if before is not None and same_value(qom_type, before.value, prop.value):
                    if before.compat is not prop.compat:
                        redundant.setdefault(entry_id, (prop.entry, before))
                elif before is None and same_value(qom_type, default, prop.value):
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
