"""What the QOM registries of the two sides say changed, for abi-check.

A property new in the head's registry (on a type the base already had), or
one whose default differs from the base's, changes every released machine
type that does not pin it with a compat entry: QEMU applies the new default
to the old machine type, and a guest migrating from the base sees another
device.  QEMU's answer is a pin in the compat set of the release before the
change (hw_compat_10_0 for a change made in 10.1).  This module finds those
changes, tells whether a machine type pins one, and names the set the pin
belongs in.  A property declared 'not-guest-visible' is exempt.
"""

from __future__ import annotations

from pathlib import Path

from ..records import record
from .. import lifecycle, qomcheck
from ..diagnostics import Location
from ..qomvalues import same_value
from ..versions import Version


@record(frozen=True)
class RegistryChange:
    """driver.property whose behaviour the head's binary changes."""

    driver: str  # the type that introduces or changes the property
    property: str
    qom_type: str
    old: str | None  # the base's default; None when the property is new
    new: str  # the head's default
    introduced: Version | None  # the release making the change
    location: Location  # its declaration, or the head's registry file

    @property
    def is_new(self) -> bool:
        return self.old is None

    @property
    def subject(self) -> str:
        return f"{self.driver}.{self.property}"


def _own_properties(registry, name: str) -> dict:
    return registry.types.entry(name).get("properties", {})


def changes(base, new, target: str, root: Path | None) -> list[RegistryChange]:
    """Every property the head's registry for `target` adds to a type the
    base has, or whose default it changes; [] when either side has none."""
    base_registry = qomcheck.registry_for(base.corpus, target)
    head_registry = qomcheck.registry_for(new.corpus, target)
    if base_registry is None or head_registry is None:
        return []
    exempt = {
        (qomcheck.expand(d.driver, new.corpus.targets.get(target)), d.property)
        for d in new.corpus.guest_invisible
    }
    declared = declared_properties(new, target)
    found: list[RegistryChange] = []
    for name in head_registry.types:
        if name not in base_registry.types:
            continue  # a new type: no machine of the base can have one
        head_entry = head_registry.types.entry(name)
        base_entry = base_registry.types.entry(name)
        if head_entry == base_entry:
            continue
        if not (head_registry.is_listed(name) and base_registry.is_listed(name)):
            continue
        props = set(head_entry.get("properties", {})) | set(base_entry.get("properties", {}))
        for prop in sorted(props):
            if (name, prop) in exempt:
                continue
            change = _change(base_registry, head_registry, name, prop)
            if change is None:
                continue
            old, new_default, qom_type = change
            decl = declared.get((name, prop))
            found.append(
                RegistryChange(
                    driver=name,
                    property=prop,
                    qom_type=qom_type,
                    old=old,
                    new=new_default,
                    introduced=introduced_in(base, new, head_registry, base_registry, decl),
                    location=(
                        decl.location
                        if decl is not None
                        else registry_location(new, target, name, root)
                    ),
                )
            )
    return found


def _change(base_registry, head_registry, name: str, prop: str):
    """(old default or None, new default, type) when name.prop is new or its
    default changed between the registries; None otherwise."""
    head = head_registry.find_property(name, prop)
    if head is None or head.default is None:
        return None  # gone, or no default QEMU reports: nothing to compare
    if name not in (
        head_registry.property_owner(name, prop),
        base_registry.property_owner(name, prop),
    ):
        return None  # inherited on both sides: reported on the type that gives it
    base = base_registry.find_property(name, prop)
    if base is None:
        if base_registry.subtypes_with_property(name, prop):
            return None  # moved up from a subtype: not new to any object
        return None, head.default, head.qom_type
    if base.default is None or same_value(head.qom_type, base.default, head.default):
        return None
    return base.default, head.default, head.qom_type


def declared_properties(resolved, target: str) -> dict:
    """(type, property) -> the qom-type declaration of it, expanded for target."""
    found = {}
    target_obj = resolved.corpus.targets.get(target)
    for decl in resolved.corpus.qom_decls:
        for prop in decl.properties:
            found[(qomcheck.expand(decl.name, target_obj), prop.name)] = prop
    return found


def introduced_in(base, new, head_registry, base_registry, decl) -> Version | None:
    """The release that makes the change: the declaration's 'since', else the
    head registry's release when newer than the base's, else the release in
    development (the newest, planned), else the one after the newest."""
    if decl is not None and decl.since is not None:
        return decl.since.release
    try:
        head_release = Version.parse(head_registry.release or "")
        base_release = Version.parse(base_registry.release or "")
        if head_release.release > base_release.release:
            return head_release.release
    except ValueError:
        pass
    newest = new.corpus.newest_release
    if newest is None:
        return None
    if new.corpus.releases[newest].planned:
        return newest  # the release in development makes it
    return lifecycle.following(sorted(new.corpus.releases), newest)


def registry_location(resolved, target: str, type_name: str, root: Path | None) -> Location:
    """The line of type_name in the head's registry file for target (or in
    the shared file it names), for a change no declaration makes."""
    registry = qomcheck.registry_for(resolved.corpus, target)
    release = getattr(registry, "release", None)
    candidates = [
        f
        for f in resolved.corpus.registry_files
        if f.endswith(f"qemu-{release}-{target}.qom.json")
        or f.endswith(f"qemu-{release}-shared.qom.json")
    ]
    for shown in candidates:
        if root is None:
            break
        try:
            lines = (root / shown).read_text(encoding="utf-8").split("\n")
        except OSError:
            continue
        needle = f'"{type_name}": {{'
        for number, line in enumerate(lines, 1):
            if line.strip().startswith(needle):
                return Location(shown, number, line.index('"') + 1)
    return Location(candidates[0] if candidates else "machines/registry", 0, 0)


class Pins:
    """Whether a machine type's compat properties pin a registry change."""

    def __init__(self, resolved, target: str):
        self.registry = qomcheck.registry_for(resolved.corpus, target)
        self._ancestors: dict[str, frozenset[str]] = {}
        self._subtypes: dict[tuple[str, str], list[str]] = {}

    def ancestors(self, driver: str) -> frozenset[str]:
        found = self._ancestors.get(driver)
        if found is None:
            found = self._ancestors[driver] = frozenset(self.registry.ancestors(driver))
        return found

    def subtypes(self, change: RegistryChange) -> list[str]:
        """The concrete subtypes that get the property from change.driver."""
        key = (change.driver, change.property)
        found = self._subtypes.get(key)
        if found is None:
            found = self._subtypes[key] = [
                d
                for d in self.registry.descendants(change.driver, concrete_only=True)
                if self.registry.property_owner(d, change.property) == change.driver
            ]
        return found

    def pinned(self, change: RegistryChange, keys) -> bool:
        """keys: the (driver, property) pairs the machine type sets on every
        host.  An entry on the type or an ancestor pins it; so do entries
        on every concrete subtype that gets the property from it."""
        prop = change.property
        if any((a, prop) in keys for a in self.ancestors(change.driver)):
            return True
        subtypes = self.subtypes(change)
        return bool(subtypes) and all(
            any((a, prop) in keys for a in self.ancestors(d)) for d in subtypes
        )


def pin_set(new, change: RegistryChange, machines) -> str:
    """The compat set the pin belongs in: hw_compat_X_Y of the release before
    the change, or the family scope (pc_compat_X_Y) when the type exists
    only in the binaries of the families reached."""
    corpus = new.corpus
    introduced = change.introduced or corpus.newest_release
    earlier = [r for r in corpus.releases if introduced is None or r < introduced]
    previous = max(earlier) if earlier else introduced
    if previous is None:
        return "the compat sets of the previous release"
    everywhere = all(
        qomcheck.expand(change.driver, corpus.targets[t]) in registry.types
        for t, registry in corpus.registries.items()
    )
    scope = "hw"
    if not everywhere:
        shared = None
        for family in {machine.family.name for machine in machines}:
            scopes = {
                ref.scope
                for member in corpus.machines
                if member.family == family
                for ref in member.compat
                if ref.version is not None and ref.scope != "hw"
            }
            shared = scopes if shared is None else shared & scopes
        if shared:
            scope = sorted(shared)[0]
    return f"{scope}_compat_{previous.c_suffix}"
