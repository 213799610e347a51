"""Options: which machine-class fields are options, and their values as the
language writes them.  An option is a field the vocabulary names
(vocabulary.json 'options') or one a versioned machine's own function sets
(named mechanically: pcmc->broken_reserved_end is broken-reserved-end)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import guards, model
from .cvalues import CBool, CEnum, CInt, CNull, CStr, CSymbol, Unknown
from .machinetypes import MachineType, is_fact, own_stmts
from .program import Stmt

if TYPE_CHECKING:
    from .extract import Importer

SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB")


def collect(imp: Importer, machines: list[MachineType]) -> None:
    """Fields a versioned machine's own function sets are options too."""
    for machine in machines:
        if machine.own is None or machine.version is None:
            continue
        for stmt in own_stmts(imp, machine):
            if stmt.kind == "assign" and "->" in stmt.lvalue and not is_fact(stmt.lvalue):
                if stmt.lvalue not in imp.option_lvalues:
                    imp.option_lvalues[stmt.lvalue] = {"name": mechanical_name(stmt.lvalue)}


def mechanical_name(lvalue: str) -> str:
    """pcmc->broken_reserved_end -> broken-reserved-end."""
    last = re.split(r"->|\.", lvalue)[-1]
    if last.startswith("caps[") or "[" in last:
        last = last.split("[", 1)[1].rstrip("]")
    return last.lower().replace("_", "-")


def option_value(imp: Importer, stmt: Stmt, hint: dict) -> model.OptionValue | None:
    """The option an assignment sets, declaring the option the first time;
    None (after reporting why) when its value cannot be written."""
    name = hint["name"]
    text, kind = render_value(imp, stmt.value, hint, stmt)
    if text is None:
        return None
    decl = imp.out.options.get(name)
    if decl is None:
        decl = imp.out.options[name] = model.OptionDecl(
            name=name,
            type=hint.get("type", kind),
            c=stmt.lvalue if not stmt.lvalue.startswith("class-property:") else None,
            query=hint.get("query"),
            monotone=hint.get("monotone", False),
            enum_values=list(hint.get("values", [])),
        )
    if decl.type == "enum" and text not in decl.enum_values:
        decl.enum_values.append(text)
    return model.OptionValue(
        name,
        text,
        stmt.location,
        guards.guard(imp, stmt.cond, stmt.location),
        stmt.comment,
        stmt.comment_above,
    )


def render_value(imp: Importer, value, hint: dict, stmt: Stmt):
    """(text, inferred type) of a value in the language, or (None, None)
    after reporting why it cannot be written."""
    wanted = hint.get("type")
    if isinstance(value, CBool):
        return ("true" if value.value else "false"), "bool"
    if isinstance(value, CInt):
        if wanted == "bool":
            return ("true" if value.value else "false"), "bool"
        if value.size or wanted == "size":
            if value.size:
                return value.text, "size"
            return str(value.value), "size"
        if value.macro and value.macro.isupper() and value.macro not in SIZE_UNITS:
            imp.out.consts[value.macro] = (
                str(value.value) if not value.text.startswith("0x") else value.text
            )
            return value.macro, "int"
        return value.text, "int"
    if isinstance(value, CStr):
        if value.is_plain:
            return model.quote(value.text), ("typename" if wanted == "typename" else "str")
        return value.text, "typename"
    if isinstance(value, CSymbol):
        return value.text, "symbol"
    if isinstance(value, CNull):
        value = Unknown("NULL (no value) cannot be written in mtc")
    if isinstance(value, CEnum) and wanted in (None, "enum"):
        return value.name, "enum"
    if isinstance(value, CEnum):
        value = Unknown(f"{value.name} is defined neither in the tree nor in the vocabulary")
    why = value.why if isinstance(value, Unknown) else "not a constant"
    imp.error(stmt.location, f"cannot translate {stmt.lvalue}: {why}")
    return None, None


def query_defaults(imp: Importer, family: model.Family, set_values: set, types: list[str]):
    """Facts query-machines reports that nothing set: MachineClass's
    zero, and whether the class has an 'acpi' property."""
    for lvalue, hint in imp.vocab["options"].items():
        if hint.get("query") and hint.get("type") == "bool" and lvalue not in set_values:
            if family.extends is None:
                family.options.append(model.OptionValue(hint["name"], "false", family.location))
                declare(imp, lvalue, hint)
    for prop, hint in imp.vocab["class-property-options"].items():
        if family.extends is not None:
            continue
        has = has_class_property(imp, prop, types)
        family.options.append(
            model.OptionValue(hint["name"], "true" if has else "false", family.location)
        )
        declare(imp, f"class-property:{prop}", hint)


def declare(imp: Importer, lvalue: str, hint: dict) -> None:
    if hint["name"] not in imp.out.options:
        imp.out.options[hint["name"]] = model.OptionDecl(
            hint["name"],
            hint["type"],
            None if lvalue.startswith("class-property:") else lvalue,
            hint.get("query"),
            hint.get("monotone", False),
            list(hint.get("values", [])),
        )


def has_class_property(imp: Importer, prop: str, types: list[str]) -> bool:
    for type_name in types:
        info = imp.types.get(type_name)
        function = imp.program.functions.get(info.class_init) if info else None
        if function is None:
            continue
        for stmt in function.stmts:
            if (
                stmt.kind == "call"
                and stmt.callee.startswith("object_class_property_add")
                and len(stmt.args) > 1
            ):
                name = imp.evaluator.evaluate(stmt.args[1])
                if isinstance(name, CStr) and name.text == prop:
                    return True
    return False
