"""Families: the machine types of one name pattern (pc-q35-{version}) and
what they share, from the family's own abstract parent types' class_init,
what the oldest machine of the chain calls besides its parent's options
function, and what every class_init of the family calls.  An abstract type
several families derive from (TYPE_PC_MACHINE) becomes an abstract family
holding what query-machines reports of their machines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..versions import Version
from . import guards, model, options
from .compatsets import set_ref
from .cvalues import CStr
from .machinetypes import MachineType, ancestor_types
from .program import Function, Stmt

if TYPE_CHECKING:
    from .extract import Importer


def add_families(imp: Importer, machines: list[MachineType]) -> None:
    by_family: dict[str, list[MachineType]] = {}
    for machine in machines:
        by_family.setdefault(machine.family, []).append(machine)
    # Abstract types several families derive from: what query-machines reports.
    users: dict[str, set[str]] = {}
    for machine in machines:
        for type_name in ancestor_types(imp, machine):
            users.setdefault(type_name, set()).add(machine.family)
    for family_name, members in by_family.items():
        members.sort(key=lambda m: m.version or Version(()), reverse=True)
        newest = members[0]
        # TYPE_MACHINE ("machine") is every machine's root, whatever the target.
        shared = [
            t for t in ancestor_types(imp, newest) if len(users.get(t, ())) > 1 or t == "machine"
        ]
        own_types = [t for t in ancestor_types(imp, newest) if t not in shared]
        extends = None
        if shared and shared[0] != "machine":
            extends = abstract_family(imp, shared[0], shared, newest)
        family = model.Family(
            name=family_name,
            file=newest.file,
            location=newest.location,
            extends=extends,
            pattern=(
                f"{family_name[: len(family_name) - len(newest.tag)]}-{{version}}{newest.tag}"
                if newest.version is not None
                else family_name
            ),
            targets=list(imp.targets),
        )
        family_guards = {guards.guard(imp, m.cond, m.location) for m in members}
        if len(family_guards) == 1:
            family.guard = family_guards.pop()
            for m in members:
                m.cond = None
        family.manual_lifecycle = not any(m.automatic for m in members)
        family.desc = family_desc(members)
        alias = newest.facts.get("alias")
        if isinstance(alias, CStr):
            family.alias = alias.text
        # The family's options: its own abstract parents' class_init, then
        # what the chain's oldest machine and every class_init call.
        stmts: list[Stmt] = []
        for type_name in reversed(own_types):
            info = imp.types.get(type_name)
            if info is not None and info.class_init in imp.program.functions:
                stmts.extend(imp.program.functions[info.class_init].stmts)
        roots = [m for m in members if m.parent is None and m.own is not None]
        base_calls = []
        for stmt in newest.class_init.stmts:
            if stmt.kind == "call" and stmt.callee in imp.shared_calls:
                base_calls.append(stmt.callee)
        for root in roots[:1]:
            for stmt in root.own.stmts:
                if (
                    stmt.kind == "call"
                    and stmt.callee in imp.program.functions
                    and stmt.callee not in imp.owners
                ):
                    base_calls.append(stmt.callee)
        for name in dict.fromkeys(base_calls):
            stmts.extend(flatten(imp, imp.program.functions[name]))
        family_facts(imp, family, stmts, own_types + shared)
        imp.out.families[family_name] = family


def flatten(imp: Importer, function: Function, depth: int = 0) -> list[Stmt]:
    out = []
    for stmt in function.stmts:
        if stmt.kind == "call" and stmt.callee in imp.program.functions and depth < 10:
            callee = imp.program.functions[stmt.callee]
            if stmt.callee not in imp.owners:
                out.extend(flatten(imp, callee, depth + 1))
                continue
        out.append(stmt)
    return out


def family_facts(imp: Importer, family: model.Family, stmts: list[Stmt], types: list[str]):
    set_values = set()
    for stmt in stmts:
        if stmt.kind == "compat":
            ref = set_ref(imp, stmt, imp.function_holding(stmt), None)
            if ref is not None and ref not in family.compat:
                family.compat.append(ref)
        elif stmt.kind == "assign" and stmt.lvalue in imp.option_lvalues:
            value = options.option_value(imp, stmt, imp.option_lvalues[stmt.lvalue])
            if value is not None:
                family.options.append(value)
                set_values.add(stmt.lvalue)
    options.query_defaults(imp, family, set_values, types)


def abstract_family(imp: Importer, type_name: str, shared: list[str], machine) -> str:
    name = type_name[: -len("-machine")] if type_name.endswith("-machine") else type_name
    if name in imp.out.families:
        return name
    info = imp.types.get(type_name)
    location = info.location if info else machine.location
    family = model.Family(
        name=name, file=imp.mtc_file(location.file), location=location, abstract=True
    )
    stmts = []
    for t in reversed(shared):
        i = imp.types.get(t)
        if i is not None and i.class_init in imp.program.functions:
            stmts.extend(imp.program.functions[i.class_init].stmts)
    set_values = set()
    for stmt in stmts:
        hint = imp.vocab["options"].get(stmt.lvalue) if stmt.kind == "assign" else None
        if hint and hint.get("query"):
            value = options.option_value(imp, stmt, hint)
            if value is not None:
                family.options.append(value)
                set_values.add(stmt.lvalue)
    imp.out.families[name] = family
    options.query_defaults(imp, family, set_values, shared)
    return name


def family_desc(members: list[MachineType]) -> str | None:
    descs = []
    for machine in members:
        desc = machine.facts.get("desc")
        if not isinstance(desc, CStr):
            return None
        text = desc.text
        if machine.version is not None and str(machine.version) in text:
            text = text.replace(str(machine.version), "{version}")
        descs.append(text)
    return descs[0] if len(set(descs)) == 1 else None
