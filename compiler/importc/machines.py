"""Machine blocks: each machine type's own statements (after the call to
its parent's options function) as compat sets and options, and its class
facts: the machine it inherits when that is not the next newer of its
family, its alias, default and deprecation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..versions import Version
from . import guards, model, options
from .compatsets import set_ref
from .cvalues import CBool, CInt, CStr
from .machinetypes import DEPRECATION, MachineType, is_fact, own_stmts
from .program import Stmt, one_line

if TYPE_CHECKING:
    from .extract import Importer


def add_machines(imp: Importer, machines: list[MachineType]) -> None:
    for machine in sorted(
        machines, key=lambda m: (m.family, m.version or Version(())), reverse=True
    ):
        family = imp.out.families[machine.family]
        out = model.Machine(
            family=machine.family,
            version=machine.version,
            name=machine.name,
            file=machine.file,
            location=machine.location,
            guard=guards.guard(imp, machine.cond, machine.location),
        )
        if machine.parent is not None:
            parent = machine.parent
            if parent is not implicit_parent(machine, machines):
                other = parent.family if parent.family != machine.family else None
                out.inherits = (other, parent.version)
        facts = machine.facts
        alias = facts.get("alias")
        if isinstance(alias, CStr):
            out.alias = "" if alias.text == family.alias else alias.text
        default = facts.get("is_default")
        out.default = isinstance(default, (CBool, CInt)) and bool(default.value)
        reason = facts.get(DEPRECATION)
        if isinstance(reason, CStr):
            out.deprecated = reason.text
        if machine.own is not None:
            for stmt in own_stmts(imp, machine):
                machine_stmt(imp, out, machine, stmt)
        imp.out.machines.append(out)
        imp.machine_blocks[machine.name] = out


def implicit_parent(machine: MachineType, machines: list[MachineType]) -> MachineType | None:
    """The machine a bare 'machine F V' inherits: the next newer of its family."""
    newer = [
        m
        for m in machines
        if m.family == machine.family
        and m.version is not None
        and machine.version is not None
        and m.version > machine.version
    ]
    return min(newer, key=lambda m: m.version) if newer else None


def machine_stmt(imp: Importer, out: model.Machine, machine: MachineType, stmt: Stmt) -> None:
    if stmt.kind == "compat":
        ref = set_ref(imp, stmt, machine.own, machine)
        if ref is not None:
            out.compat.append(ref)
    elif stmt.kind == "assign":
        if is_fact(stmt.lvalue):
            return
        hint = imp.option_lvalues.get(stmt.lvalue)
        if hint is None:
            if "->" not in stmt.lvalue:
                imp.error(
                    stmt.location,
                    f"{machine.name}: cannot translate the assignment to the global {stmt.lvalue}",
                )
            return  # a class fact mtc does not model (unversioned machine)
        value = options.option_value(imp, stmt, hint)
        if value is not None:
            out.options.append(value)
    elif stmt.kind == "call":
        imp.error(
            stmt.location, f"{machine.name}: cannot translate the call {stmt.text.rstrip(';')}"
        )
    elif stmt.kind == "unknown":
        imp.error(stmt.location, f"{machine.name}: cannot translate '{one_line(stmt.text)}'")
