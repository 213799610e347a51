"""mtc import-qom: registries read off QEMU binaries or saved dumps.

A dump is what QMP says about a binary's QOM types, kept whole; a registry
(qom.py) is the part of it the checks need.  `--qemu BINARY` starts the
binary (qmp.py), asks `qom-list-types` with abstract types, then
`qom-list-properties` for every type but interfaces (QEMU refuses those),
in name order.  QEMU 10.0 crashes listing a few types (colo-compare,
memory-region-portio-list, x-remote-object, ...), sometimes only after
listing others: such a type is retried once in a fresh QEMU and recorded as
unlistable if that crashes too.

The dump format (DUMP.json; `--save-dump FILE` writes one):

    {
      "source": {"binary": "qemu-system-x86_64 10.0.2 (Debian 1:10.0.2+ds-2)"},
      "target": "x86_64",                       # query-target; optional
      "release": "10.0",                        # the binary's; optional
      "types": {
        "virtio-net-device": {
          "parent": "virtio-device",            # null for a root type
          "abstract": false,
          "properties": {                       # as qom-list-properties lists
            "mq": {"type": "bool", "default-value": false},   # them, inherited
            "mac": {"type": "str"}                            # ones included
          }
        },
        "colo-compare": {"parent": "object", "abstract": false, "properties": {},
                         "unlistable": "why QEMU could not list it"}
      }
    }

"default-value" is QMP's JSON value, present where QEMU reports one; the
registry spells it as a compat entry would (qomvalues.spell_default).
source.binary's "X.Y.Z" gives the release and "qemu-system-T" the target
when "release" and "target" are absent (--release overrides the release).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from . import qmp, qomfiles
from .qom import QomError, Registry
from .qomvalues import spell_default

HOW = "mtc import-qom: qom-list-types (abstract types too), qom-list-properties of each type"
# qom-list-properties reports "default-value" since QEMU 5.0.
OLDEST = (5, 0)


# ---- asking a binary -------------------------------------------------------


def dump_binary(binary: str, log=None) -> dict:
    """The dump of one binary (see the module docstring)."""
    with qmp.Qemu(binary) as qemu:
        version = qemu.version
        if not version.at_least(*OLDEST):
            raise QomError(
                f"{binary} is QEMU {version}: import-qom --qemu needs QEMU "
                f"{OLDEST[0]}.{OLDEST[1]} or newer, whose qom-list-properties reports "
                "property defaults; save a dump by hand and import that instead"
            )
        target = qemu.command("query-target")["arch"]
        listed = qemu.command("qom-list-types", abstract=True)
    types: dict[str, dict] = {}
    for info in listed:
        types[info["name"]] = {
            "parent": info.get("parent"),
            "abstract": bool(info.get("abstract", False)),
            "properties": {},
        }
    lister = _Lister(binary, log)
    try:
        refused = []
        for name in sorted(types):
            if not _is_interface(types, name):  # interfaces have no properties
                if not lister.list_into(types[name], name, last_try=False):
                    refused.append(name)
        # QEMU knows an abstract type of a module (pci-qxl) only once the
        # module is loaded, which listing one of its concrete types does.
        for name in refused:
            below = [n for n in sorted(types) if types[n]["parent"] == name]
            concrete = [n for n in below if not types[n]["abstract"]]
            if concrete:
                lister.list_into({}, concrete[0], last_try=True)
            lister.list_into(types[name], name, last_try=True)
    finally:
        lister.close()
    return {
        "source": {"binary": f"{qemu.name} {version.describe()}", "how": HOW},
        "target": target,
        "release": version.release,
        "types": types,
    }


class _Lister:
    """qom-list-properties, one type at a time, in a QEMU started afresh
    whenever the last one crashed."""

    def __init__(self, binary: str, log=None):
        self.binary = binary
        self.log = log
        self.session: qmp.Qemu | None = None

    def list_into(self, entry: dict, name: str, last_try: bool) -> bool:
        """Fill entry["properties"]; False if QEMU refused and this was not
        the last try.  A crash is retried once in a fresh QEMU."""
        for attempt in (1, 2):
            if self.session is None:
                self.session = qmp.Qemu.launch(self.binary)
            try:
                reply = self.session.command("qom-list-properties", typename=name)
            except qmp.QmpError as exc:
                if not last_try:
                    return False
                entry["unlistable"] = f"QEMU refused to list it: {exc.desc}"
                return True
            except qmp.QemuGone as exc:
                self.close()
                if self.log is not None:
                    self.log(f"{Path(self.binary).name}: listing {name} crashed QEMU ({exc.how})")
                if attempt == 2:
                    entry["unlistable"] = (
                        "QEMU crashed listing its properties, in a fresh process too"
                    )
                continue
            entry["properties"] = {prop["name"]: _dump_property(prop) for prop in reply}
            entry.pop("unlistable", None)
            return True
        return True

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def _is_interface(types: dict[str, dict], name: str) -> bool:
    seen = set()
    while name in types and name not in seen:
        seen.add(name)
        parent = types[name]["parent"]
        if parent is None:
            return name == "interface"
        name = parent
    return False


def _dump_property(prop: dict) -> dict:
    found = {"type": prop["type"]}
    if "default-value" in prop:
        found["default-value"] = prop["default-value"]
    return found


# ---- from a dump to a registry ---------------------------------------------


def import_dump(dump_path: str | Path, release: str | None = None) -> Registry:
    """The registry of a saved dump."""
    return registry_from_dump(qomfiles.read_json(dump_path), str(dump_path), release)


def registry_from_dump(data: object, shown: str, release: str | None = None) -> Registry:
    """A registry from a dump: per type only the properties it introduces
    or changes (another type or default) against what it inherits, which
    makes the registry about 9x smaller than the dump."""
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise QomError(f'{shown}: not a QOM dump (no "types" object)')
    source = data.get("source", {})
    if not isinstance(source, dict):
        raise QomError(f'{shown}: "source" must be an object')
    if release is None:
        release = data.get("release") or release_from_source(source)
        if release is None:
            raise QomError(
                f"{shown}: cannot tell the QEMU release from source.binary; pass --release X.Y"
            )
    if not isinstance(release, str) or not re.fullmatch(r"\d+\.\d+", release):
        raise QomError(f"release must look like X.Y, got {json.dumps(release)}")
    target = data.get("target") or target_from_source(source)
    if not isinstance(target, str) or not re.fullmatch(r"[A-Za-z0-9_]+", target):
        raise QomError(f'{shown}: cannot tell the target: give "target" or source.binary')

    listed: dict[str, dict[str, object]] = {}
    parents: dict[str, str | None] = {}
    abstract: dict[str, bool] = {}
    unlistable: dict[str, str] = {}
    for name, entry in data["types"].items():
        parents[name], abstract[name], listed[name], why = _dump_entry(shown, name, entry)
        if why is not None:
            unlistable[name] = why

    raw: dict[str, dict] = {}
    for name in sorted(parents):
        inherited: dict[str, object] = {}
        for ancestor in reversed(_dump_ancestors(shown, name, parents)[1:]):
            inherited.update(listed[ancestor])
        own = {p: v for p, v in sorted(listed[name].items()) if inherited.get(p) != v}
        raw[name] = {"abstract": abstract[name], "parent": parents[name], "properties": own}
        if name in unlistable:
            raw[name]["unlistable"] = unlistable[name]
    return Registry._from_entries(raw, release, dict(source), target)


def release_from_source(source: dict) -> str | None:
    """The X.Y of source.binary: "qemu-system-x86_64 7.2.22 (Debian ...)" -> "7.2"."""
    match = re.match(r"\s*qemu-system-\S+\s+(\d+)\.(\d+)\.(\d+)", str(source.get("binary", "")))
    if match is None:
        match = re.match(r"\s*qemu-system-\S+\s+(\d+)\.(\d+)()\b", str(source.get("binary", "")))
    if match is None:
        return None
    major, minor, micro = match.groups()
    return qmp.QemuVersion(int(major), int(minor), int(micro or 0)).release


def target_from_source(source: dict) -> str | None:
    match = re.match(r"\s*qemu-system-([A-Za-z0-9_]+)", str(source.get("binary", "")))
    return match.group(1) if match else None


def _dump_entry(shown: str, name: str, entry: object):
    """(parent, abstract, {property: type or [type, default]}, unlistable)."""
    where = f"{shown}: types[{json.dumps(name)}]"
    if not isinstance(entry, dict):
        raise QomError(f"{where}: must be an object")
    if "parent" not in entry:
        raise QomError(f'{where}: has no "parent"')
    parent, is_abstract, props = entry["parent"], entry.get("abstract"), entry.get("properties")
    if parent is not None and not isinstance(parent, str):
        raise QomError(f"{where}.parent: must be a type name or null")
    if not isinstance(is_abstract, bool):
        raise QomError(f"{where}.abstract: must be true or false")
    if not isinstance(props, dict):
        raise QomError(f"{where}.properties: must be an object")
    why = entry.get("unlistable")
    if why is not None and not isinstance(why, str):
        raise QomError(f"{where}.unlistable: must be a string")
    found: dict[str, object] = {}
    for prop, info in props.items():
        qom_type = info.get("type") if isinstance(info, dict) else None
        if not isinstance(qom_type, str) or not qom_type:
            raise QomError(f'{where}.properties[{json.dumps(prop)}]: needs a string "type"')
        default = spell_default(info.get("default-value"))
        found[prop] = qom_type if default is None else [qom_type, default]
    return parent, is_abstract, found, why


def _dump_ancestors(shown: str, name: str, parents: dict[str, str | None]) -> list[str]:
    chain = [name]
    while (parent := parents[chain[-1]]) is not None:
        if parent not in parents:
            raise QomError(f"{shown}: type {_q(chain[-1])} has unknown parent {_q(parent)}")
        if parent in chain:
            raise QomError(f"{shown}: parent cycle: {' -> '.join(chain + [parent])}")
        chain.append(parent)
    return chain


# ---- laying registries out in a directory ------------------------------------


def layout(registries: list[Registry]) -> dict[str, str]:
    """File name -> text for the registries of one directory.  Where two or
    more targets of a release have a type with the same entry, the entry goes
    once into that release's shared file (the most common entry, if targets
    disagree) and each target's file names it."""
    files: dict[str, str] = {}
    releases: dict[str, list[Registry]] = {}
    for registry in registries:
        releases.setdefault(registry.release, []).append(registry)
    for release, group in sorted(releases.items()):
        group = sorted(group, key=lambda r: r.target)
        if len(group) == 1:
            files[qomfiles.registry_name(release, group[0].target)] = group[0].dump()
            continue
        shared = shared_entries([registry.entries() for registry in group])
        shared_file = qomfiles.shared_name(release)
        files[shared_file] = qomfiles.render(
            {
                "format": qomfiles.FORMAT,
                "release": release,
                "shared-by": [registry.target for registry in group],
                "types": shared,
            }
        )
        for registry in group:
            name = qomfiles.registry_name(release, registry.target)
            files[name] = registry.dump(shared, shared_file)
    return dict(sorted(files.items()))


def shared_entries(tables: list[dict[str, dict]]) -> dict[str, dict]:
    """The types at least two tables give the same entry, with that entry."""
    counts: dict[str, Counter] = {}
    for table in tables:
        for name, entry in table.items():
            counts.setdefault(name, Counter())[json.dumps(entry, sort_keys=True)] += 1
    shared = {}
    for name in sorted(counts):
        # The most common entry; among equally common ones the first in text order.
        text, count = min(counts[name].items(), key=lambda item: (-item[1], item[0]))
        if count >= 2:
            shared[name] = json.loads(text)
    return shared


# ---- the command ----------------------------------------------------------------


def add_arguments(parser) -> None:
    parser.add_argument(
        "dumps", metavar="DUMP.json", nargs="*", help="a saved QOM dump (format: see README)"
    )
    parser.add_argument(
        "--qemu",
        metavar="BINARY",
        action="append",
        default=[],
        help="start BINARY (no KVM needed) and read its types; repeat for several targets",
    )
    parser.add_argument(
        "--release", metavar="X.Y", help="the QEMU release (default: the binary's or the dump's)"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="a directory (default: machines/registry/ below the project root), or a "
        "*.json file for one self-contained registry",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 unless every file is already what the import gives",
    )
    parser.add_argument(
        "--save-dump", metavar="FILE", help="also save the dump of the one --qemu BINARY"
    )


DESCRIPTION = """\
Import the QOM registry of a QEMU binary: its types, their properties, each
property's type and default.  With --qemu, mtc starts the binary itself
(-machine none -accel tcg -nodefaults -display none -S, QMP over a socket in
a private temporary directory) and asks qom-list-types (abstract types too)
and qom-list-properties for each type; a type whose listing crashes QEMU is
retried once in a fresh QEMU, then recorded as unlistable.  A DUMP.json is
such an answer saved earlier (format: see README).

Each binary's registry goes to OUT/qemu-X.Y-TARGET.qom.json.  Entries the
registries of one release in OUT share (those imported now and those already
there) go once into OUT/qemu-X.Y-shared.qom.json; the files are rewritten
only where their content changes.  Registries of other releases in OUT are
left alone: delete them when machines/ no longer describes that release."""


def run(args, root: Path | None) -> int:
    try:
        if not args.dumps and not args.qemu:
            raise QomError("give a DUMP.json or --qemu BINARY")
        if args.save_dump and (len(args.qemu) != 1 or args.dumps):
            raise QomError("--save-dump saves the dump of exactly one --qemu BINARY")
        imported = []
        for path in args.dumps:
            imported.append(import_dump(path, args.release))
        for binary in args.qemu:
            dump = dump_binary(binary, log=lambda text: print(text, file=sys.stderr))
            if args.save_dump:
                qomfiles.write_text(
                    args.save_dump, json.dumps(dump, indent=1, sort_keys=True) + "\n"
                )
            imported.append(registry_from_dump(dump, binary, args.release))
        return write(imported, args.output, root, args.check)
    except (QomError, qmp.QemuError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1


def write(imported: list[Registry], output: str | None, root: Path | None, check: bool) -> int:
    seen: dict[tuple, str] = {}
    for registry in imported:
        key = (registry.release, registry.target)
        if key in seen:
            raise QomError(f"two imports of target {registry.target} of release {registry.release}")
        seen[key] = registry.binary
    if output is not None and output.endswith(".json"):
        if len(imported) != 1:
            raise QomError("-o FILE takes one registry; give a directory for several")
        files = {Path(output): imported[0].dump()}
    else:
        directory = Path(output) if output else (root or Path(".")) / "machines" / "registry"
        files = {directory / name: text for name, text in plan(imported, directory).items()}
    stale = []
    for path, text in files.items():
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current == text:
            if not check:
                print(f"unchanged {path}")
            continue
        if check:
            stale.append(path)
            continue
        qomfiles.write_text(path, text)
        print(f"wrote {path} ({_summary(text)})")
    for path in stale:
        print(f"error: {path} is not what the import gives", file=sys.stderr)
    return 1 if stale else 0


def plan(imported: list[Registry], directory: Path) -> dict[str, str]:
    """Every file of `directory` the import writes: the imported registries
    and the registries already there of the same releases (their facts
    kept, their layout redone)."""
    new = {(r.release, r.target) for r in imported}
    releases = {r.release for r in imported}
    existing = []
    if directory.is_dir():
        paths = sorted(directory.glob(f"*{qomfiles.SUFFIX}"))
        for registry in qomfiles.load_files(paths, [str(p) for p in paths]):
            key = (registry.release, registry.target)
            if registry.target is not None and registry.release in releases and key not in new:
                existing.append(registry)
    return layout(imported + existing)


def _summary(text: str) -> str:
    doc = json.loads(text)
    types = len(doc["types"]) + len(doc.get("shared-types", []))
    if "shared-by" in doc:
        return f"{types} types shared by {', '.join(doc['shared-by'])}"
    return f"{types} types"


def _q(value: object) -> str:
    return json.dumps(value, default=repr)
