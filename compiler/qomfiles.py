"""The QOM registry files: machines/registry/qemu-X.Y-TARGET.qom.json.

Format 2 (what `mtc import-qom` writes; format 1, one self-contained file
of "property": "type", still loads):

    {"format": 2, "release": "10.0", "target": "x86_64",
     "source": {"binary": "qemu-system-x86_64 10.0.2 (Debian ...)", "how": "..."},
     "shared": "qemu-10.0-shared.qom.json",     # optional
     "shared-types": ["device", "object", ...],  # entries taken from it
     "types": {"virtio-net-device": {"abstract": false, "parent": "virtio-device",
                                     "properties": {"mq": ["bool", "off"], "mac": "str"},
                                     "unlistable": "why"}}}       # optional

A shared file has "shared-by" (the targets that use it) instead of "target".
Everything is sorted and a property's [type, default] stays on its line, so
a changed fact is one changed line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from .qom import QomError, Registry, _q

FORMAT = 2
READABLE_FORMATS = (1, 2)
SUFFIX = ".qom.json"


def registry_name(release: str, target: str) -> str:
    return f"qemu-{release}-{target}{SUFFIX}"


def shared_name(release: str) -> str:
    return f"qemu-{release}-shared{SUFFIX}"


def load_directory(directory: str | os.PathLike) -> dict[str, Registry]:
    """target -> registry of every *.qom.json in directory (newest release per
    target), without compiling anything: what a revision's registries say."""
    paths = sorted(Path(directory).glob(f"*{SUFFIX}"))
    return by_target(load_files(paths, [p.name for p in paths]))


def by_target(registries: Iterable[Registry]) -> dict[str, Registry]:
    """The newest registry of each target; format-1 files (no target) are left out."""
    chosen: dict[str, Registry] = {}
    for registry in registries:
        if registry.target is None:
            continue
        old = chosen.get(registry.target)
        if old is None or _release_key(registry.release) > _release_key(old.release):
            chosen[registry.target] = registry
    return dict(sorted(chosen.items()))


def _release_key(release: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in (release or "").split("."))
    except ValueError:
        return ()


def load_files(
    paths: list[Path], shown: list[str], shared_from_disk: bool = False
) -> list[Registry]:
    """The registries of one binary each among paths, in order; shared files
    among them are used by the registries that name them, and with
    shared_from_disk a named shared file missing from paths is read from
    beside its user.  Raises QomError naming the file at fault."""
    docs: list[tuple[Path, str, dict]] = []
    shared: dict[str, dict[str, dict]] = {}  # file name -> its types
    for path, label in zip(paths, shown):
        try:
            doc = _read_registry_doc(path, label)
        except QomError as exc:
            exc.file = label
            raise
        if "shared-by" in doc:
            shared[path.name] = doc["types"]
        else:
            docs.append((path, label, doc))
    registries = []
    for path, label, doc in docs:
        try:
            registries.append(_registry_of(path, label, doc, shared, shared_from_disk))
        except QomError as exc:
            exc.file = label
            raise
    return registries


def _registry_of(path: Path, label: str, doc: dict, shared: dict, from_disk: bool) -> Registry:
    """One binary's registry: its own entries and the shared ones it names."""
    entries = dict(doc["types"])
    shared_file = doc.get("shared")
    if shared_file is not None:
        if shared_file not in shared and from_disk:
            beside = path.parent / shared_file
            other = _read_registry_doc(beside, str(beside))
            shared[shared_file] = other["types"]
        table = shared.get(shared_file)
        if table is None:
            raise QomError(f"{label}: names shared registry {_q(shared_file)}, not found")
        for name in doc.get("shared-types", []):
            if name not in table:
                raise QomError(f"{label}: shared type {_q(name)} is not in {shared_file}")
            if name in entries:
                raise QomError(f"{label}: type {_q(name)} is both shared and its own")
            entries[name] = table[name]
    registry = Registry._from_entries(
        entries, doc.get("release"), doc.get("source", {}), doc.get("target")
    )
    registry.check_hierarchy(label)
    return registry


def _read_registry_doc(path: Path, shown: str) -> dict:
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise QomError(f'{shown}: not a QOM registry (no "types" object)')
    if data.get("format") not in READABLE_FORMATS:
        raise QomError(
            f"{shown}: registry format {_q(data.get('format'))} is not {FORMAT}; "
            "re-create it with 'mtc import-qom'"
        )
    for key, kind in (("release", str), ("target", str), ("shared", str)):
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise QomError(f'{shown}: "{key}" must be a string')
    if not isinstance(data.get("source", {}), dict):
        raise QomError(f'{shown}: "source" must be an object')
    names = data.get("shared-types", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise QomError(f'{shown}: "shared-types" must be a list of type names')
    for name, entry in data["types"].items():
        _check_registry_entry(shown, name, entry)
    return data


def _check_registry_entry(shown: str, name: str, entry: object) -> None:
    problem = _registry_entry_problem(entry)
    if problem is not None:
        raise QomError(f"{shown}: type {json.dumps(name)}: {problem}")


def _registry_entry_problem(entry: object) -> str | None:
    """What is wrong with one type's JSON entry, None if nothing."""
    if type(entry) is not dict:
        return "must be an object"
    if type(entry.get("abstract")) is not bool:
        return '"abstract" must be true or false'
    parent = entry.get("parent", 0)
    if parent is not None and type(parent) is not str:
        return '"parent" must be a type name or null'
    props = entry.get("properties")
    if type(props) is not dict:
        return '"properties" must be an object'
    for value in props.values():  # inline: registries hold tens of thousands
        if type(value) is not str and not (
            type(value) is list
            and len(value) == 2
            and type(value[0]) is str
            and type(value[1]) is str
        ):
            return '"properties" must map names to "type" or ["type", "default"]'
    if len(entry) == 3:  # nothing optional: the common case
        return None
    since_map = entry.get("properties-since", {})
    if not isinstance(since_map, dict) or not all(isinstance(v, str) for v in since_map.values()):
        return '"properties-since" must map names to strings'
    for key in ("since", "unlistable"):
        if not isinstance(entry.get(key, ""), str):
            return f'"{key}" must be a string'
    return None


def render(doc: object) -> str:
    """JSON with sorted keys and one-space indents, except that a property's
    [type, default] stays on its line: one fact, one line."""
    return _render(doc, "", False) + "\n"


def _render(value: object, indent: str, inline_values: bool) -> str:
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(key)}: "
            + (
                json.dumps(value[key])
                if inline_values
                else _render(value[key], inner, key == "properties")
            )
            for key in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{_render(v, inner, False)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value)


def read_json(path: str | os.PathLike) -> object:
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


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically replace path with text; QomError if that fails."""
    from .files import atomic_write

    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise QomError(f"cannot write {path}: {exc.strerror or exc}") from None
