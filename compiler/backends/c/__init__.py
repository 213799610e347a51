"""C backend: QEMU-style compat tables and machine definitions, for every build.

The JSON and libvirt outputs describe one configured binary; the C describes
them all: build-time guards (config.X, target == T) become preprocessor
conditions, so the machines and entries of every configuration are written,
each under its #if (conditions.py).  Machines are therefore read from the
corpus, not from the resolved model, which leaves out what the current
configuration does not build; their facts (alias, default, deprecation) are
the model's own.

Files written below generated/c/:

- hw_compat.c, pc_compat.c: every GlobalProperty array of a scope, newest
  release first, with its _len, the way hw/core/machine.c and hw/i386/pc.c
  write them.  Family-wide sets (pc_q35_compat_defaults) go beside the
  versioned sets of the family's scope.  An entry under a build-time guard
  sits in its array inside #if ... #endif.  Entries under a host guard
  (host.os, host.kernel, accel, feature) cannot be static: they go to a
  second table of the set, <set>_host[] of MtcHostCompat, each with a
  generated `static bool` condition function over `const MtcHost *host`
  (one per distinct guard and file); mtc_compat_props_add_host() appends
  those whose condition holds.  Applying them is the caller's job, once
  the host is known (the accelerator is chosen after class_init); options
  functions add the static arrays only.
- compat.h: the extern declarations, as include/hw/boards.h and
  include/hw/i386/pc.h hold them (and of the _host tables).
- host.h: MtcHost (os, kernel major.minor, accelerator, a has_feature
  callback), MtcHostCompat, the table of host-dependent properties and the
  helpers the conditions use.
- host_features.c: for every `property D.P depends-on F`, {F, D, P} in
  mtc_host_dependent_properties[], mtc_check_host_property(), which fails
  (error_setg) when an explicit on (qapi_bool_parse's on, yes, true, y)
  meets a host without the feature, and mtc_compat_props_add_host().
- pc_piix_machines.c, pc_q35_machines.c: for each family with a C style
  (FAMILY_STYLES), in QEMU's order:
  * versioned families (pc-i440fx, pc-q35): the DEFINE_*_MACHINE macros,
    the family base options function and one options function per
    version, newest first: it calls the next newer version's function (the
    base function for the newest), then compat_props_add() for its own
    sets, then its option assignments; alias/default by _AS_LATEST;
  * DEFINE_PC_MACHINE families (isapc, xenfv): one options function per
    machine: a machine without a parent writes its families' facts itself
    (isapc_machine_options); one with a parent calls the parent's options
    function (pc_i440fx_machine_4_2_options for xenfv-4.2) and sets its own
    family's desc when the parent is of another family; then its sets,
    m->alias for an alias (pinned or not), m->is_default, an explicit
    m->deprecation_reason (DEFINE_PC_MACHINE computes none), its options.
    The DEFINE_PC_MACHINE suffix is the machine's name as a C identifier
    (isapc, xenfv_4_2, xenfv_3_1): it only names static symbols, so the
    rule is uniform where QEMU kept `xenfv` for xenfv-3.1.
  A machine exists where its family's guard, its own guard and its family's
  targets hold: its DEFINE line is under that condition.  Its options
  function is needed there and wherever a machine inheriting from it exists
  (xenfv-4.2 needs pc_i440fx_machine_4_2_options), so it is under the "or"
  of those; consecutive pieces with one condition share one #if, as
  pc_piix.c's #ifdef CONFIG_XEN block does.  Local declarations (pcmc,
  x86mc) and headers follow the conditions of the lines that use them, so
  no configuration sees an unused variable or a missing header.  Within one
  function, an assignment a later unconditional one overrides is dropped.

Target-dependent drivers (${TYPE_X86_CPU}) are written as the macro, so one
file serves every target.

Not written: option assignments under a host guard (a CBackendError: a
machine class is built once, before any host is known), and the deprecation
of versioned machines, which QEMU's DEFINE_PC_VER_MACHINE derives itself
(MACHINE_VER_DEPRECATION).
"""

from __future__ import annotations

import itertools
import os
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ...model import CompatEntry, CompatSet, Corpus, Family, Guard, Machine
from ...resolve import Resolved
from ... import lifecycle, values
from .conditions import (
    ALWAYS,
    NEVER,
    CBackendError,
    Condition,
    blocks,
    host_expr,
    wrap_lines,
    wrap_return,
)

TEMPLATES = Path(__file__).parent

_MACRO_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LVALUE_ROOT_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*->")
# Printable ASCII but for the double quote, the question mark and the backslash.
_PLAIN_STRING_RE = re.compile(r"[\x20\x21\x23-\x3e\x40-\x5b\x5d-\x7e]*\Z")

__all__ = ["CBackendError", "emit"]


# -- how QEMU spells things ----------------------------------------------------


@dataclass(frozen=True)
class CompatFile:
    path: str  # below generated/
    qemu_source: str  # where QEMU keeps these arrays
    qemu_header: str  # where QEMU declares them


# Versioned sets by scope.  A scope not listed gets c/<scope>_compat.c.
SCOPE_FILES = {
    "hw": CompatFile("c/hw_compat.c", "hw/core/machine.c", "include/hw/boards.h"),
    "pc": CompatFile("c/pc_compat.c", "hw/i386/pc.c", "include/hw/i386/pc.h"),
}

HEADER = "c/compat.h"
HOST_HEADER = "c/host.h"
HOST_FEATURES = "c/host_features.c"


@dataclass(frozen=True)
class FamilyStyle:
    """How one family's machines are written in QEMU."""

    prefix: str  # pc_i440fx -> pc_i440fx_machine_9_2_options
    define: str  # DEFINE_I440FX_MACHINE (+ _AS_LATEST, _BUGFIX), or DEFINE_PC_MACHINE
    define_impl: str  # the include/hw/... macro the DEFINE macros expand to
    init_fn: str  # the machine init function DEFINE_*_MACHINE passes on
    path: str  # below generated/
    qemu_source: str
    includes: tuple[str, ...]
    compat_file: str  # where the family-wide sets of this family go
    # False: DEFINE_PC_MACHINE(suffix, name, init, options function) per
    # machine, no base function, no version macros.
    versioned: bool = True
    # The targets QEMU compiles `qemu_source` for: a family built for fewer
    # gets a target condition.
    targets: tuple[str, ...] = ("x86_64", "i386")

    @property
    def base_fn(self) -> str:
        return f"{self.prefix}_machine_options"

    def options_fn(self, machine: Machine) -> str:
        if machine.version is None:
            return f"{self.prefix}_machine_options"
        return f"{self.prefix}_machine_{machine.version.c_suffix}_options"


_PC_INCLUDES = ("qemu/units.h", "hw/boards.h", "hw/i386/x86.h", "hw/i386/pc.h")

# Families without a style get compat tables but no machine definitions: each
# QEMU target has its own DEFINE_*_MACHINE scheme, and guessing one would
# produce C that looks right and is not.  Families sharing a file are
# written in this order (pc_piix.c: i440fx, then isapc, then xenfv).
FAMILY_STYLES = {
    "pc-i440fx": FamilyStyle(
        prefix="pc_i440fx",
        define="DEFINE_I440FX_MACHINE",
        define_impl="DEFINE_PC_VER_MACHINE",
        init_fn="pc_i440fx_init",
        path="c/pc_piix_machines.c",
        qemu_source="hw/i386/pc_piix.c",
        includes=_PC_INCLUDES,
        compat_file="c/pc_compat.c",
    ),
    "pc-q35": FamilyStyle(
        prefix="pc_q35",
        define="DEFINE_Q35_MACHINE",
        define_impl="DEFINE_PC_VER_MACHINE",
        init_fn="pc_q35_init",
        path="c/pc_q35_machines.c",
        qemu_source="hw/i386/pc_q35.c",
        includes=_PC_INCLUDES,
        compat_file="c/pc_compat.c",
    ),
    "isapc": FamilyStyle(
        prefix="isapc",
        define="DEFINE_PC_MACHINE",
        define_impl="DEFINE_PC_MACHINE",
        init_fn="pc_init_isa",
        path="c/pc_piix_machines.c",
        qemu_source="hw/i386/pc_piix.c",
        includes=_PC_INCLUDES,
        compat_file="c/pc_compat.c",
        versioned=False,
    ),
    "xenfv": FamilyStyle(
        prefix="xenfv",
        define="DEFINE_PC_MACHINE",
        define_impl="DEFINE_PC_MACHINE",
        init_fn="pc_xen_hvm_init",
        path="c/pc_piix_machines.c",
        qemu_source="hw/i386/pc_piix.c",
        includes=_PC_INCLUDES,
        compat_file="c/pc_compat.c",
        versioned=False,
    ),
}

# Local declarations for the lvalue roots of option assignments, in the
# order QEMU writes them (pc_i440fx_machine_2_6_options).  `m` is the
# function's parameter.
LOCAL_DECLS = {
    "m": None,
    "x86mc": "X86MachineClass *x86mc = X86_MACHINE_CLASS(m);",
    "pcmc": "PCMachineClass *pcmc = PC_MACHINE_CLASS(m);",
}

# Headers that define the macros the output may name; <...> for a system
# header (Xen's public headers are installed ones).
MACRO_HEADERS = {
    "TYPE_X86_CPU": "target/i386/cpu.h",
    "TARGET_DEFAULT_CPU_TYPE": "target/i386/cpu.h",
    "CPU_VERSION_LEGACY": "target/i386/cpu.h",
    "SMBIOS_ENTRY_POINT_TYPE_32": "hw/firmware/smbios.h",
    "SMBIOS_ENTRY_POINT_TYPE_64": "hw/firmware/smbios.h",
    "HVM_MAX_VCPUS": "<xen/hvm/hvm_info_table.h>",
}
SIZE_HEADER = "qemu/units.h"

MAX_LINE = 80


# -- C text ----------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}


@lru_cache(maxsize=4096)
def c_string(text: str) -> str:
    """A C string literal holding exactly the UTF-8 bytes of `text`.

    Other control characters and non-ASCII are written as 3-digit octal
    escapes, one per UTF-8 byte: an octal escape stops after 3 digits, so a
    following digit is never swallowed (as it would be by \\x).  A '?' after a
    '?' is escaped so no trigraph can form.
    """
    if _PLAIN_STRING_RE.match(text):
        return f'"{text}"'
    out = ['"']
    previous = ""
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "?":
            out.append("\\?" if previous == "?" else "?")
        elif " " <= char <= "~":
            out.append(char)
        elif char == "\0":
            raise CBackendError("a C string cannot hold a NUL character")
        else:
            out.extend(f"\\{byte:03o}" for byte in char.encode("utf-8"))
        previous = char
    out.append('"')
    return "".join(out)


def c_string_at(text: str, location) -> str:
    """c_string(), with the source location in its error."""
    try:
        return c_string(text)
    except CBackendError as exc:
        raise CBackendError(f"{location.file}:{location.line}: {exc}") from None


def c_comment_text(text: str) -> str:
    """`text` made safe inside /* ... */: it can neither end the comment nor
    open a nested one (gcc -Wcomment), and it stays on one line."""
    text = "".join(char if char >= " " or char == "\t" else " " for char in text)
    text = text.replace("*/", "* /").replace("/*", "/ *")
    return text.strip()


def c_ident(name: str, what: str, location=None) -> str:
    """A C identifier for a DSL name: QEMU's names use '_' where ours use '-'."""
    ident = name.replace("-", "_")
    if not _IDENT_RE.match(ident):
        where = f"{location.file}:{location.line}: " if location is not None else ""
        raise CBackendError(f"{where}{what} '{name}' cannot be written as a C identifier")
    return ident


def driver_expr(driver: str) -> tuple[str, list[str]]:
    """QEMU's C for a driver: "EPYC-${TYPE_X86_CPU}" -> "EPYC-" TYPE_X86_CPU.

    Returns the expression and the macros it names."""
    if "${" not in driver:
        return c_string(driver), []
    parts = []
    macros = []
    position = 0
    for match in _MACRO_RE.finditer(driver):
        if match.start() > position:
            parts.append(c_string(driver[position : match.start()]))
        parts.append(match.group(1))
        macros.append(match.group(1))
        position = match.end()
    if position < len(driver):
        parts.append(c_string(driver[position:]))
    return " ".join(parts), macros


def banner(sources: list[str], *notes: str) -> str:
    text = f"generated by mtc from {', '.join(sources)}; do not edit"
    lines = textwrap.wrap(
        c_comment_text(text), width=MAX_LINE - 3, break_long_words=False, break_on_hyphens=False
    )
    for note in notes:
        lines.append("")
        lines.extend(textwrap.wrap(c_comment_text(note), width=MAX_LINE - 3))
    body = "\n".join(f" * {line}" if line else " *" for line in lines)
    return f"/*\n{body}\n */"


def block_comment(text: str, indent: str) -> list[str]:
    """/* text */ on one line if it fits, else QEMU's multi-line form."""
    text = c_comment_text(text)
    line = f"{indent}/* {text} */"
    if len(line) <= MAX_LINE:
        return [line]
    width = MAX_LINE - len(indent) - 3
    body = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
    return [f"{indent}/*", *(f"{indent} * {part}" for part in body), f"{indent} */"]


def ordered_includes(*groups) -> list[str]:
    """osdep.h first, as QEMU requires, then each header once, in order."""
    seen = ["qemu/osdep.h"]
    for group in groups:
        for header in group:
            if header not in seen:
                seen.append(header)
    return seen


def compat_props_add(name: str) -> str:
    line = f"    compat_props_add(m->compat_props, {name}, {name}_len);"
    if len(line) <= MAX_LINE:
        return line
    return f"    compat_props_add(m->compat_props,\n                     {name}, {name}_len);"


def include_line(header: str) -> str:
    return f"#include {header}" if header.startswith("<") else f'#include "{header}"'


def include_lines(unconditional: list[str], conditional=()) -> list[str]:
    """#include lines: `unconditional` in order, then (condition, header)
    pairs, consecutive equal conditions in one #if."""
    lines = [include_line(h) for h in unconditional]
    lines += wrap_lines((cond, include_line(h)) for cond, h in conditional)
    return lines


def where(node) -> str:
    return f"{node.location.file}:{node.location.line}"


# -- compat tables -----------------------------------------------------------------


def is_host_guard(guard: Guard | None) -> bool:
    return guard is not None and not guard.is_build_time


def entry_fields(entry: CompatEntry, macros: set[str]) -> str:
    """{ driver, property, value[, .optional = true] }"""
    try:
        driver, used = driver_expr(entry.driver)
        fields = [driver, c_string(entry.property), c_string(entry.value)]
    except CBackendError as exc:
        raise CBackendError(f"{where(entry)}: {exc}") from None
    macros.update(used)
    if entry.optional:
        fields.append(".optional = true")
    return f"{{ {', '.join(fields)} }}"


def with_comment(entry: CompatEntry, line: str) -> str:
    """The entry's DSL comment carried onto (or above) its line."""
    if entry.comment and not entry.comment_above:
        line += f" /* {c_comment_text(entry.comment)} */"
    if entry.comment and entry.comment_above:
        line = f"    /* {c_comment_text(entry.comment)} */\n{line}"
    return line


def entry_line(entry: CompatEntry, macros: set[str]) -> str:
    return with_comment(entry, f"    {entry_fields(entry, macros)},")


@dataclass
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


def host_entry_line(entry: CompatEntry, function: str, macros: set[str]) -> str:
    return with_comment(entry, f"    {{ {function}, {entry_fields(entry, macros)} }},")


def set_name(compat: CompatSet) -> str:
    return c_ident(compat.c_name, "compat set", compat.location)


def set_file(compat: CompatSet, corpus: Corpus) -> CompatFile:
    if compat.version is not None:
        known = SCOPE_FILES.get(compat.scope)
        if known is not None:
            return known
        ident = c_ident(compat.scope, "compat scope", compat.location)
        return CompatFile(f"c/{ident}_compat.c", "", "")
    for family in corpus.families.values():
        style = FAMILY_STYLES.get(family.name)
        if style is not None and any(ref.key == compat.key for ref in family.compat):
            for known in SCOPE_FILES.values():
                if known.path == style.compat_file:
                    return known
            return CompatFile(style.compat_file, style.qemu_source, style.qemu_source)
    return CompatFile(f"c/{set_name(compat)}.c", "", "")


def set_order(compat: CompatSet):
    """Versioned sets newest first, then family-wide sets by name."""
    if compat.version is not None:
        return (0, tuple(-p for p in compat.version.parts), "")
    return (1, (), compat.c_name)


def render_set(compat: CompatSet, macros: set[str], conditions: HostConditions) -> dict:
    """The lines of a set's static array (build-time guards as #if blocks)
    and of its _host table."""
    static = []
    host = []
    for entry in compat.entries:
        if is_host_guard(entry.guard):
            host.append(host_entry_line(entry, conditions.name_for(entry.guard), macros))
        else:
            static.append((Condition.of(entry.guard), entry_line(entry, macros)))
    return {"name": set_name(compat), "entries": wrap_lines(static), "host": host}


def render_tables(corpus: Corpus, sources: list[str]) -> dict[str, str]:
    files: dict[str, tuple[CompatFile, list[CompatSet]]] = {}
    for compat in sorted(corpus.compat_sets.values(), key=set_order):
        info = set_file(compat, corpus)
        files.setdefault(info.path, (info, []))[1].append(compat)

    seen_names: dict[str, CompatSet] = {}
    outputs = {}
    header_groups = []
    any_host = False
    template = _template("compat_tables.c.j2")
    for path in sorted(files, key=_file_order):
        info, sets = files[path]
        macros: set[str] = set()
        conditions = HostConditions()
        rendered = []
        for compat in sets:
            name = set_name(compat)
            if name in seen_names:
                raise CBackendError(
                    f"{compat.location.file}:{compat.location.line}: compat set "
                    f"'{compat.display}' and '{seen_names[name].display}' are both {name} in C"
                )
            seen_names[name] = compat
            rendered.append(render_set(compat, macros, conditions))
        has_host = any(r["host"] for r in rendered)
        any_host = any_host or has_host
        includes = ordered_includes(
            ["hw/boards.h"],
            [MACRO_HEADERS[m] for m in sorted(macros) if m in MACRO_HEADERS],
            [HEADER.removeprefix("c/")],
            [HOST_HEADER.removeprefix("c/")] if has_host else [],
        )
        notes = [f"QEMU keeps these in {info.qemu_source}."] if info.qemu_source else []
        outputs[path] = template.render(
            banner=banner(sources, *notes),
            includes=include_lines(includes),
            sets=rendered,
            host_functions=conditions.functions,
        )
        header_groups.append(
            {
                "title": path.removeprefix("c/")
                + (f" (QEMU: {info.qemu_header})" if info.qemu_header else ""),
                "sets": [{"name": r["name"], "host": bool(r["host"])} for r in rendered],
            }
        )
    outputs[HEADER] = _template("compat.h.j2").render(
        banner=banner(sources),
        includes=include_lines(
            ["hw/boards.h", *([HOST_HEADER.removeprefix("c/")] if any_host else [])]
        ),
        groups=header_groups,
    )
    return outputs


def _file_order(path: str):
    known = [info.path for info in SCOPE_FILES.values()]
    return (known.index(path) if path in known else len(known), path)


# -- host facts: host.h and host_features.c ------------------------------------------


def render_host(corpus: Corpus, sources: list[str]) -> dict[str, str]:
    macros: set[str] = set()
    entries = []
    for prop in corpus.host_properties:
        try:
            driver, used = driver_expr(prop.driver)
            fields = [c_string(prop.feature), driver, c_string(prop.property)]
        except CBackendError as exc:
            raise CBackendError(f"{where(prop)}: {exc}") from None
        macros.update(used)
        feature = corpus.features.get(prop.feature)
        entries.append(
            {
                "feature": prop.feature,
                "comment": c_comment_text(
                    f"{prop.feature}: {feature.description}" if feature else prop.feature
                ),
                "line": f"    {{ {', '.join(fields)} }},",
            }
        )
    # One comment per run of entries that need the same feature.
    lines = []
    for _, group in itertools.groupby(entries, key=lambda e: e["feature"]):
        group = list(group)
        lines.extend(block_comment(group[0]["comment"], "    "))
        lines.extend(e["line"] for e in group)
    includes = ordered_includes(
        ["qapi/error.h"],
        [MACRO_HEADERS[m] for m in sorted(macros) if m in MACRO_HEADERS],
        [HOST_HEADER.removeprefix("c/")],
    )
    return {
        HOST_HEADER: _template("host.h.j2").render(banner=banner(sources)),
        HOST_FEATURES: _template("host_features.c.j2").render(
            banner=banner(sources), includes=include_lines(includes), entries=lines
        ),
    }


# -- machine definitions -------------------------------------------------------------


@dataclass
class Stmt:
    """A statement of an options function: `lines` as written (indented),
    under `condition`; an assignment names its lvalue and root variable."""

    lines: str
    condition: Condition = ALWAYS
    lvalue: str | None = None
    root: str | None = None
    macros: tuple[str, ...] = ()
    size: bool = False
    title: bool = False  # a section's title comment


def option_value(assign, macros: set[str], sizes: list) -> str:
    value = assign.value
    if value.kind == "bool":
        return value.text
    if value.kind == "int":
        return value.text
    if value.kind == "size":
        sizes.append(value)
        return values.c_size(value.text)
    if value.kind == "macro":
        macros.add(value.text)
        return value.text
    if value.kind == "typeref":
        # "${TARGET_DEFAULT_CPU_TYPE}" or "486-${TYPE_X86_CPU}", written as a driver is.
        text = value.text if "${" in value.text else f"${{{value.text}}}"
        try:
            expr, used = driver_expr(text)
        except CBackendError as exc:
            raise CBackendError(f"{value.location.file}:{value.location.line}: {exc}") from None
        macros.update(used)
        return expr
    return c_string_at(value.text, value.location)


def assignment(lvalue: str, value: str, **kwargs) -> Stmt:
    match = _LVALUE_ROOT_RE.match(lvalue)
    return Stmt(
        f"    {lvalue} = {value};", lvalue=lvalue, root=match.group(1) if match else None, **kwargs
    )


def option_stmts(assigns, corpus: Corpus) -> list[Stmt]:
    stmts = []
    for assign in assigns:
        decl = corpus.options[assign.name]
        if not getattr(decl, "c_lvalue", None):
            continue  # an option with no machine-class field: nothing to write in C
        match = _LVALUE_ROOT_RE.match(decl.c_lvalue)
        root = match.group(1) if match else None
        if root not in LOCAL_DECLS:
            loc = decl.location
            raise CBackendError(
                f"{loc.file}:{loc.line}: option {decl.name}: the C backend knows no local "
                f"declaration for '{decl.c_lvalue}' (known: "
                + ", ".join(f"{r}->" for r in LOCAL_DECLS)
                + ")"
            )
        if is_host_guard(assign.guard):
            raise CBackendError(
                f"{where(assign)}: option {decl.name} is assigned under a host guard "
                f"({assign.guard}): C cannot write that, since a machine class is built "
                "once, before any host is known (guard a compat entry instead)"
            )
        macros: set[str] = set()
        sizes: list = []
        value = option_value(assign, macros, sizes)
        stmts.append(
            assignment(
                decl.c_lvalue,
                value,
                condition=Condition.of(assign.guard),
                macros=tuple(sorted(macros)),
                size=bool(sizes),
            )
        )
    return stmts


def compat_stmts(refs, corpus: Corpus) -> list[Stmt]:
    return [Stmt(compat_props_add(set_name(corpus.compat_sets[ref.key]))) for ref in refs]


def lineage_sections(family: Family, corpus: Corpus) -> list[list[Stmt]]:
    """What a family and the families it extends say, most basic first: a
    section per family (titled when there are several), then their sets."""
    sections = []
    lineage = family.lineage()
    for member in lineage:
        stmts = []
        if member.desc is not None:
            stmts.append(assignment("m->desc", c_string_at(member.desc, member.location)))
        stmts += option_stmts(member.options, corpus)
        if stmts:
            if len(lineage) > 1:
                title = c_comment_text(f"family {member.name}")
                stmts.insert(0, Stmt(f"    /* {title} */", title=True))
            sections.append(stmts)
    sections.append([s for member in lineage for s in compat_stmts(member.compat, corpus)])
    return sections


def family_desc(family: Family) -> str | None:
    descs = [(member.desc, member) for member in family.lineage() if member.desc is not None]
    if not descs:
        return None
    desc, member = descs[-1]
    return c_string_at(desc, member.location)


@dataclass
class Function:
    """A rendered options function and what it needs from the file."""

    text: str
    macros: set[str]
    size: bool


def render_function(name: str, sections: list[list[Stmt]]) -> Function:
    # Drop an unconditional assignment a later unconditional one overrides.
    final: dict[str, int] = {}
    for section in sections:
        for stmt in section:
            if stmt.lvalue is not None and stmt.condition.always:
                final[stmt.lvalue] = id(stmt)

    def kept(stmt: Stmt) -> bool:
        return not (
            stmt.lvalue is not None and stmt.condition.always and final.get(stmt.lvalue) != id(stmt)
        )

    groups = []
    roots: dict[str, Condition] = {}
    macros: set[str] = set()
    size = False
    for section in sections:
        stmts = [s for s in section if kept(s)]
        if not any(not s.title for s in stmts):
            continue
        for stmt in stmts:
            if stmt.root is not None:
                roots[stmt.root] = roots.get(stmt.root, NEVER) | stmt.condition
            macros.update(stmt.macros)
            size = size or stmt.size
        groups.append(wrap_lines((s.condition, s.lines) for s in stmts))
    decls = wrap_lines(
        (roots[root], f"    {decl}") for root, decl in LOCAL_DECLS.items() if decl and root in roots
    )
    text = _template("options_function.c.j2").render(name=name, decls=decls, groups=groups)
    return Function(text=text.rstrip("\n"), macros=macros, size=size)


def machine_namestr(family: Family) -> str:
    pattern = family.pattern or ""
    if not pattern.endswith("-{version}") or "{version}" in pattern[: -len("{version}")]:
        loc = family.location
        raise CBackendError(
            f"{loc.file}:{loc.line}: family {family.name}: QEMU's DEFINE_*_MACHINE macros "
            f'name machines "<name>-<version>", not "{pattern}"'
        )
    return pattern[: -len("-{version}")]


def pc_machine_suffix(machine: Machine) -> str:
    """DEFINE_PC_MACHINE's suffix: the machine's name as a C identifier."""
    ident = re.sub(r"[-.]", "_", machine.name)
    if not _IDENT_RE.match(ident):
        raise CBackendError(
            f"{where(machine)}: machine name '{machine.name}' cannot be written as a C identifier"
        )
    return ident


def define_call(macro: str, args: list[str]) -> str:
    """MACRO(a, b, ...); wrapped as QEMU wraps it when longer than a line."""
    line = f"{macro}({', '.join(args)});"
    if len(line) <= MAX_LINE or len(args) < 2:
        return line
    indent = " " * (len(macro) + 1)
    lines = [f"{macro}({args[0]},"]
    for arg in args[1:-1]:
        candidate = f"{lines[-1]} {arg},"
        if len(candidate) <= MAX_LINE:
            lines[-1] = candidate
        else:
            lines.append(f"{indent}{arg},")
    last = f"{lines[-1]} {args[-1]});"
    if len(last) <= MAX_LINE:
        lines[-1] = last
    else:
        lines.append(f"{indent}{args[-1]});")
    return "\n".join(lines)


def machine_alias(machine: Machine, family: Family) -> str | None:
    if machine.alias is None:
        return None
    return machine.alias_name or family.alias


class MachineFiles:
    """Every machine of every styled family, where it exists and where its
    options function is needed."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.families: list[tuple[Family, FamilyStyle]] = []
        for name, style in FAMILY_STYLES.items():
            family = corpus.families.get(name)
            if family is not None and not family.abstract:
                self.families.append((family, style))
        self.machines: dict[str, list[Machine]] = {}
        self.home: dict[int, tuple[Family, FamilyStyle]] = {}
        for family, style in self.families:
            machines = sorted(
                (m for m in corpus.machines if m.family == family.name and m.name),
                key=lambda m: (m.version is not None, m.version or ()),
                reverse=True,
            )
            self.machines[family.name] = machines
            for machine in machines:
                self.home[id(machine)] = (family, style)
        self.children: dict[int, list[Machine]] = {}
        for machines in self.machines.values():
            for machine in machines:
                if machine.parent is not None:
                    self.children.setdefault(id(machine.parent), []).append(machine)
        self._exists: dict[int, Condition] = {}
        self._needed: dict[int, Condition] = {}

    def exists(self, machine: Machine) -> Condition:
        """Where the machine is built: its family's guard, its own, and its
        family's targets (when fewer than the file is compiled for)."""
        key = id(machine)
        if key not in self._exists:
            family, style = self.home[key]
            self._exists[key] = Condition.of(
                family.guard, machine.guard, target_guard(family, style)
            )
        return self._exists[key]

    def needed(self, machine: Machine) -> Condition:
        """Where its options function is called: where it exists, or any
        machine inheriting from it does."""
        key = id(machine)
        if key not in self._needed:
            self._needed[key] = ALWAYS  # a cycle (checks.py reports them) ends here
            condition = self.exists(machine)
            for child in self.children.get(key, []):
                condition = condition | self.needed(child)
            self._needed[key] = condition
        return self._needed[key]

    def options_fn(self, machine: Machine) -> str:
        _, style = self.home[id(machine)]
        return style.options_fn(machine)


def target_guard(family: Family, style: FamilyStyle) -> Guard | None:
    names = [name for name, _ in family.targets]
    covered = [t for t in style.targets if t in names]
    stray = [t for t in names if t not in style.targets]
    if stray:
        raise CBackendError(
            f"{where(family)}: family {family.name} targets {', '.join(stray)}, but "
            f"{style.qemu_source} is only compiled for {', '.join(style.targets)}"
        )
    if len(covered) == len(style.targets):
        return None
    loc = family.location
    return Guard("or", loc, tuple(Guard("target", loc, value=t) for t in covered))


@dataclass
class Unit:
    """A piece of a machines file under a condition: a function or a DEFINE."""

    condition: Condition
    text: str


class FileWriter:
    """The pieces of one machines file, in order, and what they need."""

    def __init__(self, files: MachineFiles, path: str):
        self.files = files
        self.corpus = files.corpus
        self.path = path
        self.units: list[Unit] = []
        self.forward: list[tuple[Condition, str]] = []
        self.defined: set[str] = set()
        self.macro_defs: list[dict] = []
        self.macros: dict[str, Condition] = {}  # where the file names each macro
        self.size = False

    def add_function(self, condition: Condition, name: str, sections) -> None:
        function = render_function(name, sections)
        for macro in function.macros:
            self.macros[macro] = self.macros.get(macro, NEVER) | condition
        self.size = self.size or function.size
        self.units.append(Unit(condition, function.text))
        self.defined.add(name)

    def call_parent(self, machine: Machine) -> Stmt:
        parent = machine.parent
        if id(parent) not in self.files.home:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose family has "
                "no C style: its options function is not written"
            )
        _, parent_style = self.files.home[id(parent)]
        name = self.files.options_fn(parent)
        if parent_style.path != self.path:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose options "
                f"function {name}() is static in {parent_style.path}, not {self.path}"
            )
        if name not in self.defined:
            self.forward.append((self.files.needed(parent), name))
        return Stmt(f"    {name}(m);")

    def versioned_family(self, family: Family, style: FamilyStyle) -> None:
        machines = self.files.machines[family.name]
        roots = [m for m in machines if m.parent is None]
        base_condition = ALWAYS
        if roots:
            base_condition = self.files.needed(roots[0])
            for machine in roots[1:]:
                base_condition = base_condition | self.files.needed(machine)
        self.add_function(base_condition, style.base_fn, lineage_sections(family, self.corpus))

        namestr = c_string_at(machine_namestr(family), family.location)
        used: dict[str, dict] = {}
        newest = machines[0] if machines else None
        for machine in machines:
            alias = machine_alias(machine, family)
            is_default = machine.default is not None
            parts = machine.version.parts if machine.version is not None else ()
            if alias is not None or is_default:
                if machine is not newest or len(parts) != 2:
                    raise CBackendError(
                        f"{where(machine)}: {machine.name} is an alias or the default but "
                        f"not the newest {family.name} machine: QEMU's "
                        f"{style.define}_AS_LATEST cannot express that"
                    )
                macro = f"{style.define}_AS_LATEST"
                used[macro] = {
                    "params": "major, minor",
                    "is_default": "true" if is_default else "false",
                    "alias": "NULL" if alias is None else c_string_at(alias, family.location),
                }
            elif len(parts) in (2, 3):
                macro = style.define if len(parts) == 2 else f"{style.define}_BUGFIX"
                params = "major, minor" if len(parts) == 2 else "major, minor, micro"
                used.setdefault(macro, {"params": params, "is_default": "false", "alias": "NULL"})
            else:
                raise CBackendError(f"{where(machine)}: {machine.name}: no DEFINE macro for it")

            if machine.parent is not None:
                call = self.call_parent(machine)
            else:
                call = Stmt(f"    {style.base_fn}(m);")
            stmts = [call, *compat_stmts(machine.compat, self.corpus)]
            stmts += self.own_family_desc(machine, family)
            stmts += option_stmts(machine.options, self.corpus)
            self.add_function(self.files.needed(machine), style.options_fn(machine), [stmts])
            define = f"{macro}({', '.join(str(p) for p in parts)});"
            self.units.append(Unit(self.files.exists(machine), define))

        order = [style.define, f"{style.define}_AS_LATEST", f"{style.define}_BUGFIX"]
        for name in order:
            if name in used:
                self.macro_defs.append(
                    {
                        "name": name,
                        "impl": style.define_impl,
                        "prefix": style.prefix,
                        "namestr": namestr,
                        "init_fn": style.init_fn,
                        **used[name],
                    }
                )

    def own_family_desc(self, machine: Machine, family: Family) -> list[Stmt]:
        """m->desc for a machine whose parent is of another family: the
        parent's function set the parent family's."""
        if machine.parent is None or machine.parent.family == machine.family:
            return []
        desc = family_desc(family)
        return [] if desc is None else [assignment("m->desc", desc)]

    def pc_machine_family(self, family: Family, style: FamilyStyle) -> None:
        """DEFINE_PC_MACHINE(suffix, "name", init, options function) per machine."""
        corpus = self.corpus
        for machine in self.files.machines[family.name]:
            own = compat_stmts(machine.compat, corpus) if machine.parent is not None else []
            if machine.parent is not None:
                sections = [[self.call_parent(machine), *own]]
            else:
                sections = lineage_sections(family, corpus)
                sections.append(compat_stmts(machine.compat, corpus))
            facts = self.own_family_desc(machine, family)
            alias = machine_alias(machine, family)
            if alias is not None:
                facts.append(assignment("m->alias", c_string_at(alias, machine.location)))
            if machine.default is not None:
                facts.append(assignment("m->is_default", "true"))
            reason = lifecycle.deprecation_reason(
                machine, corpus.lifecycle, corpus.current_release, family.manual_lifecycle
            )
            if reason is not None:
                facts.append(
                    assignment("m->deprecation_reason", c_string_at(reason, machine.location))
                )
            facts += option_stmts(machine.options, corpus)
            if machine.parent is not None:
                sections[0] += facts
            else:
                sections.append(facts)
            name = style.options_fn(machine)
            self.add_function(self.files.needed(machine), name, sections)
            args = [
                pc_machine_suffix(machine),
                c_string_at(machine.name, machine.location),
                style.init_fn,
                name,
            ]
            self.units.append(Unit(self.files.exists(machine), define_call(style.define, args)))

    def render(self, families, sources: list[str]) -> str:
        for family, style in families:
            if style.versioned:
                self.versioned_family(family, style)
            else:
                self.pc_machine_family(family, style)
        # Each header under the "or" of where the file names its macros.
        headers: dict[str, Condition] = {}
        for macro in sorted(self.macros):
            header = MACRO_HEADERS.get(macro)
            if header is not None:
                headers[header] = headers.get(header, NEVER) | self.macros[macro]
        includes = ordered_includes(
            [SIZE_HEADER] if self.size else [],
            families[0][1].includes,
            [header for header, condition in headers.items() if condition.always],
            [HEADER.removeprefix("c/")],
        )
        conditional = [(c, h) for h, c in headers.items() if not c.always]
        init_fns = ", ".join(f"{style.init_fn}()" for _, style in families)
        note = (
            f"QEMU writes these in {families[0][1].qemu_source}, after the machine init "
            f"functions they name ({init_fns})."
        )
        body = []
        for condition, units in blocks((u.condition, u.text) for u in self.units):
            text = "\n\n".join(units)
            if not condition.always:
                text = f"{condition.open()}\n{text}\n#endif"
            body.append(text)
        forward = wrap_lines(
            (condition, f"static void {name}(MachineClass *m);")
            for name, condition in dict((n, c) for c, n in self.forward).items()
        )
        return _template("machines.c.j2").render(
            banner=banner(sources, note),
            includes=include_lines(includes, conditional),
            macros=self.macro_defs,
            forward=forward,
            body=body,
        )


def render_machines(corpus: Corpus, sources: list[str]) -> dict[str, str]:
    files = MachineFiles(corpus)
    by_path: dict[str, list[tuple[Family, FamilyStyle]]] = {}
    for family, style in files.families:
        by_path.setdefault(style.path, []).append((family, style))
    return {
        path: FileWriter(files, path).render(families, sources)
        for path, families in by_path.items()
    }


# -- templates and entry point --------------------------------------------------------


def _bytecode_cache(jinja2):
    """Compiled templates kept beside the parser's cache (~/.cache/mtc), so a
    process loads them instead of compiling them; none if it cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "mtc", "c-templates")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory)


@lru_cache(maxsize=None)
def _environment():
    import jinja2  # only when the backend runs: the import costs tens of ms

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(jinja2),
    )


@lru_cache(maxsize=None)
def _template(name: str):
    return _environment().get_template(name)


def emit(resolved: Resolved, sources: list[str]) -> dict[str, str]:
    """Every configuration's C: read from the corpus, whatever `resolved`
    was configured with."""
    corpus = resolved.corpus
    outputs = render_tables(corpus, sources)
    outputs.update(render_host(corpus, sources))
    outputs.update(render_machines(corpus, sources))
    return outputs
