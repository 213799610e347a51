"""#if conditions as the language's guards: TARGET_* symbols become
'target == T', build options 'config.CONFIG_X' (declared from the
vocabulary or --config), and symbols no system emulator defines
(CONFIG_USER_ONLY) are folded away first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Location
from .csource import Cond

if TYPE_CHECKING:
    from .extract import Importer


def fold(imp: Importer, cond: Cond | None) -> Cond | bool:
    """The condition with every symbol no system emulator defines taken as
    undefined: True or False when that decides it."""
    if cond is None:
        return True
    kind = cond[0]
    if kind in ("defined", "ident"):
        return False if cond[1] in imp.vocab["undefined-in-system-emulators"] else cond
    if kind == "int":
        return bool(cond[1])
    if kind == "not":
        inner = fold(imp, cond[1])
        return (not inner) if isinstance(inner, bool) else ("not", inner)
    if kind in ("and", "or"):
        a, b = fold(imp, cond[1]), fold(imp, cond[2])
        decisive = kind == "or"  # True decides an 'or', False an 'and'
        if a is decisive or b is decisive:
            return decisive
        if isinstance(a, bool):
            return b
        if isinstance(b, bool):
            return a
        return (kind, a, b)
    return cond


def guard(imp: Importer, cond: Cond | None, location: Location) -> str | None:
    """The guard text of a condition (None: unconditional)."""
    folded = fold(imp, cond)
    if folded is True:
        return None
    if folded is False:
        imp.error(location, "under an #if no system emulator builds: cannot be expressed")
        return None
    return guard_text(imp, folded, location)


def guard_text(imp: Importer, cond: Cond, location: Location) -> str | None:
    kind = cond[0]
    if kind in ("defined", "ident"):
        name = cond[1]
        if name.startswith("TARGET_"):
            targets = [t for t in imp.targets if name in imp.vocab["targets"][t]["defined"]]
            if not targets:
                return "target == none"
            return " or ".join(f"target == {t}" for t in targets)
        if name in imp.vocab["configs"]:
            config = imp.vocab["configs"][name]
            imp.out.configs[name] = (config["default"], config["desc"])
            return f"config.{name}"
        imp.error(
            location,
            f"unknown build option {name} in #if: give --config {name}=on|off "
            "(--partial declares it off)",
        )
        imp.out.configs[name] = (False, "build option of the C's #if (declared by --partial)")
        return f"config.{name}"
    if kind == "not":
        inner = guard_text(imp, cond[1], location)
        if inner is None:
            return None
        return (
            f"not ({inner})" if " " in inner and not inner.startswith("config.") else f"not {inner}"
        )
    if kind in ("and", "or"):
        a = guard_text(imp, cond[1], location)
        b = guard_text(imp, cond[2], location)
        if a is None or b is None:
            return None
        return f"({a}) {kind} ({b})"
    imp.error(location, f"cannot translate the #if condition {cond[1]!r}")
    return None
