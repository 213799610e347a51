"""Compat tables: each scope's versioned sets where its c-scope puts them.

A scope with `tables F in Q` gets F, the GlobalProperty arrays (newest
release first) with their _len, replacing QEMU's arrays in Q, and with
`declarations H in QH` the header H, their extern declarations, replacing
QEMU's list in QH (include/hw/boards.h holds hw's, include/hw/i386/pc.h
pc's): every scope's declarations stand in for that scope's list only, so
nothing is declared twice.  An entry under a build-time guard sits in its
array inside #if ... #endif.  Entries under a host guard (host.os,
host.kernel, accel, feature) cannot be static: they go to a second table of
the set, <set>_host[] of MtcHostCompat, each with a generated `static bool`
condition function over `const MtcHost *host` (one per distinct guard and
file); mtc_compat_props_add_host() (host.py) appends those whose condition
holds, once the host is known.

Sets of a `local` scope (ccw, spapr) are arrays inside the options function
that adds them (machines.py); family-wide sets are QEMU's, beside the base
function that adds them, unless the family's base is `inline` (machines.py
writes them then).
"""

from __future__ import annotations

import re

from ...records import field, record
from ...model import CompatSet, Corpus, Guard
from .conditions import CBackendError, Condition, host_expr, wrap_lines, wrap_return
from .conventions import HOST_HEADER, Conventions, output_path
from .templates import template
from .text import banner, block_comment, c_ident, c_string, entry_fields, entry_line
from .text import include_lines, where, with_comment


def is_host_guard(guard: Guard | None) -> bool:
    return guard is not None and not guard.is_build_time


@record
class HostConditions:
    """The `static bool` condition functions of one file, one per distinct
    host guard, numbered in order of first use."""

    functions: list[dict] = field(default_factory=list)
    by_expr: dict[str, str] = field(default_factory=dict)

    def name_for(self, guard: Guard) -> str:
        expr = host_expr(guard, c_string)
        name = self.by_expr.get(expr.text)
        if name is None:
            name = f"mtc_host_guard_{len(self.functions) + 1}"
            self.by_expr[expr.text] = name
            self.functions.append(
                {
                    "name": name,
                    "comment": block_comment(str(guard), ""),
                    "body": wrap_return(expr),
                }
            )
        return name


def set_name(compat: CompatSet) -> str:
    return c_ident(compat.c_name, "compat set", compat.location)


def render_set(compat: CompatSet, names: set[str], conditions: HostConditions) -> dict:
    """The lines of a set's static array (build-time guards as #if blocks)
    and of its _host table."""
    static = []
    host = []
    for entry in compat.entries:
        if is_host_guard(entry.guard):
            function = conditions.name_for(entry.guard)
            host.append(with_comment(entry, f"    {{ {function}, {entry_fields(entry, names)} }},"))
        else:
            static.append((Condition.of(entry.guard), entry_line(entry, names)))
    return {"name": set_name(compat), "entries": wrap_lines(static), "host": host}


def header_includes(names, conventions: Conventions) -> list[tuple[str, bool]]:
    """The c-header of each name that has one, in name order."""
    return [conventions.headers[n] for n in sorted(names) if n in conventions.headers]


def include_guard(file: str) -> str:
    return "MTC_" + re.sub(r"[^A-Za-z0-9]", "_", file).upper()


def versioned_sets(corpus: Corpus, scope: str) -> list[CompatSet]:
    """A scope's versioned sets, newest first."""
    sets = [c for c in corpus.compat_sets.values() if c.scope == scope and c.version is not None]
    return sorted(sets, key=lambda c: tuple(-p for p in c.version.parts))


def render_tables(conventions: Conventions, sources: list[str]) -> dict[str, str]:
    corpus = conventions.corpus
    outputs = {}
    seen_names: dict[str, CompatSet] = {}
    for scope in sorted(corpus.c_scopes.values(), key=lambda s: s.scope):
        if scope.tables is None:
            continue
        names: set[str] = set()
        conditions = HostConditions()
        rendered = []
        for compat in versioned_sets(corpus, scope.scope):
            name = set_name(compat)
            if name in seen_names:
                raise CBackendError(
                    f"{where(compat)}: compat set '{compat.display}' and "
                    f"'{seen_names[name].display}' are both {name} in C"
                )
            seen_names[name] = compat
            rendered.append(render_set(compat, names, conditions))
        has_host = any(r["host"] for r in rendered)
        includes = header_includes(names, conventions)
        if has_host:
            includes.append((HOST_HEADER, False))
        uses = sorted(n for n in names if n not in conventions.headers)
        notes = [
            f"Included by {scope.tables.qemu_file} in place of its {scope.scope} compat "
            f"arrays: from the first {scope.scope}_compat_X_Y[] to the last "
            f"{scope.scope}_compat_X_Y_len."
        ]
        if uses:
            notes.append(f"Uses what that file includes: {', '.join(uses)}.")
        outputs[output_path(scope.tables.file)] = template("tables.c.j2").render(
            banner=banner(sources, *notes),
            includes=include_lines(includes),
            sets=rendered,
            host_functions=conditions.functions,
        )
        if scope.declarations is not None:
            declared = scope.declarations
            outputs[output_path(declared.file)] = template("declarations.h.j2").render(
                banner=banner(
                    sources,
                    f"Included by {declared.qemu_file} in place of its extern declarations "
                    f"of the {scope.scope} compat arrays, which {scope.tables.file} defines.",
                ),
                guard=include_guard(declared.file),
                includes=include_lines(
                    [("hw/qdev-core.h", False), *([(HOST_HEADER, False)] if has_host else [])]
                ),
                sets=[{"name": r["name"], "host": bool(r["host"])} for r in rendered],
            )
    return outputs
