"""Compat sets: the GlobalProperty arrays compat_props_add() adds, global
(hw_compat_9_2 is 'hw 9.2') or local to an options function (ccw 9.2), with
their entries in order, their comments and #if guards."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..versions import Version
from . import guards, model
from .cvalues import CStr, Unknown
from .machinetypes import MachineType
from .program import Function, Stmt

if TYPE_CHECKING:
    from .extract import Importer

VERSIONED_SET = re.compile(r"([a-z0-9_]+)_compat_(\d+)_(\d+)")


def set_ref(
    imp: Importer, stmt: Stmt, function: Function, machine: MachineType | None
) -> str | None:
    """The language's name for the array a compat_props_add() adds,
    importing the array the first time."""
    name = stmt.callee
    if stmt.cond is not None:
        imp.error(stmt.location, f"compat_props_add() of {name} under #if cannot be expressed")
    if name in function.arrays:
        scope = function.name.split("_machine_")[0]
        if machine is None or machine.version is None:
            imp.error(stmt.location, f"cannot name the local array {name} of {function.name}")
            return None
        ref = f"{scope} {machine.version}"
        add_set(
            imp, ref, scope, machine.version, function.arrays[name], stmt.location, machine.file
        )
        return ref
    if name not in imp.program.arrays:
        imp.error(stmt.location, f"unknown GlobalProperty array {name}")
        return None
    entries, where, cfile = imp.program.arrays[name]
    match = VERSIONED_SET.fullmatch(name)
    if match:
        scope, version = match.group(1), Version.parse(f"{match.group(2)}.{match.group(3)}")
        ref = f"{scope} {version}"
    else:
        scope, version, ref = name, None, name
    add_set(imp, ref, scope, version, entries, where, imp.mtc_file(cfile.shown))
    return ref


def add_set(imp: Importer, ref, scope, version, c_entries, where, file) -> None:
    if ref in imp.out.sets:
        return
    entries = []
    for entry in c_entries:
        parts = []
        for what, value in (
            ("driver", entry.driver),
            ("property", entry.property),
            ("value", entry.value),
        ):
            if not isinstance(value, CStr) or (what != "driver" and not value.is_plain):
                why = value.why if isinstance(value, Unknown) else "not a string"
                imp.error(entry.location, f"cannot translate the entry's {what}: {why}")
                break
            parts.append(value.text)
        else:
            entries.append(
                model.Entry(
                    parts[0],
                    parts[1],
                    parts[2],
                    entry.optional,
                    entry.location,
                    guards.guard(imp, entry.cond, entry.location),
                    entry.comment,
                    entry.comment_above,
                )
            )
    imp.out.sets[ref] = model.CompatSet(scope, version, entries, file, where)
