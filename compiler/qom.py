"""The QOM registry: which QEMU object types exist, their properties, and
each property's type and default.

A registry describes one QEMU binary: one target (qemu-system-x86_64, ...) of
one release.  `mtc import-qom` reads it off the binary (or a saved dump) and
writes machines/registry/qemu-X.Y-TARGET.qom.json; every build then checks
each compat entry against the registry of each target it applies to, and
reports use the defaults.  The on-disk form keeps only what checks and
defaults need: per type its parent, abstract flag and the properties it
introduces or changes (name -> QOM type, or [QOM type, default]); one line
per property, so a changed fact is one changed line.  What several targets
share identically lives once in qemu-X.Y-shared.qom.json; a target's file
names the shared types it has ("shared-types") and spells out the rest
(qomfiles.py reads and writes the files).  Types are turned into objects on
first use, which keeps loading cheap.

Defaults: QomProperty.default is the value QEMU reports for a property
(qom-list-properties' "default-value") spelled the way a compat entry would
write it, so the two compare as strings: booleans "on"/"off", integers in
decimal ("4294967295", "-1"), enums and strings as they are ("auto").  It is
None when QEMU reports no default (an instance property, or a list or object
default no property string can express).  qomvalues.same_value() compares a
default with an entry's value ("true" is the same bool as "on").
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

# Property values are parsed by qomvalues; these are re-exported for the
# modules that ask the registry's module about values.

from .records import field, record, replace
from .qomvalues import (  # noqa: F401
    QAPI_ENUMS_7_2,
    STABLE_ENUMS,
    STRUCT_TYPES,
    check_value,
    enum_choices,
    is_on,
    same_value,
    value_kind,
    value_note,
)

# Bump when the on-disk layout changes, so an old file is refused, not
# misread.  Format 1 (one self-contained file, property -> type) still loads.


class QomError(Exception):
    """Bad registry, dump or declaration; the message is fit for the user.
    `file` names the registry file at fault, when there is one."""

    file: str | None = None


@record(frozen=True)
class QomProperty:
    """A property of a QOM type: its QOM type name and default, if known."""

    name: str
    qom_type: str
    since: str | None = None  # a hand declaration's release; None from a binary
    default: str | None = None  # see the module docstring for the spelling


@record
class QomType:
    """A QOM type: its parent, whether abstract, the properties it adds."""

    name: str
    parent: str | None
    abstract: bool
    # Only the properties this type introduces or changes (another type or
    # default); the others live on its ancestors.
    properties: dict[str, QomProperty] = field(default_factory=dict)
    since: str | None = None
    # Why QEMU could not list its properties (it crashed twice doing so);
    # None for a listed type.  Its own properties are then unknown.
    unlistable: str | None = None


# ---- the registry ---------------------------------------------------------


def _property(name: str, value, since: str | None) -> QomProperty:
    """A property from its on-disk form: "type" or ["type", "default"]."""
    if isinstance(value, list):
        return QomProperty(name, value[0], since, value[1])
    return QomProperty(name, value, since)


def _property_json(prop: QomProperty):
    return prop.qom_type if prop.default is None else [prop.qom_type, prop.default]


class _TypeTable(Mapping[str, QomType]):
    """name -> QomType, each built from its JSON entry on first access.

    Building all 1000-odd types up front would cost more than parsing the
    file; most builds look at a few dozen.  Entries may be shared with other
    registries (the shared file): they are read, never changed.
    """

    def __init__(self) -> None:
        self._raw: dict[str, dict] = {}  # validated JSON entries not yet built
        self._built: dict[str, QomType] = {}

    def __getitem__(self, name: str) -> QomType:
        found = self._built.get(name)
        if found is not None:
            return found
        entry = self._raw.pop(name)  # KeyError for unknown names, as a dict would
        since_map = entry.get("properties-since", {})
        qtype = QomType(
            name=name,
            parent=entry["parent"],
            abstract=entry["abstract"],
            properties={
                prop: _property(prop, value, since_map.get(prop))
                for prop, value in entry["properties"].items()
            },
            since=entry.get("since"),
            unlistable=entry.get("unlistable"),
        )
        self._built[name] = qtype
        return qtype

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._raw

    def __iter__(self) -> Iterator[str]:
        yield from list(self._built)
        yield from list(self._raw)

    def __len__(self) -> int:
        return len(self._built) + len(self._raw)

    def parent_of(self, name: str) -> str | None:
        found = self._built.get(name)
        return found.parent if found is not None else self._raw[name]["parent"]

    def is_abstract(self, name: str) -> bool:
        found = self._built.get(name)
        return found.abstract if found is not None else self._raw[name]["abstract"]

    def property(self, name: str, prop: str) -> QomProperty:
        """Property prop that type name owns, without building the type."""
        found = self._built.get(name)
        if found is not None:
            return found.properties[prop]
        entry = self._raw[name]
        return _property(
            prop, entry["properties"][prop], entry.get("properties-since", {}).get(prop)
        )

    def unlistable(self, name: str) -> str | None:
        """Why QEMU could not list the type, without building it."""
        found = self._built.get(name)
        return found.unlistable if found is not None else self._raw[name].get("unlistable")

    def owns(self, name: str, prop: str) -> bool:
        """Whether type name introduces prop, without building the type."""
        found = self._built.get(name)
        if found is not None:
            return prop in found.properties
        return prop in self._raw[name]["properties"]

    def entry(self, name: str) -> dict:
        """The JSON form of one type, without building it."""
        raw = self._raw.get(name)
        if raw is not None:
            return raw
        qtype = self._built[name]
        entry: dict = {
            "abstract": qtype.abstract,
            "parent": qtype.parent,
            "properties": {p.name: _property_json(p) for p in qtype.properties.values()},
        }
        since_map = {p.name: p.since for p in qtype.properties.values() if p.since}
        if since_map:
            entry["properties-since"] = since_map
        if qtype.since:
            entry["since"] = qtype.since
        if qtype.unlistable is not None:
            entry["unlistable"] = qtype.unlistable
        return entry

    def parents(self) -> dict[str, str | None]:
        """name -> parent name for every type, without building any."""
        parents = {name: entry["parent"] for name, entry in self._raw.items()}
        parents.update((name, qtype.parent) for name, qtype in self._built.items())
        return parents

    def put(self, qtype: QomType) -> None:
        self._raw.pop(qtype.name, None)
        self._built[qtype.name] = qtype


class Registry:
    """The QOM types of one binary, plus declarations merged from sources."""

    def __init__(
        self,
        types: Mapping[str, QomType] | None = None,
        release: str | None = None,
        source: dict | None = None,
        target: str | None = None,
    ) -> None:
        self.types: _TypeTable = _TypeTable()
        self.release = release
        self.target = target  # None: a format-1 file, for whichever target uses it
        self.source: dict = dict(source or {})  # where the dump came from
        self._forget_hierarchy()
        for qtype in (types or {}).values():
            self.types.put(qtype)

    def _forget_hierarchy(self) -> None:
        """Empty what is derived from the parent links (a type was added)."""
        self._children: dict[str, list[str]] | None = None
        self._ancestry: dict[str, list[str]] = {}  # type -> ancestors(type)
        self._below: dict[tuple[str, bool], list[str]] = {}  # -> descendants()

    # -- reading and writing --

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Registry":
        """One registry file, with the shared file it names (read beside it)."""
        from .qomfiles import load_files

        registries = load_files([Path(path)], [str(path)], shared_from_disk=True)
        if not registries:
            raise QomError(f"{path}: a shared registry, not one binary's")
        return registries[0]

    @classmethod
    def _from_entries(
        cls,
        entries: dict[str, dict],
        release: str | None,
        source: dict,
        target: str | None = None,
    ) -> "Registry":
        """A registry over validated JSON entries, each built when first used."""
        registry = cls(release=release, source=source, target=target)
        registry.types._raw = entries
        return registry

    def entries(self) -> dict[str, dict]:
        """Every type's JSON entry, sorted by name."""
        return {name: self.types.entry(name) for name in sorted(self.types)}

    def dump(self, shared: Mapping[str, dict] | None = None, shared_file: str = "") -> str:
        """Deterministic JSON text: same registry, same bytes.  Types whose
        entry equals the one in `shared` (read from shared_file) are only
        named."""
        from .qomfiles import FORMAT, render

        entries = self.entries()
        doc: dict = {"format": FORMAT, "release": self.release, "source": self.source}
        if self.target is not None:
            doc["target"] = self.target
        if shared:
            names = [n for n, e in entries.items() if shared.get(n) == e]
            doc["shared"] = shared_file
            doc["shared-types"] = names
            entries = {n: e for n, e in entries.items() if shared.get(n) != e}
        doc["types"] = entries
        return render(doc)

    def check_hierarchy(self, shown: str) -> None:
        """Every parent exists and no type is its own ancestor."""
        parents = self.types.parents()
        done: set[str] = set()
        for name in parents:
            chain: list[str] = []
            seen: set[str] = set()
            current: str | None = name
            while current is not None and current not in done:
                if current in seen:
                    cycle = " -> ".join(chain[chain.index(current) :] + [current])
                    raise QomError(f"{shown}: parent cycle: {cycle}")
                if current not in parents:
                    raise QomError(
                        f"{shown}: type {_q(chain[-1])} has unknown parent {_q(current)}"
                    )
                seen.add(current)
                chain.append(current)
                current = parents[current]
            done.update(chain)

    @property
    def binary(self) -> str:
        """What the registry was read from, for messages: "qemu-system-x86_64 10.0.2"."""
        return str(self.source.get("binary") or self.target or "the QOM registry")

    # -- hierarchy --

    def ancestors(self, type_name: str) -> list[str]:
        """type_name, its parent, ... up to the root; [] for an unknown type."""
        found = self._ancestry.get(type_name)
        if found is not None:
            return found
        chain: list[str] = []
        current: str | None = type_name
        while current is not None and current in self.types:
            if current in chain:  # only a hand-built registry can get here
                raise QomError(f"parent cycle at QOM type {_q(current)}")
            chain.append(current)
            current = self.types.parent_of(current)
        self._ancestry[type_name] = chain
        return chain

    def is_subtype(self, type_name: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(type_name)

    def descendants(self, type_name: str, concrete_only: bool = False) -> list[str]:
        """All types below type_name (not itself), sorted."""
        key = (type_name, concrete_only)
        cached = self._below.get(key)
        if cached is not None:
            return cached
        children = self._child_index()
        found: list[str] = []
        pending = list(children.get(type_name, ()))
        while pending:
            name = pending.pop()
            found.append(name)
            pending.extend(children.get(name, ()))
        if concrete_only:
            found = [n for n in found if not self.types.is_abstract(n)]
        found.sort()
        self._below[key] = found
        return found

    def _child_index(self) -> dict[str, list[str]]:
        if self._children is None:
            children: dict[str, list[str]] = {}
            for name, parent in self.types.parents().items():
                if parent is not None:
                    children.setdefault(parent, []).append(name)
            self._children = children
        return self._children

    # -- properties --

    def find_property(self, type_name: str, prop: str) -> QomProperty | None:
        """prop as seen on type_name: its own or the nearest ancestor's."""
        owner = self.property_owner(type_name, prop)
        return None if owner is None else self.types.property(owner, prop)

    def property_owner(self, type_name: str, prop: str) -> str | None:
        """The type (type_name or the nearest ancestor) that gives prop."""
        for name in self.ancestors(type_name):
            if self.types.owns(name, prop):
                return name
        return None

    def default_of(self, type_name: str, prop: str) -> str | None:
        """The default of prop on type_name, None when unknown or none."""
        found = self.find_property(type_name, prop)
        return None if found is None else found.default

    def is_listed(self, type_name: str) -> bool:
        """False when QEMU could not list the type's properties: any property
        may then exist on it."""
        return type_name in self.types and self.types.unlistable(type_name) is None

    def properties_of(self, type_name: str) -> dict[str, QomProperty]:
        """Every property an instance of type_name has, own and inherited."""
        merged: dict[str, QomProperty] = {}
        for name in reversed(self.ancestors(type_name)):
            merged.update(self.types[name].properties)
        return merged

    def subtypes_with_property(self, type_name: str, prop: str) -> list[str]:
        """Descendants of type_name that introduce prop themselves, sorted.

        QEMU lists only class properties for an abstract type, so a property
        added per instance (or by one subclass) shows up here and not in
        find_property(type_name, prop).
        """
        return [name for name in self.descendants(type_name) if self.types.owns(name, prop)]

    def subtypes_without_property(self, type_name: str, prop: str) -> list[str]:
        """Concrete descendants that lack prop altogether, sorted.

        A non-optional compat entry on an abstract driver fails when QEMU
        creates one of these.
        """
        return [
            name
            for name in self.descendants(type_name, concrete_only=True)
            if self.property_owner(name, prop) is None and self.is_listed(name)
        ]

    # -- merging declarations made in the sources --

    def add_type(
        self,
        name: str,
        parent: str | None,
        abstract: bool = False,
        since: str | None = None,
    ) -> QomType:
        """Declare a type the binary does not show; the same again is a no-op."""
        if not isinstance(name, str) or not name:
            raise QomError("a QOM type name must be a non-empty string")
        if name in self.types:
            existing = self.types[name]
            if existing.parent != parent or existing.abstract != abstract:
                raise QomError(
                    f"QOM type {_q(name)} already exists with parent "
                    f"{_q(existing.parent)}{' (abstract)' if existing.abstract else ''}"
                )
            return existing
        if parent is not None and parent not in self.types:
            raise QomError(f"parent {_q(parent)} of QOM type {_q(name)} is not known")
        qtype = QomType(name, parent, abstract, {}, since)
        self.types.put(qtype)
        self._forget_hierarchy()
        return qtype

    def add_property(
        self,
        type_name: str,
        name: str,
        qom_type: str,
        since: str | None = None,
        default: str | None = None,
    ) -> QomProperty:
        """Declare a property the binary does not show.  Declaring one it
        has, with the same type, only adds what the binary cannot tell: the
        release it appeared in (since), a default it does not report -- or,
        with a since newer than the binary's release, the default the next
        release changes it to (QEMU 10.1's scsi-hd.dpofua = "on", declared
        before there is a 10.1 binary to import)."""
        if type_name not in self.types:
            raise QomError(f"unknown QOM type {_q(type_name)}")
        owner = self.property_owner(type_name, name)
        if owner is not None:
            existing = self.types[owner].properties[name]
            if existing.qom_type != qom_type:
                raise QomError(
                    f"{type_name}.{name} already exists with type "
                    f"{existing.qom_type} (on {_q(owner)})"
                )
            changes = since is not None and _newer(since, self.release)
            if default is not None and existing.default is not None and not changes:
                if not same_value(qom_type, default, existing.default):
                    raise QomError(
                        f"{type_name}.{name} defaults to {_q(existing.default)} in "
                        f"{self.binary}, not {_q(default)}"
                    )
            added = {}
            if since and not existing.since and not changes:
                added["since"] = since
            if default is not None and (existing.default is None or changes):
                added["default"] = default
            if added:
                existing = replace(existing, **added)
                self.types[owner].properties[name] = existing
            return existing
        prop = QomProperty(name, qom_type, since, default)
        self.types[type_name].properties[name] = prop
        return prop

    # -- "did you mean" --

    # Full searches for unknown names, of types and of properties, before
    # only near ones are suggested (Suggester): enough for any typo, bounded
    # for any input.
    SUGGEST_SCANS = 100

    def _suggester(self, key, candidates) -> Suggester:
        """The Suggester of the types (key None) or of one type's properties,
        made again if a declaration has added to them since."""
        cache = self.__dict__.setdefault("_suggesters", {})
        budgets = self.__dict__.setdefault(
            "_suggest_budgets", (ScanBudget(self.SUGGEST_SCANS), ScanBudget(self.SUGGEST_SCANS))
        )
        found = cache.get(key)
        if found is None or found[0] != len(candidates):
            budget = budgets[0] if key is None else budgets[1]
            found = cache[key] = (len(candidates), Suggester(candidates, budget))
        return found[1]

    def suggest_types(self, name: str, limit: int = 3) -> list[str]:
        return self._suggester(None, self.types).suggest(name, limit)

    def suggest_properties(self, type_name: str, prop: str, limit: int = 3) -> list[str]:
        candidates = list(self.properties_of(type_name))
        return self._suggester(type_name, candidates).suggest(prop, limit)


def _newer(release: str, than: str | None) -> bool:
    """Whether release X.Y comes after `than` (None: the registry says not)."""
    if than is None:
        return False
    try:
        return tuple(map(int, release.split("."))) > tuple(map(int, than.split(".")))
    except ValueError:
        return False


def _q(value: object) -> str:
    """A name or value quoted for a message: "virtio-net-pci", null."""
    return json.dumps(value, default=repr)


# ---- "did you mean" ---------------------------------------------------------


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of a and b, or limit + 1 if it is larger.

    Only cells within `limit` of the diagonal can stay within the limit, so
    each row computes just that band and gives up once the whole band is over.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    over = limit + 1
    prev = [j if j <= limit else over for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        cur = [over] * (len(b) + 1)
        cur[0] = i if i <= limit else over
        row_min = cur[0]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cost = prev[j - 1] + (ca != b[j - 1])
            if prev[j] + 1 < cost:
                cost = prev[j] + 1
            if cur[j - 1] + 1 < cost:
                cost = cur[j - 1] + 1
            cur[j] = min(cost, over)
            row_min = min(row_min, cur[j])
        if row_min > limit:
            return over
        prev = cur
    return prev[len(b)]


def suggest(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to `limit` candidates closest to name, nearest first; case is ignored."""
    return Suggester(candidates).suggest(name, limit)


_LETTER_BITS = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz0123456789-_.")}


def _letter_mask(folded: str) -> int:
    mask = 0
    for char in set(folded):
        mask |= 1 << _LETTER_BITS.get(char, 39)
    return mask


class Suggester:
    """suggest() over a fixed list of candidates, with what every query
    needs about them computed once.

    A query scans the candidates of a similar length, each first through
    two cheap lower bounds of the edit distance (letters one has and the
    other lacks: as a set, then counted), then the distance itself.  Once
    `scans` queries have scanned, later ones only look up candidates within
    one edit in an index of single deletions: thousands of unknown names
    (the wrong registry, a generated input) then cost time linear in their
    number, and a typo still finds its type."""

    def __init__(self, candidates: Iterable[str], scans: "ScanBudget | None" = None):
        self.by_length: dict[int, list] = {}
        self.budget = scans
        self._deletions: dict[str, list[str]] | None = None
        self._memo: dict[tuple[str, int], list[str]] = {}
        for cand in candidates:
            low = cand.lower()
            self.by_length.setdefault(len(low), []).append(
                (_letter_mask(low), Counter(low), low, cand)
            )

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        key = (name, limit)
        found = self._memo.get(key)
        if found is None:
            if self.budget is None or self.budget.take():
                found = self._scan(name, limit)
            else:
                found = self._near(name, limit)
            self._memo[key] = found
        return list(found)

    def _scan(self, name: str, limit: int) -> list[str]:
        folded = name.lower()
        cutoff = max(2, len(folded) // 3)
        mask = _letter_mask(folded)
        letters = Counter(folded)
        scored = []
        for length in range(max(0, len(folded) - cutoff), len(folded) + cutoff + 1):
            for their_mask, theirs, low, cand in self.by_length.get(length, ()):
                if cand == name:
                    continue
                # Each edit fixes at most one surplus letter on either side.
                if (mask & ~their_mask).bit_count() > cutoff:
                    continue
                if (their_mask & ~mask).bit_count() > cutoff:
                    continue
                if max((letters - theirs).total(), (theirs - letters).total()) > cutoff:
                    continue
                dist = edit_distance(folded, low, cutoff)
                # Replacing every character is not a typo ("rx" for "tx").
                if dist <= cutoff and dist < max(len(name), len(cand)):
                    scored.append((dist, cand))
        return [cand for _, cand in sorted(scored)[:limit]]

    def _near(self, name: str, limit: int) -> list[str]:
        """The candidates within one edit of name (a deletion of one
        character from each, or from neither, meets)."""
        if self._deletions is None:
            self._deletions = {}
            for bucket in self.by_length.values():
                for _, _, low, cand in bucket:
                    for variant in _single_deletions(low):
                        self._deletions.setdefault(variant, []).append(cand)
        folded = name.lower()
        scored = set()
        for variant in _single_deletions(folded):
            for cand in self._deletions.get(variant, ()):
                if cand != name:
                    dist = edit_distance(folded, cand.lower(), 1)
                    if dist <= 1 and dist < max(len(name), len(cand)):
                        scored.add((dist, cand))
        return [cand for _, cand in sorted(scored)[:limit]]


class ScanBudget:
    """How many full searches the Suggesters sharing it may still make."""

    def __init__(self, scans: int):
        self.left = scans

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _single_deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1 :] for i in range(len(text))}
