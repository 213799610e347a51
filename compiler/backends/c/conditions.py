"""Guards written as C.

Build-time guards (config.X, target == T) become preprocessor conditions:
`config.CONFIG_XEN` is `defined(CONFIG_XEN)` (Kconfig and configure define
their symbols to 1, so #ifdef is QEMU's idiom), a target is looked up in
TARGET_CONDITIONS.  A piece of C that exists under several guards at once
(a family's and a machine's) or is needed by several others (a parent's
options function) gets a Condition: an "or" of "and"s of guards.

Host guards (host.os, host.kernel, accel, feature) become C expressions over
`const MtcHost *host` (generated/c/host.h), evaluated at run time.
"""

from __future__ import annotations

from ...records import record
from .. import BackendError


from ...model import Guard

# The C preprocessor's view of each target.  QEMU's config-target.h defines
# TARGET_<BASE_ARCH> for every target of an architecture, so both x86
# emulators define TARGET_I386 and only qemu-system-x86_64 TARGET_X86_64
# (likewise TARGET_ARM/TARGET_AARCH64 and TARGET_PPC/TARGET_PPC64).
TARGET_CONDITIONS = {
    "x86_64": "defined(TARGET_X86_64)",
    "i386": "defined(TARGET_I386) && !defined(TARGET_X86_64)",
    "aarch64": "defined(TARGET_AARCH64)",
    "arm": "defined(TARGET_ARM) && !defined(TARGET_AARCH64)",
    "ppc64": "defined(TARGET_PPC64)",
    "ppc": "defined(TARGET_PPC) && !defined(TARGET_PPC64)",
    "s390x": "defined(TARGET_S390X)",
}

KERNEL_COMPARE = (">=", "<=", "==", "!=", ">", "<")

_PRIMARY, _AND, _OR = 0, 1, 2


class CBackendError(BackendError, ValueError):
    """The model holds something C cannot express; the message says where."""


@record(frozen=True)
class Expr:
    """A C expression and its loosest operator (_PRIMARY, _AND or _OR); for
    an operator, the operands as written (where a long line may break)."""

    text: str
    prec: int
    parts: tuple[str, ...] = ()


def _where(guard: Guard) -> str:
    return f"{guard.location.file}:{guard.location.line}"


def _join(op: str, exprs: list[Expr]) -> Expr:
    if len(exprs) == 1:
        return exprs[0]
    prec = _AND if op == "&&" else _OR
    # A && inside || is parenthesized too: gcc's -Wparentheses asks for it.
    parts = [e.text if e.prec in (_PRIMARY, prec) else f"({e.text})" for e in exprs]
    return Expr(f" {op} ".join(parts), prec, tuple(parts))


def wrap_return(expr: Expr, indent: str = "    ", width: int = 80) -> str:
    """`return EXPR;`, broken after an operator of its loosest kind when
    longer than `width`, continuation lines aligned after "return "."""
    line = f"{indent}return {expr.text};"
    if len(line) <= width or not expr.parts:
        return line
    op = " && " if expr.prec == _AND else " || "
    lead = f"{indent}return "
    lines = [lead + expr.parts[0]]
    for part in expr.parts[1:]:
        candidate = f"{lines[-1]}{op}{part}"
        if len(candidate) + 1 <= width:
            lines[-1] = candidate
        else:
            lines[-1] += op.rstrip()
            lines.append(" " * len(lead) + part)
    return "\n".join(lines) + ";"


def _negate(expr: Expr) -> Expr:
    return Expr("!" + (expr.text if expr.prec == _PRIMARY else f"({expr.text})"), _PRIMARY)


def _walk(guard: Guard, atom) -> Expr:
    if guard.kind in ("and", "or"):
        op = "&&" if guard.kind == "and" else "||"
        return _join(op, [_walk(arg, atom) for arg in guard.args])
    if guard.kind == "not":
        return _negate(_walk(guard.args[0], atom))
    return atom(guard)


# -- build time: the preprocessor -----------------------------------------------


def _build_atom(guard: Guard) -> Expr:
    if guard.kind == "config":
        if not guard.value.isidentifier():
            raise CBackendError(
                f"{_where(guard)}: config.{guard.value} cannot be written as a C macro"
            )
        return Expr(f"defined({guard.value})", _PRIMARY)
    if guard.kind == "target":
        text = TARGET_CONDITIONS.get(guard.value)
        if text is None:
            known = ", ".join(sorted(TARGET_CONDITIONS))
            raise CBackendError(
                f"{_where(guard)}: the C backend knows no preprocessor condition for "
                f"target {guard.value} (known: {known}; add it to TARGET_CONDITIONS in "
                f"compiler/backends/c/conditions.py)"
            )
        return Expr(text, _AND if "&&" in text else _PRIMARY)
    raise CBackendError(
        f"{_where(guard)}: '{guard}' is a host guard, not a build-time one: "
        "the preprocessor cannot decide it"
    )


def build_expr(guard: Guard) -> Expr:
    """The preprocessor expression for a build-time guard."""
    return _walk(guard, _build_atom)


@record(frozen=True)
class Condition:
    """When a piece of C is compiled: when any term holds, a term being the
    conjunction of its expressions.  A term without expressions always holds."""

    terms: tuple[tuple[Expr, ...], ...]

    @classmethod
    def of(cls, *guards: Guard | None) -> "Condition":
        """All of `guards` (None ones hold always)."""
        exprs: dict[str, Expr] = {}
        for guard in guards:
            if guard is not None:
                expr = build_expr(guard)
                exprs.setdefault(expr.text, expr)
        return cls((tuple(exprs.values()),))

    @property
    def always(self) -> bool:
        return any(not term for term in self.terms)

    def __or__(self, other: "Condition") -> "Condition":
        if self.always or other.always:
            return ALWAYS
        terms: list[tuple[Expr, ...]] = []
        for term in self.terms + other.terms:
            texts = {e.text for e in term}
            if any({e.text for e in kept} <= texts for kept in terms):
                continue  # absorbed: a kept term already covers it
            terms = [kept for kept in terms if not texts <= {e.text for e in kept}]
            terms.append(term)
        return Condition(tuple(terms))

    @property
    def expr(self) -> Expr | None:
        if self.always:
            return None
        return _join("||", [_join("&&", list(term)) for term in self.terms])

    @property
    def key(self) -> str | None:
        """Equal for conditions that write the same C; None for always."""
        expr = self.expr
        return None if expr is None else expr.text

    def negates(self, other: "Condition") -> bool:
        """Whether exactly one of the two holds, whatever the build: the
        second of two adjacent blocks can then be an #else."""
        mine, theirs = self.expr, other.expr
        if mine is None or theirs is None:
            return False
        return _negate(mine).text == theirs.text or _negate(theirs).text == mine.text

    def open(self) -> str:
        """The opening line: #ifdef X, #ifndef X or #if EXPR."""
        text = self.key
        if text is None:
            raise ValueError("an unconditional block has no #if")
        name = _defined_name(text)
        if name is not None:
            return f"#ifdef {name}"
        if text.startswith("!") and _defined_name(text[1:]) is not None:
            return f"#ifndef {_defined_name(text[1:])}"
        return f"#if {text}"


def _defined_name(text: str) -> str | None:
    if text.startswith("defined(") and text.endswith(")"):
        name = text[len("defined(") : -1]
        if name.isidentifier():
            return name
    return None


ALWAYS = Condition(((),))
NEVER = Condition(())  # where to start an "or"


def blocks(items):
    """Group consecutive (condition, value) pairs with equal conditions:
    [(condition, [values])], in order."""
    grouped: list[tuple[Condition, list]] = []
    for condition, value in items:
        if grouped and grouped[-1][0].key == condition.key:
            grouped[-1][1].append(value)
        else:
            grouped.append((condition, [value]))
    return grouped


def wrap_lines(items, merge_else: bool = False) -> list[str]:
    """Lines under (condition, line) pairs, consecutive equal conditions in
    one #if ... #endif; with `merge_else`, a block right after one whose
    condition it negates is its #else (virt.c's default CPU type)."""
    lines: list[str] = []
    previous = None  # the condition of the block just closed, if it may take an #else
    for condition, group in blocks(items):
        if condition.always:
            lines.extend(group)
            previous = None
        elif merge_else and previous is not None and previous.negates(condition):
            lines[-1] = "#else"
            lines.extend(group)
            lines.append("#endif")
            previous = None
        else:
            lines.append(condition.open())
            lines.extend(group)
            lines.append("#endif")
            previous = condition
    return lines


# -- run time: host guards over MtcHost -------------------------------------------


def host_expr(guard: Guard, c_string) -> Expr:
    """The C expression for a host guard, over `const MtcHost *host`."""

    def atom(leaf: Guard) -> Expr:
        if leaf.kind == "os":
            return Expr(f"mtc_host_os_is(host, {c_string(leaf.value)})", _PRIMARY)
        if leaf.kind == "accel":
            return Expr(f"mtc_host_accel_is(host, {c_string(leaf.value)})", _PRIMARY)
        if leaf.kind == "feature":
            return Expr(f"mtc_host_has_feature(host, {c_string(leaf.value)})", _PRIMARY)
        if leaf.kind == "kernel":
            parts = leaf.value.split(".")
            if (
                leaf.compare not in KERNEL_COMPARE
                or not 1 <= len(parts) <= 2
                or not all(p.isdigit() for p in parts)
            ):
                raise CBackendError(
                    f"{_where(leaf)}: host.kernel {leaf.compare} {leaf.value}: C compares "
                    "kernel versions as major.minor"
                )
            major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
            # An unknown kernel makes every comparison false, as in mtc itself.
            return Expr(
                f"mtc_host_kernel_known(host) && "
                f"mtc_host_kernel_cmp(host, {major}, {minor}) {leaf.compare} 0",
                _AND,
            )
        raise CBackendError(
            f"{_where(leaf)}: '{leaf}' is a build-time guard, not a host one: "
            "it belongs in the preprocessor"
        )

    return _walk(guard, atom)
