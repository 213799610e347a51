"""Integer literals: one spelling each, and the ranges the outputs accept.

The language writes an integer one way per base, as README.md documents:

    255        decimal, no leading zero (0 itself is fine)
    0xff       hexadecimal, lowercase prefix, digits in either case
    0o377      octal
    -1         a minus sign before any of them, where the field allows it

Anything else that starts with a digit (08, 0X1F, 0b101, 12ab) is lexed as one
INT token so the builder can say exactly what is wrong with it.  Every numeric
field then has a Range: what C, libvirt's schemas and QEMU accept there.  A
literal far outside every range is rejected before Python converts it, so no
input can reach int()'s limit on digits.
"""

from __future__ import annotations

import re

from .records import record

_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")
_HEX_RE = re.compile(r"0x([0-9a-fA-F]+)")
_OCTAL_RE = re.compile(r"0o([0-7]+)")
# No field takes more than 64 bits: a literal with more significant digits
# than this is out of range whatever its value, and is never converted (it
# stands for TOO_LARGE, which every Range rejects).
_MAX_DIGITS = 64
TOO_LARGE = 2**256


class NumberError(ValueError):
    """A literal that is not one of the documented spellings, or out of range."""


@record(frozen=True)
class Range:
    """The integers a kind of number may take, for messages."""

    low: int
    high: int
    what: str  # what the range is, for the error: "a C int", "QEMU's uint8_t gen"

    def check(self, value: int, literal: str) -> None:
        if not self.low <= value <= self.high:
            raise NumberError(
                f"{shown(literal)} is out of range for {self.what} ({self.low}..{self.high})"
            )


INT_MIN, INT_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1

# MachineClass and its subclasses keep integer options in C ints (max_cpus,
# default_cpu_version, nr_xirqs, the spapr caps).
C_INT = Range(INT_MIN, INT_MAX, "an int option (a C int)")
# A size is written 'N * GiB' with include/qemu/units.h's int64_t units: the
# product must not overflow int64_t.
SIZE_BYTES = Range(0, INT64_MAX, "a size in bytes (an int64_t)")
# Version components: DEFINE_*_MACHINE(major, minor) and the kernel version
# MtcHost compares are C ints.
VERSION_PART = Range(0, INT_MAX, "a version number (a C int)")
# S390CPUDef (target/s390x/cpu_models.h): uint8_t gen, ec_ga and mha_pow,
# uint16_t type, uint32_t hmfai; mha is 2^mha_pow - 1 of a 64-bit address.
CPU_GEN = Range(0, 255, "a CPU generation (QEMU's uint8_t gen)")
CPU_GA = Range(0, 255, "a GA level (QEMU's uint8_t ec_ga)")
CPU_TYPE = Range(0, 0xFFFF, "a CPU type (QEMU's uint16_t type)")
CPU_MHA_POW = Range(1, 64, "mha-pow (the host address width in bits)")
CPU_HMFAI = Range(0, 0xFFFFFFFF, "hmfai (QEMU's uint32_t hmfai)")
# The life-cycle policy counts majors and releases; QEMU's macros are ints.
LIFECYCLE_MAJORS = Range(1, INT_MAX, "a number of major releases")
LIFECYCLE_NOTICE = Range(1, INT_MAX, "a number of releases of notice")
# libvirt's capability.rng: <wordsize> is 31, 32 or 64.
WORDSIZES = (31, 32, 64)


def parse_int(literal: str) -> int:
    """The value of an INT token, or NumberError saying how to spell it.
    Check the value against a Range: a literal of more than 64 significant
    digits is +-TOO_LARGE, not its value."""
    negative = literal.startswith("-")
    body = literal[1:] if negative else literal
    if found := _HEX_RE.fullmatch(body):
        digits, base = found.group(1), 16
    elif found := _OCTAL_RE.fullmatch(body):
        digits, base = found.group(1), 8
    elif _DECIMAL_RE.fullmatch(body):
        digits, base = body, 10
    else:
        raise NumberError(_spelling_hint(literal, body))
    significant = digits.lstrip("0") or "0"
    value = TOO_LARGE if len(significant) > _MAX_DIGITS else int(significant, base)
    return -value if negative else value


def parse_in(literal: str, allowed: Range) -> int:
    value = parse_int(literal)
    allowed.check(value, literal)
    return value


def stand_in(literal: str, allowed: Range) -> int:
    """A value in `allowed` for a literal that failed parse_in(): what it
    most likely meant (08 is 8, a huge number the top of the range), so the
    model stays consistent and one mistake gives one error."""
    try:
        value = parse_int(literal)
    except NumberError:
        digits = literal.lstrip("-").lstrip("0")
        value = int(digits) if digits.isdigit() and len(digits) <= _MAX_DIGITS else 0
        value = -value if literal.startswith("-") else value
    return min(max(value, allowed.low), allowed.high)


def shown(literal: str) -> str:
    """A literal as an error quotes it: a very long one is cut short."""
    if len(literal) <= 40:
        return literal
    return f"{literal[:20]}...({len(literal)} characters)"


def _spelling_hint(literal: str, body: str) -> str:
    prefix = f"invalid number '{shown(literal)}': "
    if re.fullmatch(r"0[0-9]{1,64}", body):
        plain = body.lstrip("0") or "0"
        return prefix + (
            f"a decimal number has no leading zero (write {plain}; octal is written 0o17)"
        )
    if re.fullmatch(r"0[XO][0-9a-fA-F]{1,64}", body):
        return prefix + f"write the prefix in lowercase: {body[:2].lower()}{body[2:]}"
    if re.fullmatch(r"0[bB][01]{1,64}", body):
        return prefix + f"binary is not supported: write 0x{int(body[2:], 2):x}"
    return prefix + "write decimal (255), hexadecimal (0xff) or octal (0o377)"


def c_literal(literal: str) -> str:
    """The literal as C writes it: as written, but 0o17 is C's 017."""
    sign, body = ("-", literal[1:]) if literal.startswith("-") else ("", literal)
    if body.startswith("0o"):
        digits = body[2:].lstrip("0")
        return sign + ("0" + digits if digits else "0")
    return literal
