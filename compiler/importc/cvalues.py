"""Evaluating C expressions the way the compiler would, from the macros of a
file and its headers: strings (with target-dependent macro parts kept as
${MACRO}), integers (with the macro or size unit they were written with),
booleans, NULL, C symbols and enum constants the sources do not define."""

from __future__ import annotations

import ast

from ..records import record
from .csource import Macros, parse_text

SIZE_UNITS = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


@record(frozen=True)
class CStr:
    parts: tuple[tuple[bool, str], ...]  # (is a target-dependent macro, text)

    @property
    def is_plain(self) -> bool:
        return not any(is_macro for is_macro, _ in self.parts)

    @property
    def text(self) -> str:
        """The string, ${MACRO} for each target-dependent part."""
        return "".join("${%s}" % t if is_macro else t for is_macro, t in self.parts)


@record(frozen=True)
class CInt:
    value: int
    text: str  # as written: 0x400, 16GiB
    macro: str | None = None  # the constant it was named by
    size: bool = False  # written with a size unit (16 * GiB)


@record(frozen=True)
class CBool:
    value: bool


@record(frozen=True)
class CNull:
    pass


@record(frozen=True)
class CSymbol:
    text: str  # &spapr_irq_xics, s390_fixup_ram_size


@record(frozen=True)
class CEnum:
    name: str  # an enum constant no source defines (QAPI-generated)


@record(frozen=True)
class Unknown:
    why: str


class Evaluator:
    def __init__(self, macros: Macros, external: dict | None = None):
        self.macros = macros
        self.cache: dict[str, object] = {}
        # Constants of system headers outside QEMU's tree (Xen's), by name.
        self.external = external or {}

    def text(self, node) -> str:
        return node.text.decode("utf-8", "replace")

    def macro_value(self, name: str, depth: int):
        if name in self.cache:
            return self.cache[name]
        defs = self.macros.get(name)
        if not defs or defs[0].params is not None:
            return None
        if depth > 40:
            return Unknown(f"macro {name} expands too deeply")
        self.cache[name] = Unknown(f"macro {name} refers to itself")
        value = self.evaluate(expression_of(defs[0].body), {}, depth + 1)
        if isinstance(value, CInt):
            unit = name in SIZE_UNITS
            value = CInt(value.value, name if unit else value.text, value.macro or name, unit)
        self.cache[name] = value
        return value

    def evaluate(self, node, env: dict | None = None, depth: int = 0):
        env = env or {}
        if node is None:
            return Unknown("no expression")
        kind = node.type
        if kind == "true":
            return CBool(True)
        if kind == "false":
            return CBool(False)
        if kind == "null":
            return CNull()
        if kind == "number_literal":
            text = self.text(node)
            try:
                return CInt(int(text.rstrip("uUlL"), 0), text.rstrip("uUlL"))
            except ValueError:
                return Unknown(f"number {text}")
        if kind == "string_literal":
            return CStr(((False, string_value(self.text(node))),))
        if kind == "concatenated_string":
            parts: list = []
            for child in node.named_children:
                value = self.evaluate(child, env, depth)
                if not isinstance(value, CStr):
                    return Unknown(f"cannot concatenate {self.text(child)}")
                parts.extend(value.parts)
            return CStr(merge(parts))
        if kind == "parenthesized_expression":
            return self.evaluate(node.named_children[0], env, depth)
        if kind == "cast_expression":
            return self.evaluate(node.child_by_field_name("value"), env, depth)
        if kind == "identifier":
            name = self.text(node)
            if name in env:
                return env[name]
            if name == "NULL":
                return CNull()
            if self.macros.is_target_dependent(name):
                return CStr(((True, name),))
            value = self.macro_value(name, depth)
            if value is not None:
                return value
            if self.macros.get(name):
                return Unknown(f"function-like macro {name} used as a value")
            if name in self.external:
                return CInt(self.external[name], str(self.external[name]), name)
            return CEnum(name) if name.isupper() else CSymbol(name)
        if kind == "pointer_expression" and self.text(node).startswith("&"):
            return CSymbol(self.text(node).replace(" ", ""))
        if kind == "call_expression":
            return self.call(node, env, depth)
        if kind == "binary_expression":
            return self.binary(node, env, depth)
        if kind == "unary_expression":
            op = self.text(node.child_by_field_name("operator"))
            value = self.evaluate(node.child_by_field_name("argument"), env, depth)
            if op == "-" and isinstance(value, CInt):
                return CInt(-value.value, f"-{value.text}")
            if op == "!" and isinstance(value, (CInt, CBool)):
                return CBool(not value.value)
            return Unknown(f"{self.text(node)} is not a constant")
        return Unknown(f"{self.text(node)} is not a constant")

    def call(self, node, env, depth):
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments").named_children
        name = self.text(function)
        defs = self.macros.get(name)
        if not defs or defs[0].params is None:
            if name.endswith("_C") and len(args) == 1:  # INT64_C(1) from <stdint.h>
                return self.evaluate(args[0], env, depth)
            return Unknown(f"{self.text(node)} is not a constant")
        if depth > 40:
            return Unknown(f"macro {name} expands too deeply")
        macro = defs[0]
        texts = {param: self.text(arg) for param, arg in zip(macro.params, args)}
        bound = {p: env[t] for p, t in texts.items() if t in env}
        return self.evaluate(expression_of(substitute(macro.body, texts)), bound, depth + 1)

    def binary(self, node, env, depth):
        op = self.text(node.child_by_field_name("operator"))
        left = self.evaluate(node.child_by_field_name("left"), env, depth)
        right = self.evaluate(node.child_by_field_name("right"), env, depth)
        if not (isinstance(left, CInt) and isinstance(right, CInt)):
            return Unknown(f"{self.text(node)} is not a constant")
        ops = {
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
            "<<": lambda a, b: a << b,
            ">>": lambda a, b: a >> b,
            "|": lambda a, b: a | b,
            "&": lambda a, b: a & b,
        }
        if op not in ops:
            return Unknown(f"{self.text(node)}: operator {op}")
        value = ops[op](left.value, right.value)
        if op == "*" and (left.size or right.size):
            number, unit = (left, right) if right.size else (right, left)
            return CInt(value, f"{number.value}{unit.text}", None, True)
        return CInt(value, str(value))


def expression_of(body: str):
    """The expression node of a macro body."""
    root = parse_text(f"int __mtc_value = {body};")
    declaration = root.named_children[0] if root.named_children else None
    if declaration is None or declaration.type != "declaration":
        return None
    init = declaration.child_by_field_name("declarator")
    return init.child_by_field_name("value") if init is not None else None


def substitute(body: str, args: dict[str, str]) -> str:
    """The body of a function-like macro with its parameters replaced by the
    arguments' text, token by token (the tokens are tree-sitter's leaves)."""
    source = body.encode()
    root = parse_text(body)
    spans = []

    def visit(node):
        if node.child_count == 0:
            text = node.text.decode()
            if node.type.endswith("identifier") and text in args:
                spans.append((node.start_byte, node.end_byte, args[text]))
        for child in node.children:
            visit(child)

    visit(root)
    out, last = [], 0
    for start, end, replacement in sorted(spans):
        out.append(source[last:start].decode())
        out.append(replacement)
        last = end
    out.append(source[last:].decode())
    return "".join(out)


def string_value(literal: str) -> str:
    """A C string literal's value (QEMU's are plain ASCII with simple escapes)."""
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return literal.strip('"')


def merge(parts) -> tuple:
    out: list[tuple[bool, str]] = []
    for is_macro, text in parts:
        if out and not is_macro and not out[-1][0]:
            out[-1] = (False, out[-1][1] + text)
        elif is_macro or text:
            out.append((is_macro, text))
    return tuple(out)
