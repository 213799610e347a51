"""What `mtc verify` compares: the machine types machines/ resolves for one
target (as of the binary's release) with what the binary's query-machines
says, name by name, field by field and compat property by compat property.

Every difference carries the DSL location that produced the value in
question, so one wrong entry is one location however many machine types it
reaches; verify.py groups them by that.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher

from ..records import record
from .. import guards
from ..backends import json as json_backend
from ..diagnostics import Location
from ..model import HostFacts
from ..resolve import ResolvedMachine, ResolvedProp, ResolvedTarget

# The query-machines members mtc models, in QEMU's order.
FIELDS = (
    "alias",
    "is-default",
    "cpu-max",
    "hotpluggable-cpus",
    "numa-mem-supported",
    "default-cpu-type",
    "default-ram-id",
    "deprecated",
    "acpi",
)
# A versioned machine type's name ends in its version: pc-q35-9.2, virt-4.0.1.
VERSIONED = re.compile(r"-\d+\.\d+(\.\d+)?\Z")


@record(frozen=True)
class Difference:
    check: str  # verify-machine, verify-field, verify-value, verify-order, ...
    location: Location
    message: str  # the same for every machine type the cause reaches
    machine: str  # the machine type it shows in


@record
class Comparison:
    compared: list[str]  # machine types on both sides
    not_modelled: list[str]  # the binary's unversioned boards machines/ leaves out
    fields: int
    compat_props: int
    differences: list[Difference]


def compare_target(
    resolved_target: ResolvedTarget,
    corpus,
    live: list[dict],
    qemu: str,
    host: HostFacts,
) -> Comparison:
    """machines/ (one target, resolved as of the binary's release) against
    query-machines with compat-props; `qemu` names the binary in messages
    ("QEMU 10.0.2")."""
    model = {m.name: m for m in resolved_target.machines}
    by_name = {info["name"]: info for info in live}
    result = Comparison([], [], 0, 0, [])
    for name, machine in model.items():
        info = by_name.get(name)
        if info is None:
            result.differences.append(
                Difference(
                    "verify-machine",
                    machine.machine.location,
                    f"machine type {name} is not in {qemu}",
                    name,
                )
            )
            continue
        result.compared.append(name)
        result.fields += len(FIELDS)
        result.differences += compare_fields(machine, info, corpus, qemu)
        props = [p for p in machine.compat_props if guards.host_true(p.guard, host)]
        result.compat_props += max(len(props), len(info.get("compat-props", [])))
        result.differences += compare_props(machine, props, info.get("compat-props", []), qemu)
    for name in sorted(by_name):
        if name in model:
            continue
        if VERSIONED.search(name) is None:
            result.not_modelled.append(name)
            continue
        result.differences.append(
            Difference(
                "verify-machine",
                unmodelled_location(name, resolved_target, corpus),
                f"{qemu} has machine type {name}, which machines/ does not define",
                name,
            )
        )
    return result


def unmodelled_location(name: str, resolved_target: ResolvedTarget, corpus) -> Location:
    """Where a missing versioned machine type belongs: the family whose name
    pattern matches it, else the target."""
    for family in corpus.families.values():
        pattern = family.pattern or ""
        if "{version}" in pattern:
            prefix, _, suffix = pattern.partition("{version}")
            rest = name[len(prefix) : len(name) - len(suffix) if suffix else None]
            if name.startswith(prefix) and name.endswith(suffix) and re.fullmatch(r"[\d.]+", rest):
                return family.location
    return resolved_target.target.location


# ---- fields --------------------------------------------------------------------


def compare_fields(machine: ResolvedMachine, info: dict, corpus, qemu: str) -> list[Difference]:
    ours = json_backend.machine_object(machine)
    found = []
    for field in FIELDS:
        default = False if field == "is-default" else None
        mine, theirs = ours.get(field, default), info.get(field, default)
        if mine == theirs:
            continue
        location, unset = field_source(machine, field, corpus)
        said = "not set here" if unset else f"{_j(mine)} here"
        found.append(
            Difference(
                "verify-field",
                location,
                f"{field} is {said}; {qemu} says {_j(theirs)}",
                machine.name,
            )
        )
    return found


def field_source(machine: ResolvedMachine, field: str, corpus) -> tuple[Location, bool]:
    """(where machines/ decides the field for this machine, whether it is unset)."""
    node = machine.machine
    if field == "alias":
        return (node.alias or node.location), machine.alias is None
    if field == "is-default":
        return (node.default or node.location), False
    if field == "deprecated":
        if node.deprecated is not None:
            return node.deprecated.location, False
        if corpus.lifecycle is not None and not machine.family.manual_lifecycle:
            return corpus.lifecycle.location, False
        return node.location, False
    for option in machine.options.values():
        if option.decl.query == field:
            return option.assign.location, False
    return machine.family.location, True


# ---- compat properties ---------------------------------------------------------


def compare_props(
    machine: ResolvedMachine, ours: list[ResolvedProp], theirs: list[dict], qemu: str
) -> list[Difference]:
    """The two ordered lists, aligned: a value that differs, an entry only
    one side has, an entry both have in another place."""
    a = [(p.driver, p.property, p.value) for p in ours]
    b = [(x.get("qom-type"), x.get("property"), x.get("value")) for x in theirs]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    b_to_a: dict[int, int] = {}
    left: list[int] = []
    right: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            b_to_a.update({j1 + k: i1 + k for k in range(i2 - i1)})
        else:
            left += range(i1, i2)
            right += range(j1, j2)
    found = []
    # The same entry in another place: out of order.
    for i in list(left):
        j = next((j for j in right if b[j] == a[i]), None)
        if j is None:
            continue
        left.remove(i)
        right.remove(j)
        b_to_a[j] = i
        where = placement(j, b, b_to_a, ours, ours[i].compat)
        found.append(
            Difference(
                "verify-order",
                ours[i].provenance.location,
                f"{_entry(a[i])} is applied in another order: {qemu} applies it {where}",
                machine.name,
            )
        )
    # The same property with another value.
    for i in list(left):
        j = next((j for j in right if b[j][:2] == a[i][:2]), None)
        if j is None:
            continue
        left.remove(i)
        right.remove(j)
        b_to_a[j] = i
        found.append(
            Difference(
                "verify-value",
                ours[i].provenance.location,
                f"{a[i][0]}.{a[i][1]} is {_j(a[i][2])} here; {qemu} applies {_j(b[j][2])}",
                machine.name,
            )
        )
    for i in left:
        found.append(
            Difference(
                "verify-extra",
                ours[i].provenance.location,
                f"{_entry(a[i])} is not among {qemu}'s compat properties",
                machine.name,
            )
        )
    for j in right:
        compat, location, name = missing_place(machine, ours, b_to_a, j)
        where = placement(j, b, b_to_a, ours, compat)
        found.append(
            Difference(
                "verify-missing",
                location,
                f"{name} lacks {_entry(b[j])}, which {qemu} applies {where}",
                machine.name,
            )
        )
    return found


def placement(j: int, b: list, b_to_a: dict[int, int], ours, compat) -> str:
    """Where the binary has its entry j, told by a neighbour from the same
    compat set when there is one (the same words for every machine type the
    set reaches): "before X.y", "after X.y", "first"."""
    for k, word in ((j + 1, "before"), (j - 1, "after")):
        i = b_to_a.get(k)
        if i is not None and ours[i].compat is compat:
            return f"{word} {_key(b[k])}"
    return f"after {_key(b[j - 1])}" if j > 0 else "first"


def missing_place(machine, ours, b_to_a: dict[int, int], j: int):
    """(set, location, name) of the compat set that should hold the binary's
    entry j: the set of the entries around it; between two sets, the first
    (the name says so)."""
    before = next((b_to_a[k] for k in range(j - 1, -1, -1) if k in b_to_a), None)
    after = next(
        (b_to_a[k] for k in range(j + 1, max(b_to_a, default=-1) + 1) if k in b_to_a), None
    )
    prev = ours[before] if before is not None else None
    nxt = ours[after] if after is not None else None
    chosen = prev or nxt
    if chosen is None:
        return None, machine.machine.location, f"machine type {machine.name}"
    compat = chosen.compat
    where = f"compat set '{compat.display}'"
    if prev is not None and nxt is not None and nxt.compat is not compat:
        # Between two sets: the end of one or the start of the next.
        where += f" (or '{nxt.compat.display}', which follows it)"
    return compat, compat.location, where


def _entry(item: tuple) -> str:
    return f"{item[0]}.{item[1]} = {_j(item[2])}"


def _key(item: tuple) -> str:
    return f"{item[0]}.{item[1]}"


def _j(value) -> str:
    return json.dumps(value, ensure_ascii=False)
