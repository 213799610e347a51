"""Typing of option values: what a written value means for its option."""

from __future__ import annotations

import re

from . import numbers
from .model import Const, OptionDecl, Target, Value, expand_macros

SIZE_UNITS = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
_SIZE_RE = re.compile(r"(\d+)(KiB|MiB|GiB|TiB)")
# What each option type's numbers must fit (compiler/numbers.py).
RANGES = {"int": numbers.C_INT, "size": numbers.SIZE_BYTES}
# Options query-machines reports have QEMU's range: a machine with max_cpus
# below 1 cannot start, and the JSON Schema and libvirt say so too.
QUERY_RANGES = {"cpu-max": numbers.Range(1, numbers.INT_MAX, "cpu-max (QEMU's max_cpus)")}

# Which written kinds each option type accepts.
ACCEPTS = {
    "bool": {"bool"},
    "int": {"int", "macro"},
    "size": {"size", "int"},
    "str": {"string"},
    "typename": {"typeref", "string"},
    "enum": {"macro"},
    "symbol": {"symbol"},
    "expr": {"expr"},
}

KIND_NAMES = {
    "bool": "true or false",
    "int": "an integer",
    "macro": "a C constant",
    "size": "a size such as 16GiB",
    "string": "a string",
    "typeref": "a type name with ${MACRO} parts",
    "symbol": "a C symbol",
    "expr": "a `C expression`",
}


def type_error(decl: OptionDecl, value: Value, consts: dict[str, Const]) -> str | None:
    """Why `value` does not fit `decl`, or None when it does."""
    if value.kind not in ACCEPTS[decl.type]:
        wanted = " or ".join(KIND_NAMES[k] for k in sorted(ACCEPTS[decl.type]))
        return (
            f"option {decl.name} is of type {decl.type}: expected {wanted}, "
            f"got {KIND_NAMES[value.kind]}"
        )
    if decl.type == "enum" and value.text not in decl.enum_values:
        return (
            f"option {decl.name} takes one of {', '.join(decl.enum_values)}, " f"not {value.text}"
        )
    if decl.type == "int" and value.kind == "macro" and value.text not in consts:
        return f"unknown constant {value.text} (declare it with 'const {value.text} = N')"
    if value.kind in ("int", "size") or (decl.type == "int" and value.kind == "macro"):
        return range_error(decl, value, consts)
    return None


def range_error(decl: OptionDecl, value: Value, consts: dict[str, Const]) -> str | None:
    """Why a number does not fit its option's C field, or None."""
    allowed = QUERY_RANGES.get(decl.query or "") or RANGES.get(decl.type, numbers.C_INT)
    try:
        if value.kind == "macro":
            number = consts[value.text].value
            literal = f"{value.text} ({number})"
        elif value.kind == "size":
            digits, unit = _SIZE_RE.fullmatch(value.text).groups()
            number = numbers.parse_int(digits) * SIZE_UNITS[unit]
            literal = value.text
        else:
            number, literal = numbers.parse_int(value.text), value.text
        allowed.check(number, literal)
    except numbers.NumberError as exc:
        return f"option {decl.name}: {exc}"
    return None


def json_value(decl: OptionDecl, value: Value, consts: dict[str, Const], target: Target) -> object:
    """The value as query-machines would report it, for one target."""
    if value.kind == "bool":
        return value.text == "true"
    if value.kind == "int":
        return numbers.parse_int(value.text)
    if value.kind == "size":
        number, unit = _SIZE_RE.fullmatch(value.text).groups()
        return numbers.parse_int(number) * SIZE_UNITS[unit]
    if value.kind == "macro":
        return consts[value.text].value if decl.type == "int" else value.text
    if value.kind == "typeref":
        return expand_macros(value.text, target.defines)
    return value.text


def c_size(text: str) -> str:
    """16GiB -> 16 * GiB, the way QEMU writes sizes (include/qemu/units.h)."""
    number, unit = _SIZE_RE.fullmatch(text).groups()
    return f"{number} * {unit}"
