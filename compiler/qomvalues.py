"""QOM property values: how QEMU parses a property given as a string.

Compat entries and -global reach a property as a string, which QEMU parses
with its string input visitor according to the property's QOM type.  This
module answers "would QEMU accept this value?" (check_value), "is this an
on/off switch, and which way?" (is_on) and "are these two strings the same
value?" (same_value), so a checker can reject ``"maybe"`` for a bool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

# Enums whose values have never changed; other QAPI enums gain values over
# time, so they are checked only against a list the caller passes in.
STABLE_ENUMS: dict[str, list[str]] = {
    "OnOffAuto": ["auto", "on", "off"],
    "OnOffSplit": ["on", "off", "split"],
}

# The other enums in the 7.2 dump, as QEMU 7.2's QAPI schema defines them; pass
# as enum_values when checking against 7.2.  (MultiFDCompression's zstd exists
# only in builds with zstd.)  FdcDriveType is QAPI's FloppyDriveType.
QAPI_ENUMS_7_2: dict[str, list[str]] = {
    "BiosAtaTranslation": ["auto", "none", "lba", "large", "rechs"],
    "BlockdevOnError": ["report", "ignore", "enospc", "stop", "auto"],
    "FdcDriveType": ["144", "288", "120", "none", "auto"],
    "GrabToggleKeys": [
        "ctrl-ctrl",
        "alt-alt",
        "shift-shift",
        "meta-meta",
        "scrolllock",
        "ctrl-scrolllock",
    ],
    "HostMemPolicy": ["default", "preferred", "bind", "interleave"],
    "LostTickPolicy": ["discard", "delay", "slew"],
    "MultiFDCompression": ["none", "zlib", "zstd"],
    "NetFilterDirection": ["all", "rx", "tx"],
    "NotifyVMexitOption": ["run", "internal-error", "disable"],
    "OffAutoPCIBAR": ["off", "auto", "bar0", "bar1", "bar2", "bar3", "bar4", "bar5"],
    "PCIELinkSpeed": ["2_5", "5", "8", "16"],
    "PCIELinkWidth": ["1", "2", "4", "8", "12", "16", "32"],
    "QAuthZListPolicy": ["deny", "allow"],
    "QCryptoSecretFormat": ["raw", "base64"],
    "QCryptoTLSCredsEndpoint": ["client", "server"],
}

# Struct- and list-typed properties in the dump.  QEMU parses property strings
# with its string input visitor, which has no way to build a struct or a list
# of strings, so these can never be set this way (most are read-only anyway).
STRUCT_TYPES = frozenset(
    {
        "BootConfiguration",
        "CXLFixedMemoryWindow",
        "GuestPanicInformation",
        "MemorySizeConfiguration",
        "QAuthZListRule",
        "SMPConfiguration",
        "SgxEPC",
        "SmpCachePropertiesWrapper",
        "SocketAddress",
        "ThrottleLimits",
        "X86CPUFeatureWordInfo",
        "guest statistics",  # virtio-balloon's read-only guest-stats
        "list",  # DEFINE_PROP_ARRAY: a JSON list, only from -device JSON
        "struct",  # spapr-drc's fdt
    }
)

# Read-only properties whose type is no QAPI type (pci-device's busnr).
READ_ONLY_TYPES = frozenset({"busnr"})
# Strings QEMU validates itself (s390x's loadparm: 8 characters of a set).
STRING_TYPES = frozenset({"str", "string", "loadparm"})

_TRUE = ("on", "yes", "true")
_FALSE = ("off", "no", "false")
_INT_TYPE = r"(u?)int(\d+)?(?:_t)?\Z"  # int, uint8, int32_t, uint4
_ENUM_NAME = r"[A-Z][A-Za-z0-9]*\Z"
# strtoll with base 0, as QEMU uses: 0x hex, a leading 0 means octal.
_C_INTEGER = r"([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z"
# qemu_strtosz: decimal (with an optional fraction) or hex, then one suffix.
_SIZE = r"(?:0[xX]([0-9a-fA-F]+)|([0-9]+)(\.[0-9]*)?)([bkmgtpeBKMGTPE]?)\Z"
_SIZE_UNITS = "bkmgtpe"
_UUID = r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z"
_FLOAT = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z"


def value_kind(qom_type: str) -> str:
    """How values of qom_type are parsed: bool, int, size, number, str, uuid,
    enum, link, child, struct or unknown (anything accepted)."""
    if qom_type == "bool":
        return "bool"
    if re.match(_INT_TYPE, qom_type):
        return "int"
    if qom_type in ("size", "number"):
        return qom_type
    if qom_type in STRING_TYPES:
        return "str"
    if qom_type == "QemuUUID":
        return "uuid"
    if qom_type.startswith("link<") and qom_type.endswith(">"):
        return "link"
    if qom_type in READ_ONLY_TYPES or qom_type.startswith("child<") and qom_type.endswith(">"):
        return "child"
    if qom_type in STRUCT_TYPES or qom_type.endswith("List"):
        return "struct"
    if "|" in qom_type or re.match(_ENUM_NAME, qom_type):
        return "enum"  # "on|off|split" spells its values out
    return "unknown"


def enum_choices(
    qom_type: str, enum_values: Mapping[str, list[str]] | None = None
) -> list[str] | None:
    """The accepted values of an enum type, None when not known."""
    if enum_values and qom_type in enum_values:
        return list(enum_values[qom_type])
    if qom_type in STABLE_ENUMS:
        return STABLE_ENUMS[qom_type]
    if "|" in qom_type:
        return qom_type.split("|")
    return None


def check_value(
    qom_type: str, value: str, enum_values: Mapping[str, list[str]] | None = None
) -> str | None:
    """None if QEMU would accept value for a qom_type property, else why not."""
    if not isinstance(value, str):
        return f"expected a string value for {qom_type}, got {_q(value)}"
    kind = value_kind(qom_type)
    if kind == "bool":
        if value in _TRUE or value in _FALSE:
            return None
        return _expected("bool (on/off/true/false/yes/no)", value)
    if kind == "int":
        return _check_int(qom_type, value)
    if kind == "size":
        return _check_size(value)
    if kind == "number":
        return None if re.match(_FLOAT, value) else _expected("number", value)
    if kind == "uuid":
        if re.match(_UUID, value):
            return None
        return _expected("QemuUUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", value)
    if kind == "enum":
        choices = enum_choices(qom_type, enum_values)
        if choices is None or value in choices:
            return None
        return _expected(f"{qom_type} ({'/'.join(choices)})", value)
    if kind == "child":
        return f"{qom_type} properties are read-only: QEMU cannot set them"
    if kind == "struct":
        return f"{qom_type} is a structured type: QEMU cannot parse it from a property string"
    return None  # str, link<...> (an object path, see value_note) and unknown


def value_note(qom_type: str) -> str | None:
    """A caveat worth a note even when check_value accepts the value."""
    kind = value_kind(qom_type)
    if kind == "link":
        return (
            f"{qom_type} properties take an object path, resolved only "
            "when the object is created"
        )
    if kind == "unknown":
        return f"QOM type {_q(qom_type)} is not known to mtc; its value is not checked"
    return None


def is_on(qom_type: str, value: str) -> bool | None:
    """True/False for a value that switches a feature on/off, else None.

    "auto" and non-boolean types give None: the outcome is not known here.
    """
    kind = value_kind(qom_type)
    if kind in ("bool", "unknown"):
        return True if value in _TRUE else False if value in _FALSE else None
    if kind == "enum" and {"on", "off"} <= set(enum_choices(qom_type) or ()):
        return {"on": True, "off": False}.get(value)
    return None


def _expected(what: str, value: str, why: str = "") -> str:
    return f"expected {what}, got {json.dumps(value)}" + (f": {why}" if why else "")


def _check_int(qom_type: str, value: str) -> str | None:
    unsigned, bits = re.match(_INT_TYPE, qom_type).groups()  # type: ignore[union-attr]
    width = int(bits) if bits else 64  # QOM "int" is int64
    name = f"{'u' if unsigned else ''}int{width}"
    match = re.match(_C_INTEGER, value)
    if match is None:
        if re.fullmatch(r"[+-]?0[0-9]+", value):
            return _expected(name, value, "a leading 0 makes QEMU read octal")
        return _expected(name, value)
    sign, digits = match.groups()
    if len(digits.lstrip("0xX")) > 40:  # beyond any int64: never hand int() 5,000 digits
        return _expected(name, value, "out of range")
    number = int(digits, 0 if digits[:2].lower() == "0x" else 8 if digits[:1] == "0" else 10)
    if sign == "-":
        number = -number
    low, high = (0, 2**width - 1) if unsigned else (-(2 ** (width - 1)), 2 ** (width - 1) - 1)
    if unsigned and sign == "-":
        return _expected(name, value, "negative")
    if not low <= number <= high:
        return _expected(name, value, f"out of range {low}..{high}")
    return None


def _check_size(value: str) -> str | None:
    from fractions import Fraction  # only here: it costs a few ms to import

    what = "size (bytes, optionally with a B/K/M/G/T/P/E suffix)"
    match = re.match(_SIZE, value)
    if match is None:
        return _expected(what, value)
    hex_digits, whole, fraction, suffix = match.groups()
    if len((hex_digits or whole or "").lstrip("0")) > 40:
        return _expected(what, value, "larger than 16E")  # and int() would refuse it
    fraction = fraction[:41] if fraction else fraction  # digits past these change nothing
    if hex_digits is not None:
        if suffix:
            return _expected(what, value, "hex with a suffix (deprecated in 7.2, gone in 8.0)")
        number = Fraction(int(hex_digits, 16))
    else:
        scale = 1024 ** _SIZE_UNITS.index(suffix.lower()) if suffix else 1
        if fraction and scale == 1:
            return _expected(what, value, "a fraction needs a K/M/G/T/P/E suffix")
        number = (Fraction(whole) + Fraction("0" + (fraction or "."))) * scale
    if int(number + Fraction(1, 2)) > 2**64 - 1:  # QEMU rounds half up
        return _expected(what, value, "larger than 16E")
    return None


def parse_int(value: str) -> int | None:
    """The number a C integer string stands for (strtoll, base 0), or None."""
    match = re.match(_C_INTEGER, value)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits.lstrip("0xX")) > 40:  # beyond any int64: never hand int() 5,000 digits
        return None
    number = int(digits, 0 if digits[:2].lower() == "0x" else 8 if digits[:1] == "0" else 10)
    return -number if sign == "-" else number


def same_value(qom_type: str | None, a: str | None, b: str | None) -> bool:
    """Whether QEMU would give a property of qom_type the same value from a
    and from b: "on" and "true" are the same bool, "0x10" and "16" the same
    integer.  None (no value) equals nothing."""
    if a is None or b is None:
        return False
    if a == b:
        return True
    kind = value_kind(qom_type) if qom_type else "unknown"
    if kind in ("bool", "unknown"):
        a_on, b_on = is_on("bool", a), is_on("bool", b)
        return a_on is not None and a_on == b_on
    if kind == "int":
        number = parse_int(a)
        return number is not None and number == parse_int(b)
    return False


def spell_default(value: object) -> str | None:
    """A QMP default-value spelled the way a compat entry writes that value.

    Booleans are "on"/"off" (QEMU's property parser also takes true/false and
    yes/no), integers decimal, floats as Python prints them (strtod reads
    that), strings as they are.  Lists and objects have no string form a
    compat entry could give, so they, like a missing default, are None.
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    return None


def _q(value: object) -> str:
    """A name or value quoted for a message: "virtio-net-pci", null."""
    return json.dumps(value, default=repr)
