"""The machine types a kind's files register, and what their class_init
functions make of them: each one's own options function, the machine it
inherits, and the class facts QEMU ends up with (alias, default,
description, deprecation), computed by running the statements."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import field, record
from ..diagnostics import Location
from ..versions import Version
from .csource import Cond, evaluate_condition, symbols_of
from .cvalues import CBool, CNull, CSymbol
from .program import Function

if TYPE_CHECKING:
    from .extract import Importer

# pc-q35-4.0.1, and QEMU 7.x's tagged pseries-2.12-sxxm (family pseries-sxxm).
MACHINE_NAME = re.compile(r"(.+?)-(\d+\.\d+(?:\.\d+)?)(-[a-z][a-z0-9]*)?")
FACTS = {"m->alias": "alias", "m->is_default": "is_default", "m->desc": "desc"}
DEPRECATION = "m->deprecation_reason"
IGNORED_FIELDS = {"m->init", "m->compat_props"}


@record
class MachineType:
    name: str
    family: str
    version: Version | None
    class_init: Function
    location: Location
    cond: Cond | None
    file: str
    parent_type: str | None
    own: Function | None = None
    parent: "MachineType | None" = None
    automatic: bool = False
    facts: dict = field(default_factory=dict)
    # The functions QEMU runs when it creates the machine: its MachineClass
    # init (mc->init) and its TypeInfo's instance_init.
    init_functions: list[Function] = field(default_factory=list)
    tag: str = ""  # pseries-2.12-sxxm: "-sxxm"


def is_fact(lvalue: str) -> bool:
    """A class field whose final value is a machine fact, not an option."""
    return lvalue in FACTS or lvalue == DEPRECATION or lvalue in IGNORED_FIELDS


def find(imp: Importer, spec: dict) -> list[MachineType]:
    """The versioned and unversioned machine types the kind's files register
    (from their DEFINE_*_MACHINE lines)."""
    found = []
    files = {str(Path(imp.source.shown_root) / f) for f in spec["files"]}
    program = imp.program
    for info in program.types:
        if not info.expanded or info.abstract or info.location.file not in files:
            continue
        if not info.name.endswith("-machine") or info.class_init not in program.functions:
            continue
        name = info.name[: -len("-machine")]
        match = MACHINE_NAME.fullmatch(name)
        family, version, tag = name, None, ""
        if match:
            family, version = match.group(1), Version.parse(match.group(2))
            tag = match.group(3) or ""
        machine = MachineType(
            name=name,
            family=family + tag,
            tag=tag,
            version=version,
            class_init=program.functions[info.class_init],
            location=info.location,
            cond=info.cond,
            file=imp.mtc_file(info.location.file),
            parent_type=info.parent,
        )
        if info.instance_init in program.functions:
            machine.init_functions.append(program.functions[info.instance_init])
        found.append(machine)
    return found


def chains(imp: Importer, machines: list[MachineType]) -> None:
    """Each machine's own options function and the machine it inherits;
    then its class facts."""
    counts: dict[str, int] = {}
    for machine in machines:
        for callee in set(imp.callees(machine.class_init)):
            counts[callee] = counts.get(callee, 0) + 1
    owners: dict[str, MachineType] = {}
    for machine in machines:
        own = [c for c in imp.callees(machine.class_init) if counts[c] == 1]
        if own:
            machine.own = imp.program.functions[own[0]]
            owners[own[0]] = machine
        machine.automatic = any(s.kind == "if-deprecated" for s in machine.class_init.stmts)
    imp.owners = owners
    imp.shared_calls = {c for c, n in counts.items() if n > 1}
    for machine in machines:
        if machine.own is None:
            imp.error(machine.location, f"{machine.name}: cannot find its options function")
            continue
        for stmt in machine.own.stmts:
            if stmt.kind == "call" and stmt.callee in owners:
                machine.parent = owners[stmt.callee]
                break
        machine.facts = execute_facts(imp, machine)
        init_hooks(imp, machine)


# -- running the statements for alias, default, desc, deprecation -----------------


def execute_facts(imp: Importer, machine: MachineType) -> dict:
    state: dict = {
        "alias": CNull(),
        "is_default": CBool(False),
        "desc": None,
        DEPRECATION: None,
    }
    conditional: dict = {}  # fact -> the build-time #if its final value came from
    for ancestor in ancestors(imp, machine):
        execute(imp, ancestor, state, conditional, 0)
    execute(imp, machine.class_init, state, conditional, 0)
    for key, stmt in conditional.items():
        if stmt is not None:
            imp.error(
                stmt.location,
                f"{stmt.lvalue} under a build-time #if cannot be expressed in mtc "
                "(the import keeps the default build's value)",
            )
    return state


def execute(imp: Importer, function: Function, state: dict, conditional: dict, depth: int):
    if depth > 50:
        return
    for stmt in function.stmts:
        holds = evaluate_condition(stmt.cond, imp.config_defined)
        if holds is False:
            continue
        if stmt.kind == "call" and stmt.callee in imp.program.functions:
            execute(imp, imp.program.functions[stmt.callee], state, conditional, depth + 1)
        elif stmt.kind == "assign" and (stmt.lvalue in FACTS or stmt.lvalue == DEPRECATION):
            key = FACTS.get(stmt.lvalue, stmt.lvalue)
            build_time = stmt.cond is not None and any(
                s.startswith("CONFIG_") for s in symbols_of(stmt.cond)
            )
            conditional[key] = stmt if build_time else None
            state[key] = stmt.value


def init_hooks(imp: Importer, machine: MachineType) -> None:
    """The machine's MachineClass init, beside its TypeInfo's instance_init;
    QEMU 7.x's pc_compat_X_Y_fn, an instance-time compat function the init
    runs besides the family's, cannot be said."""
    file = machine.location.file
    init = None
    for stmt in machine.class_init.stmts:
        if stmt.kind == "assign" and stmt.lvalue == "m->init" and isinstance(stmt.value, CSymbol):
            init = imp.program.functions.get(f"{file}:{stmt.value.text}")
    if init is None:
        return
    machine.init_functions.insert(0, init)
    for value in init.locals.values():
        if isinstance(value, CSymbol) and f"{file}:{value.text}" in imp.program.functions:
            imp.error(
                machine.location,
                f"{machine.name}: its init runs {value.text}() (an instance-time compat "
                "function), which mtc cannot express",
            )


def ancestors(imp: Importer, machine: MachineType) -> list[Function]:
    """The class_init functions of the abstract types above a machine,
    the most basic first."""
    chain = []
    name = machine.parent_type
    seen = set()
    while name and name not in seen:
        seen.add(name)
        info = imp.types.get(name)
        if info is None:
            break
        if info.class_init in imp.program.functions:
            chain.append(imp.program.functions[info.class_init])
        name = info.parent
    return chain[::-1]


def ancestor_types(imp: Importer, machine: MachineType) -> list[str]:
    names, name = [], machine.parent_type
    while name and name not in names:
        names.append(name)
        info = imp.types.get(name)
        name = info.parent if info is not None else None
    return names


def own_stmts(imp: Importer, machine: MachineType) -> list:
    """The statements of a machine's own function after the call to its
    parent's, helpers it alone calls inlined."""
    out = []
    for stmt in machine.own.stmts:
        if stmt.kind == "call" and stmt.callee in imp.owners:
            continue
        if stmt.kind == "call" and stmt.callee in imp.program.functions:
            if machine.parent is not None and stmt.callee not in imp.shared_calls:
                out.extend(imp.program.functions[stmt.callee].stmts)
            # the oldest machine's other calls are the family's base
            continue
        out.append(stmt)
    return out
