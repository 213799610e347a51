"""The ABI gate's rules: what a difference between two versions of a
released machine type means for migration.

abi.py walks the subjects (released machine types present on both sides)
and asks this module to classify what differs: a compat entry a machine
type gained, lost or changed, an option, and what the registries say
changed (abi_registry.py).  Each answer is (severity, reason); abi.py
groups the findings by cause.

The principle: a released machine type must look the same to a guest on
both sides.  Anything the gate cannot show to be the same is an error; it
says "info" only for what it knows keeps the machine type as it was (a pin
of a new property, a pin restating the base's default in a set still
open), and "note" for an entry whose property QEMU no longer has.
"""

from __future__ import annotations

from datetime import date

from .. import qomcheck
from ..qomvalues import same_value
from ..resolve import Resolved, expand_driver
from ..versions import Version


class Rules:
    def __init__(self, base: Resolved, new: Resolved, as_of: date, strict: bool = False):
        self.base = base
        self.new = new
        self.as_of = as_of
        self.strict = strict
        self.base_newest = base.corpus.current_release
        self.new_newest = new.corpus.newest_release
        out = [
            version
            for version, release in base.corpus.releases.items()
            if not release.planned and date.fromisoformat(release.date) <= as_of
        ]
        self.released = max(out) if out else None
        self.new_machines = {m.name: m for m in new.corpus.machines if m.name}
        self.base_machines = {m.name: m for m in base.corpus.machines if m.name}
        self._names: dict[tuple[int, str], set[tuple[str, str]]] = {}
        self._declared: dict[int, dict] = {}

    # -- what each tree knows ---------------------------------------------------
    def names(self, resolved: Resolved, target_name: str) -> set[tuple[str, str]]:
        """(driver, property) pairs a tree mentions: compat entries and qom-type
        declarations, with drivers expanded for the target."""
        key = (id(resolved), target_name)
        found = self._names.get(key)
        if found is None:
            target = resolved.targets[target_name].target
            found = {
                (expand_driver(entry.driver, target), entry.property)
                for compat in resolved.corpus.compat_sets.values()
                for entry in compat.entries
            }
            for decl in resolved.corpus.qom_decls:
                for prop in decl.properties:
                    found.add((expand_driver(decl.name, target), prop.name))
            self._names[key] = found
        return found

    @staticmethod
    def lookup(resolved: Resolved, target_name: str, driver: str, prop: str):
        """(registry, QomProperty or None); (None, None) without a registry."""
        registry = qomcheck.registry_for(resolved.corpus, target_name)
        if registry is None:
            return None, None
        return registry, registry.find_property(driver, prop)

    def declared_default(self, resolved: Resolved, raw_driver: str, prop: str):
        """(type, default) a qom-type declaration gives driver.prop, else (None, None)."""
        key = id(resolved)
        table = self._declared.get(key)
        if table is None:
            table = self._declared[key] = qomcheck.declared_defaults(resolved.corpus)
        return table.get((raw_driver, prop), (None, None))

    def is_open(self, version: Version | None) -> bool:
        """A compat set (or machine) of this release pins defaults the base
        has not released yet: release >= the base's newest released release."""
        return version is not None and self.released is not None and version >= self.released

    def presumed(self, severity: str) -> str:
        return "error" if self.strict else severity

    # -- compat entries ---------------------------------------------------------
    def added(self, target: str, prop) -> tuple[str, str]:
        """A machine type now gets prop (a ResolvedProp of the head)."""
        registry, base_found = self.lookup(self.base, target, prop.driver, prop.property)
        if registry is not None:
            if prop.driver not in registry.types:
                return "info", (
                    f"a pin of a type the base does not have ({registry.binary} lacks "
                    f"'{prop.driver}'): keeps old machine types as they were"
                )
            if base_found is None and not registry.subtypes_with_property(
                prop.driver, prop.property
            ):
                if registry.is_listed(prop.driver):
                    return "info", (
                        f"a pin of a property the base does not have ({registry.binary}): "
                        "keeps old machine types as they were"
                    )
        version = prop.compat.version
        if self.is_open(version):
            default = base_found.default if base_found is not None else None
            if default is not None and not same_value(base_found.qom_type, default, prop.value):
                return "error", (
                    f'the base\'s default is "{default}" ({registry.binary}): the pin in '
                    f"{prop.provenance.set_name} changes the released machine type"
                )
            return "info", (
                f"pinned by {prop.provenance.set_name} (release {version} >= {self.released}, "
                "the base's newest released release): keeps the base's default"
            )
        new_registry, found = self.lookup(self.new, target, prop.driver, prop.property)
        if found is not None and found.since and self.base_newest is not None:
            since = Version.parse(found.since)
            if since > self.base_newest:
                return "info", (
                    f"the property was introduced in {since} (QOM registry), after the base's "
                    f"newest release {self.base_newest}: old machines keep the old behaviour"
                )
        if registry is None and (prop.driver, prop.property) not in self.names(self.base, target):
            return self.presumed("info"), (
                "the base tree never sets the property and has no QOM registry: presumed "
                "introduced after the base, pinned for old machines"
            )
        return "error", "the property already existed in the base: the machine type changes"

    def removed(self, target: str, prop) -> tuple[str, str]:
        """A machine type no longer gets prop (a ResolvedProp of the base)."""
        registry, found = self.lookup(self.new, target, prop.driver, prop.property)
        if registry is not None and self.gone(registry, prop.driver, prop.property):
            return "note", "the property no longer exists: the new tree's QOM registry lacks it"
        qom_type, declared = self.declared_default(self.new, prop.entry.driver, prop.property)
        if same_value(qom_type, declared, prop.value):
            return "info", (
                f'the entry set the property\'s declared default "{declared}": it was dead'
            )
        if self.is_open(prop.compat.version) and found is not None:
            if same_value(found.qom_type, found.default, prop.value):
                return "info", (
                    f"{prop.provenance.set_name} is still open and the new default is the "
                    "pinned value again: an unreleased pin withdrawn"
                )
        if registry is None:
            if (prop.driver, prop.property) not in self.names(self.new, target):
                return self.presumed("note"), (
                    "the property no longer exists: the new tree sets it nowhere (and has no "
                    "QOM registry to tell)"
                )
            return "error", (
                "the new tree still sets the property elsewhere, so it exists: the machine "
                "type changes"
            )
        if found is None:
            return "error", (
                f"the property still exists ({registry.binary} has it on a subtype of "
                f"'{prop.driver}', or cannot list the type): the machine type changes"
            )
        default = f' (its default there is "{found.default}")' if found.default else ""
        return "error", (
            f"the property still exists ({registry.binary}{default}): the machine type changes"
        )

    @staticmethod
    def gone(registry, driver: str, prop: str) -> bool:
        """The registry shows prop gone from driver and every subtype."""
        if driver not in registry.types:
            return True
        if any(not registry.is_listed(t) for t in registry.ancestors(driver)):
            return False
        if registry.find_property(driver, prop) is not None:
            return False
        if registry.subtypes_with_property(driver, prop):
            return False
        return all(registry.is_listed(d) for d in registry.descendants(driver))

    # -- options --------------------------------------------------------------------
    def setter_version(self, set_by: str, machines: dict) -> Version | None:
        machine = machines.get(set_by)
        return machine.version if machine is not None else None

    def option(self, name: str, old, new) -> tuple[str, str]:
        """An option's value differs for a released machine type: whatever
        the cause, the machine type changes, except for a pin a machine of
        a release still open adds."""
        if old is None:
            pinned = self.setter_version(new.set_by, self.new_machines)
            if self.is_open(pinned):
                return "info", (
                    f"pinned by {new.set_by} (release {pinned.release} >= {self.released}, "
                    "the base's newest released release): keeps the base's default"
                )
            if name not in self.base.corpus.options:
                return "error", (
                    f"a new option: {new.set_by} gives it to the released machine type; pin "
                    "the old value on the newest released machine of the family"
                )
            return "error", f"the option is now set by {new.set_by}: the machine type changes"
        if new is None:
            if name not in self.new.corpus.options:
                return "error", (
                    "the option is no longer declared, so nothing sets its field: the machine "
                    "type changes"
                )
            return "error", "the option is no longer set: the machine type changes"
        return "error", "value changed: the machine type changes"
