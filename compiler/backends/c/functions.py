"""Options functions: statements and how a function is written.

A function is its local declarations (each root an assignment needs, in the
order the c-family lists them, then static arrays), then its statements in
the order machines/ writes them, which is QEMU's.  Statements under a
build-time guard sit in #if blocks; two adjacent assignments under opposite
conditions share one #ifdef ... #else.
"""

from __future__ import annotations

import re

from ...records import record, replace
from ...model import Corpus, Family
from ... import numbers, values
from .conditions import ALWAYS, NEVER, CBackendError, Condition, wrap_lines
from .conventions import Conventions, FamilyStyle
from .templates import template
from .text import block_comment, c_string_at, macro_expr, where

_LVALUE_ROOT_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*->")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@record
class Stmt:
    """A statement of a function: `lines` as written (indented), under
    `condition`; an assignment names its lvalue and root variable."""

    lines: str
    condition: Condition = ALWAYS
    lvalue: str | None = None
    root: str | None = None
    names: tuple[str, ...] = ()  # macros and functions it names, for headers
    size: bool = False  # names GiB and friends (qemu/units.h)
    title: bool = False  # a section's title comment
    # Written with the local declarations: a function-local compat array, a
    # static CPU feature list of the instance options.
    decl: bool = False


def assignment(lvalue: str, value: str, **kwargs) -> Stmt:
    match = _LVALUE_ROOT_RE.match(lvalue)
    return Stmt(
        f"    {lvalue} = {value};", lvalue=lvalue, root=match.group(1) if match else None, **kwargs
    )


def call(function: str, argument: str) -> Stmt:
    return Stmt(f"    {function}({argument});")


def type_name_expr(value, conventions: Conventions, names: set[str]) -> str:
    """A typename value as QEMU writes it: "486-${TYPE_X86_CPU}" is
    X86_CPU_TYPE_NAME("486") where a c-type-name says so; other forms are
    written with their macros ("pre-" TYPE_X86_CPU, TARGET_DEFAULT_CPU_TYPE)."""
    text = value.text
    for suffix, macro in conventions.type_names:
        if text.endswith(suffix) and len(text) > len(suffix):
            model = text[: -len(suffix)]
            if "${" not in model:
                names.add(macro)
                return f"{macro}({c_string_at(model, value.location)})"
    if value.kind == "typeref":
        expr, used = macro_expr(text)
        names.update(used)
        return expr
    return c_string_at(text, value.location)


def option_value(decl, assign, conventions: Conventions, names: set[str], sizes: list) -> str:
    value = assign.value
    if value.kind == "bool":
        return value.text
    if value.kind == "int":
        return numbers.c_literal(value.text)  # 0o17 is C's 017
    if value.kind == "size":
        sizes.append(value)
        return values.c_size(value.text)
    if value.kind == "macro":
        names.add(value.text)
        return value.text
    if value.kind == "expr":
        names.update(_IDENT_RE.findall(value.text))  # for their headers
        return value.text  # !module_object_class_by_name(TYPE_ISA_FDC): C as written
    if value.kind == "symbol":
        return value.text  # &spapr_irq_xics, s390_fixup_ram_size: C as written
    if decl.type == "typename":
        return type_name_expr(value, conventions, names)
    return c_string_at(value.text, value.location)


def option_lvalue(decl, style: FamilyStyle) -> str:
    """The option's C lvalue in the family's functions: machines/ writes the
    MachineClass as `m->`, the functions name it after their parameter."""
    lvalue = decl.c_lvalue.strip()
    match = _LVALUE_ROOT_RE.match(lvalue)
    root = match.group(1) if match else None
    param = style.param.name
    if root in ("m", param):
        return param + lvalue[match.end(1) :]
    if root is None or style.decl_for(root) is None:
        known = ", ".join(f"{r}->" for r in [param, *style.local_roots])
        raise CBackendError(
            f"{where(decl)}: option {decl.name}: c-family {style.family.name} declares no "
            f"local for '{decl.c_lvalue}' (its functions know {known})"
        )
    return lvalue


def option_stmt(assign, corpus: Corpus, conventions: Conventions, style: FamilyStyle):
    """The assignment of one option, or None for an option without a C field."""
    decl = corpus.options[assign.name]
    if not decl.c_lvalue:
        return None  # query-machines' "acpi": nothing to write in C
    if assign.guard is not None and not assign.guard.is_build_time:
        raise CBackendError(
            f"{where(assign)}: option {decl.name} is assigned under a host guard "
            f"({assign.guard}): C cannot write that, since a machine class is built "
            "once, before any host is known (guard a compat entry instead)"
        )
    names: set[str] = set()
    sizes: list = []
    value = option_value(decl, assign, conventions, names, sizes)
    stmt = assignment(
        option_lvalue(decl, style),
        value,
        condition=Condition.of(assign.guard),
        names=tuple(sorted(names)),
        size=bool(sizes),
    )
    if assign.comment:
        # The DSL's comment goes where QEMU keeps it: above the assignment.
        comment = "\n".join(block_comment(assign.comment, "    "))
        stmt = replace(stmt, lines=f"{comment}\n{stmt.lines}")
    return stmt


def family_desc(family: Family) -> str | None:
    """The family's desc as a C string; None without one."""
    for member in reversed(family.lineage()):
        if member.desc is not None and not member.abstract:
            return c_string_at(member.desc, member.location)
    return None


@record
class Function:
    """A rendered function and what it needs from the file."""

    text: str
    names: set[str]
    size: bool


def render_function(
    name: str,
    param: str,
    sections: list[list[Stmt]],
    locals_: list[tuple[str, str]] = (),
) -> Function:
    """static void name(param) { local declarations; sections }: `locals_`
    are (root, declaration) in the order QEMU writes them; a root is
    declared where some statement assigns through it."""
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
    arrays: list[Stmt] = []
    names: set[str] = set()
    size = False
    for section in sections:
        stmts = [s for s in section if kept(s)]
        for stmt in stmts:
            if stmt.root is not None:
                roots[stmt.root] = roots.get(stmt.root, NEVER) | stmt.condition
            names.update(stmt.names)
            size = size or stmt.size
        arrays += [s for s in stmts if s.decl]
        stmts = [s for s in stmts if not s.decl]
        if not any(not s.title for s in stmts):
            continue
        groups.append(wrap_lines(((s.condition, s.lines) for s in stmts), merge_else=True))
    decls = wrap_lines((roots[root], f"    {decl}") for root, decl in locals_ if root in roots)
    decls += wrap_lines((s.condition, s.lines) for s in arrays)
    text = template("options_function.c.j2").render(
        name=name, signature=param, decls=decls, groups=groups
    )
    return Function(text=text.rstrip("\n"), names=names, size=size)
