"""The QOM registry: which QEMU object types exist and what properties they have.

A registry is imported once from a QEMU dump (``mtc import-qom``) and then read
on every build, so the on-disk form keeps only what the checks need (type name,
parent, abstract flag, property name -> QOM type string) and lists each
property only on the type that introduces it.  Types are turned into objects
on first use, which keeps loading cheap.

Also here: how QEMU parses a property value given as a string (the way compat
entries and -global reach it), so a checker can reject ``"maybe"`` for a bool.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Bump when the on-disk layout changes, so an old file is refused, not misread.
FORMAT = 1
DEFAULT_ARCH = "x86_64"


class QomError(Exception):
    """Bad registry, dump or declaration; the message is fit for the user."""


@dataclass(frozen=True)
class QomProperty:
    name: str
    qom_type: str
    since: str | None = None  # None: present in the release the dump came from


@dataclass
class QomType:
    name: str
    parent: str | None
    abstract: bool
    # Only the properties this type introduces; inherited ones live on ancestors.
    properties: dict[str, QomProperty] = field(default_factory=dict)
    since: str | None = None


# ---- the registry ---------------------------------------------------------


class _TypeTable(Mapping[str, QomType]):
    """name -> QomType, each built from its JSON entry on first access.

    Building all 700-odd types up front would cost more than parsing the file;
    most builds look at a few dozen.
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
                prop: QomProperty(prop, qom_type, since_map.get(prop))
                for prop, qom_type in entry["properties"].items()
            },
            since=entry.get("since"),
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
            "properties": {p.name: p.qom_type for p in qtype.properties.values()},
        }
        since_map = {p.name: p.since for p in qtype.properties.values() if p.since}
        if since_map:
            entry["properties-since"] = since_map
        if qtype.since:
            entry["since"] = qtype.since
        return entry

    def put(self, qtype: QomType) -> None:
        self._raw.pop(qtype.name, None)
        self._built[qtype.name] = qtype


class Registry:
    """QOM types of one QEMU release, plus declarations merged from sources."""

    def __init__(
        self,
        types: Mapping[str, QomType] | None = None,
        release: str | None = None,
        source: dict | None = None,
    ) -> None:
        self.types: _TypeTable = _TypeTable()
        self.release = release
        self.source: dict = dict(source or {})  # where the dump came from
        self._children: dict[str, list[str]] | None = None
        for qtype in (types or {}).values():
            self.types.put(qtype)

    # -- reading and writing --

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Registry":
        shown = str(path)
        data = _read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
            raise QomError(f'{shown}: not a QOM registry (no "types" object)')
        if data.get("format") != FORMAT:
            raise QomError(
                f"{shown}: registry format {_q(data.get('format'))} is not {FORMAT}; "
                "re-create it with 'mtc import-qom'"
            )
        release = data.get("release")
        source = data.get("source", {})
        if release is not None and not isinstance(release, str):
            raise QomError(f'{shown}: "release" must be a string')
        if not isinstance(source, dict):
            raise QomError(f'{shown}: "source" must be an object')
        for name, entry in data["types"].items():
            _check_registry_entry(shown, name, entry)
        registry = cls._from_entries(data["types"], release, source)
        registry._check_hierarchy(shown)
        return registry

    @classmethod
    def _from_entries(cls, entries: dict[str, dict], release: str | None, source: dict) -> Registry:
        """A registry over validated JSON entries, each built when first used."""
        registry = cls(release=release, source=source)
        registry.types._raw = entries
        return registry

    def dump(self) -> str:
        """Deterministic JSON text: same registry, same bytes."""
        doc = {
            "format": FORMAT,
            "release": self.release,
            "source": self.source,
            "types": {name: self.types.entry(name) for name in sorted(self.types)},
        }
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=True) + "\n"

    def _check_hierarchy(self, shown: str) -> None:
        """Every parent exists and no type is its own ancestor."""
        done: set[str] = set()
        for name in self.types:
            chain: list[str] = []
            seen: set[str] = set()
            current: str | None = name
            while current is not None and current not in done:
                if current in seen:
                    cycle = " -> ".join(chain[chain.index(current) :] + [current])
                    raise QomError(f"{shown}: parent cycle: {cycle}")
                if current not in self.types:
                    raise QomError(
                        f"{shown}: type {_q(chain[-1])} has unknown parent {_q(current)}"
                    )
                seen.add(current)
                chain.append(current)
                current = self.types.parent_of(current)
            done.update(chain)

    # -- hierarchy --

    def ancestors(self, type_name: str) -> list[str]:
        """type_name, its parent, ... up to the root; [] for an unknown type."""
        chain: list[str] = []
        current: str | None = type_name
        while current is not None and current in self.types:
            if current in chain:  # only a hand-built registry can get here
                raise QomError(f"parent cycle at QOM type {_q(current)}")
            chain.append(current)
            current = self.types.parent_of(current)
        return chain

    def is_subtype(self, type_name: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(type_name)

    def descendants(self, type_name: str, concrete_only: bool = False) -> list[str]:
        """All types below type_name (not itself), sorted."""
        found: list[str] = []
        pending = list(self._child_index().get(type_name, ()))
        while pending:
            name = pending.pop()
            found.append(name)
            pending.extend(self._child_index().get(name, ()))
        if concrete_only:
            found = [n for n in found if not self.types.is_abstract(n)]
        return sorted(found)

    def _child_index(self) -> dict[str, list[str]]:
        if self._children is None:
            children: dict[str, list[str]] = {}
            for name in self.types:
                parent = self.types.parent_of(name)
                if parent is not None:
                    children.setdefault(parent, []).append(name)
            self._children = children
        return self._children

    # -- properties --

    def find_property(self, type_name: str, prop: str) -> QomProperty | None:
        """prop as seen on type_name: its own or the nearest ancestor's."""
        owner = self.property_owner(type_name, prop)
        return None if owner is None else self.types[owner].properties[prop]

    def property_owner(self, type_name: str, prop: str) -> str | None:
        """The type (type_name or an ancestor) that introduces prop."""
        for name in self.ancestors(type_name):
            if prop in self.types[name].properties:
                return name
        return None

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
            if self.property_owner(name, prop) is None
        ]

    # -- merging declarations made in the sources --

    def add_type(
        self,
        name: str,
        parent: str | None,
        abstract: bool = False,
        since: str | None = None,
    ) -> QomType:
        """Declare a type newer than the dump; re-declaring the same is a no-op."""
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
        self._children = None
        return qtype

    def add_property(
        self, type_name: str, name: str, qom_type: str, since: str | None = None
    ) -> QomProperty:
        """Declare a property newer than the dump; the same again is a no-op."""
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
            return existing
        prop = QomProperty(name, qom_type, since)
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


def _check_registry_entry(shown: str, name: str, entry: object) -> None:
    where = f"{shown}: type {json.dumps(name)}"
    if not isinstance(entry, dict):
        raise QomError(f"{where}: must be an object")
    if not isinstance(entry.get("abstract"), bool):
        raise QomError(f'{where}: "abstract" must be true or false')
    parent = entry.get("parent", 0)
    if parent is not None and not isinstance(parent, str):
        raise QomError(f'{where}: "parent" must be a type name or null')
    for key in ("properties", "properties-since"):
        table = entry.get(key, {} if key == "properties-since" else None)
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise QomError(f'{where}: "{key}" must map names to strings')
    if not isinstance(entry.get("since", ""), str):
        raise QomError(f'{where}: "since" must be a string')


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


# ---- property values --------------------------------------------------------

# Enums whose values have never changed; other QAPI enums gain values over
# time, so they are checked only against a list the caller passes in.
STABLE_ENUMS: dict[str, list[str]] = {
    "OnOffAuto": ["auto", "on", "off"],
    "OnOffSplit": ["on", "off", "split"],
}

# The other enums in the 7.2 dump, as QEMU 7.2's QAPI schema defines them; pass
# as enum_values when checking against 7.2.  (MultiFDCompression's zstd exists
# only in builds with zstd.)  FdcDriveType is QAPI's FloppyDriveType.
QAPI_ENUMS_7_2: dict[str, list[str]] = {
    "BiosAtaTranslation": ["auto", "none", "lba", "large", "rechs"],
    "BlockdevOnError": ["report", "ignore", "enospc", "stop", "auto"],
    "FdcDriveType": ["144", "288", "120", "none", "auto"],
    "GrabToggleKeys": [
        "ctrl-ctrl",
        "alt-alt",
        "shift-shift",
        "meta-meta",
        "scrolllock",
        "ctrl-scrolllock",
    ],
    "HostMemPolicy": ["default", "preferred", "bind", "interleave"],
    "LostTickPolicy": ["discard", "delay", "slew"],
    "MultiFDCompression": ["none", "zlib", "zstd"],
    "NetFilterDirection": ["all", "rx", "tx"],
    "NotifyVMexitOption": ["run", "internal-error", "disable"],
    "OffAutoPCIBAR": ["off", "auto", "bar0", "bar1", "bar2", "bar3", "bar4", "bar5"],
    "PCIELinkSpeed": ["2_5", "5", "8", "16"],
    "PCIELinkWidth": ["1", "2", "4", "8", "12", "16", "32"],
    "QAuthZListPolicy": ["deny", "allow"],
    "QCryptoSecretFormat": ["raw", "base64"],
    "QCryptoTLSCredsEndpoint": ["client", "server"],
}

# Struct- and list-typed properties in the dump.  QEMU parses property strings
# with its string input visitor, which has no way to build a struct or a list
# of strings, so these can never be set this way (most are read-only anyway).
STRUCT_TYPES = frozenset(
    {
        "BootConfiguration",
        "CXLFixedMemoryWindow",
        "GuestPanicInformation",
        "MemorySizeConfiguration",
        "QAuthZListRule",
        "SMPConfiguration",
        "SgxEPC",
        "SocketAddress",
        "ThrottleLimits",
        "X86CPUFeatureWordInfo",
        "guest statistics",  # virtio-balloon's read-only guest-stats
    }
)

_TRUE = ("on", "yes", "true")
_FALSE = ("off", "no", "false")
_INT_TYPE = r"(u?)int(\d+)?(?:_t)?\Z"  # int, uint8, int32_t, uint4
_ENUM_NAME = r"[A-Z][A-Za-z0-9]*\Z"
# strtoll with base 0, as QEMU uses: 0x hex, a leading 0 means octal.
_C_INTEGER = r"([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z"
# qemu_strtosz: decimal (with an optional fraction) or hex, then one suffix.
_SIZE = r"(?:0[xX]([0-9a-fA-F]+)|([0-9]+)(\.[0-9]*)?)([bkmgtpeBKMGTPE]?)\Z"
_SIZE_UNITS = "bkmgtpe"
_UUID = r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z"
_FLOAT = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z"


def value_kind(qom_type: str) -> str:
    """How values of qom_type are parsed: bool, int, size, number, str, uuid,
    enum, link, child, struct or unknown (anything accepted)."""
    if qom_type == "bool":
        return "bool"
    if re.match(_INT_TYPE, qom_type):
        return "int"
    if qom_type in ("size", "number"):
        return qom_type
    if qom_type in ("str", "string"):
        return "str"
    if qom_type == "QemuUUID":
        return "uuid"
    if qom_type.startswith("link<") and qom_type.endswith(">"):
        return "link"
    if qom_type.startswith("child<") and qom_type.endswith(">"):
        return "child"
    if qom_type in STRUCT_TYPES or qom_type.endswith("List"):
        return "struct"
    if "|" in qom_type or re.match(_ENUM_NAME, qom_type):
        return "enum"  # "on|off|split" spells its values out
    return "unknown"


def enum_choices(
    qom_type: str, enum_values: Mapping[str, list[str]] | None = None
) -> list[str] | None:
    """The accepted values of an enum type, None when not known."""
    if enum_values and qom_type in enum_values:
        return list(enum_values[qom_type])
    if qom_type in STABLE_ENUMS:
        return STABLE_ENUMS[qom_type]
    if "|" in qom_type:
        return qom_type.split("|")
    return None


def check_value(
    qom_type: str, value: str, enum_values: Mapping[str, list[str]] | None = None
) -> str | None:
    """None if QEMU would accept value for a qom_type property, else why not."""
    if not isinstance(value, str):
        return f"expected a string value for {qom_type}, got {_q(value)}"
    kind = value_kind(qom_type)
    if kind == "bool":
        if value in _TRUE or value in _FALSE:
            return None
        return _expected("bool (on/off/true/false/yes/no)", value)
    if kind == "int":
        return _check_int(qom_type, value)
    if kind == "size":
        return _check_size(value)
    if kind == "number":
        return None if re.match(_FLOAT, value) else _expected("number", value)
    if kind == "uuid":
        if re.match(_UUID, value):
            return None
        return _expected("QemuUUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", value)
    if kind == "enum":
        choices = enum_choices(qom_type, enum_values)
        if choices is None or value in choices:
            return None
        return _expected(f"{qom_type} ({'/'.join(choices)})", value)
    if kind == "child":
        return f"{qom_type} properties are read-only: QEMU cannot set them"
    if kind == "struct":
        return f"{qom_type} is a structured type: QEMU cannot parse it from a property string"
    return None  # str, link<...> (an object path, see value_note) and unknown


def value_note(qom_type: str) -> str | None:
    """A caveat worth a note even when check_value accepts the value."""
    kind = value_kind(qom_type)
    if kind == "link":
        return (
            f"{qom_type} properties take an object path, resolved only "
            "when the object is created"
        )
    if kind == "unknown":
        return f"QOM type {_q(qom_type)} is not known to mtc; its value is not checked"
    return None


def is_on(qom_type: str, value: str) -> bool | None:
    """True/False for a value that switches a feature on/off, else None.

    "auto" and non-boolean types give None: the outcome is not known here.
    """
    kind = value_kind(qom_type)
    if kind in ("bool", "unknown"):
        return True if value in _TRUE else False if value in _FALSE else None
    if kind == "enum" and {"on", "off"} <= set(enum_choices(qom_type) or ()):
        return {"on": True, "off": False}.get(value)
    return None


def _expected(what: str, value: str, why: str = "") -> str:
    return f"expected {what}, got {json.dumps(value)}" + (f": {why}" if why else "")


def _check_int(qom_type: str, value: str) -> str | None:
    unsigned, bits = re.match(_INT_TYPE, qom_type).groups()  # type: ignore[union-attr]
    width = int(bits) if bits else 64  # QOM "int" is int64
    name = f"{'u' if unsigned else ''}int{width}"
    match = re.match(_C_INTEGER, value)
    if match is None:
        if re.fullmatch(r"[+-]?0[0-9]+", value):
            return _expected(name, value, "a leading 0 makes QEMU read octal")
        return _expected(name, value)
    sign, digits = match.groups()
    if len(digits.lstrip("0xX")) > 40:  # beyond any int64: never hand int() 5,000 digits
        return _expected(name, value, "out of range")
    number = int(digits, 0 if digits[:2].lower() == "0x" else 8 if digits[:1] == "0" else 10)
    if sign == "-":
        number = -number
    low, high = (0, 2**width - 1) if unsigned else (-(2 ** (width - 1)), 2 ** (width - 1) - 1)
    if unsigned and sign == "-":
        return _expected(name, value, "negative")
    if not low <= number <= high:
        return _expected(name, value, f"out of range {low}..{high}")
    return None


def _check_size(value: str) -> str | None:
    from fractions import Fraction  # only here: it costs a few ms to import

    what = "size (bytes, optionally with a B/K/M/G/T/P/E suffix)"
    match = re.match(_SIZE, value)
    if match is None:
        return _expected(what, value)
    hex_digits, whole, fraction, suffix = match.groups()
    if len((hex_digits or whole or "").lstrip("0")) > 40:
        return _expected(what, value, "larger than 16E")  # and int() would refuse it
    fraction = fraction[:41] if fraction else fraction  # digits past these change nothing
    if hex_digits is not None:
        if suffix:
            return _expected(what, value, "hex with a suffix (deprecated in 7.2, gone in 8.0)")
        number = Fraction(int(hex_digits, 16))
    else:
        scale = 1024 ** _SIZE_UNITS.index(suffix.lower()) if suffix else 1
        if fraction and scale == 1:
            return _expected(what, value, "a fraction needs a K/M/G/T/P/E suffix")
        number = (Fraction(whole) + Fraction("0" + (fraction or "."))) * scale
    if int(number + Fraction(1, 2)) > 2**64 - 1:  # QEMU rounds half up
        return _expected(what, value, "larger than 16E")
    return None


# ---- importing a QEMU dump -------------------------------------------------


def import_dump(dump_path: str | os.PathLike, release: str | None) -> Registry:
    """A registry from a qom-list-types/qom-list-properties dump.

    QEMU reports every property a type has, inherited ones included; only the
    ones a type introduces are kept, which makes the registry ~9x smaller.
    """
    shown = str(dump_path)
    data = _read_json(dump_path)
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise QomError(f'{shown}: not a QOM dump (no "types" object)')
    source = data.get("source", {})
    if not isinstance(source, dict):
        raise QomError(f'{shown}: "source" must be an object')
    if release is None:
        release = release_from_source(source)
        if release is None:
            raise QomError(
                f"{shown}: cannot tell the QEMU release from source.binary; pass --release X.Y"
            )
    elif not re.fullmatch(r"\d+\.\d+", release):
        raise QomError(f"release must look like X.Y, got {json.dumps(release)}")

    listed: dict[str, dict[str, str]] = {}
    parents: dict[str, str | None] = {}
    abstract: dict[str, bool] = {}
    for name, entry in data["types"].items():
        parents[name], abstract[name], listed[name] = _dump_entry(shown, name, entry)

    raw: dict[str, dict] = {}
    for name in parents:
        inherited: dict[str, str] = {}
        for ancestor in reversed(_dump_ancestors(shown, name, parents)[1:]):
            inherited.update(listed[ancestor])
        own = {p: t for p, t in listed[name].items() if inherited.get(p) != t}
        raw[name] = {"abstract": abstract[name], "parent": parents[name], "properties": own}
    return Registry._from_entries(raw, release, source)


def release_from_source(source: dict) -> str | None:
    """The X.Y of source.binary: "qemu-system-x86_64 7.2.22 (Debian ...)" -> "7.2"."""
    match = re.match(r"\s*qemu-system-\S+\s+(\d+)\.(\d+)\b", str(source.get("binary", "")))
    return f"{match.group(1)}.{match.group(2)}" if match else None


def arch_from_source(source: dict) -> str:
    match = re.match(r"\s*qemu-system-(\S+)", str(source.get("binary", "")))
    return match.group(1) if match else DEFAULT_ARCH


def _dump_entry(shown: str, name: str, entry: object) -> tuple[str | None, bool, dict[str, str]]:
    where = f"{shown}: types[{json.dumps(name)}]"
    if not isinstance(entry, dict):
        raise QomError(f"{where}: must be an object")
    parent, is_abstract, props = (
        entry.get("parent", 0),
        entry.get("abstract"),
        entry.get("properties"),
    )
    if "parent" not in entry:
        raise QomError(f'{where}: has no "parent"')
    if parent is not None and not isinstance(parent, str):
        raise QomError(f"{where}.parent: must be a type name or null")
    if not isinstance(is_abstract, bool):
        raise QomError(f"{where}.abstract: must be true or false")
    if not isinstance(props, dict):
        raise QomError(f"{where}.properties: must be an object")
    types: dict[str, str] = {}
    for prop, info in props.items():
        qom_type = info.get("type") if isinstance(info, dict) else None
        if not isinstance(qom_type, str) or not qom_type:
            raise QomError(f'{where}.properties[{json.dumps(prop)}]: needs a string "type"')
        types[prop] = qom_type
    return parent, is_abstract, types


def _dump_ancestors(shown: str, name: str, parents: dict[str, str | None]) -> list[str]:
    chain = [name]
    while (parent := parents[chain[-1]]) is not None:
        if parent not in parents:
            raise QomError(f"{shown}: type {_q(chain[-1])} has unknown parent {_q(parent)}")
        if parent in chain:
            raise QomError(f"{shown}: parent cycle: {' -> '.join(chain + [parent])}")
        chain.append(parent)
    return chain


def _read_json(path: str | os.PathLike) -> object:
    """Parsed JSON, or a QomError saying in one line what is wrong."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise QomError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if b"\0" in data[:8192]:
        raise QomError(f"{shown}: binary file, expected JSON")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise QomError(
            f"{shown}:{line}:{column}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x})"
        ) from None
    if not text.strip():
        raise QomError(f"{shown}: empty file, expected JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QomError(f"{shown}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # huge numbers, deep nesting
        raise QomError(f"{shown}: not usable JSON: {exc}") from None


def write_if_changed(path: str | os.PathLike, text: str) -> bool:
    """Atomically replace path with text unless it already holds it."""
    from .files import write_if_changed as write_bytes_if_changed

    return write_bytes_if_changed(path, text.encode("utf-8"))


def main_import_qom(argv: list[str], root: Path | None = None) -> int:
    """mtc import-qom DUMP.json [--release X.Y] [-o OUT] [--check]

    The default OUT is below `root` (the project root), else the working
    directory."""
    import argparse  # not needed by builds, which only load registries

    parser = argparse.ArgumentParser(
        prog="mtc import-qom",
        description="Turn a QEMU QOM dump into a registry under machines/registry/.",
    )
    parser.add_argument("dump", metavar="DUMP.json")
    parser.add_argument("--release", metavar="X.Y", help="default: from the dump")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="default: machines/registry/qemu-<release>-<arch>.qom.json",
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether OUT is up to date"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        registry = import_dump(args.dump, args.release)
        out = args.output or str(
            (root or Path("."))
            / "machines"
            / "registry"
            / f"qemu-{registry.release}-{arch_from_source(registry.source)}.qom.json"
        )
        text = registry.dump()
        if args.check:
            try:
                current = Path(out).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current != text:
                print(f"error: {out} is not what {args.dump} imports to", file=sys.stderr)
                return 1
            return 0
        try:
            changed = write_if_changed(out, text)
        except OSError as exc:
            raise QomError(f"cannot write {out}: {exc.strerror or exc}") from None
    except QomError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    props = sum(len(registry.types.entry(n)["properties"]) for n in registry.types)
    state = "wrote" if changed else "unchanged"
    print(f"{state} {out} ({len(registry.types)} types, {props} properties)")
    return 0


def _q(value: object) -> str:
    """A name or value quoted for a message: "virtio-net-pci", null."""
    return json.dumps(value, default=repr)


def _one_line(message: str) -> str:
    return " ".join(message.split("\n"))
