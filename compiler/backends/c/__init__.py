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
  Sets QEMU keeps inside a machines file are not tables (SetPlacement): the
  sets of a family's local scopes (ccw, spapr) are written as
  `static GlobalProperty compat[]` inside each options function that adds
  them, as s390-virtio-ccw.c and spapr.c do (an empty one is left out, as
  QEMU writes none), and family-wide sets of a family without a table file
  (arm_virt_compat) as a static array at the top of its machines file, as
  virt.c does.  Such arrays cannot hold host-guarded entries (an error).
- compat.h: the extern declarations, as include/hw/boards.h and
  include/hw/i386/pc.h hold them (and of the _host tables).
- host.h: MtcHost (os, kernel major.minor, accelerator, a has_feature
  callback), MtcHostCompat, the table of host-dependent properties and the
  helpers the conditions use.
- host_features.c: for every `property D.P depends-on F`, {F, D, P} in
  mtc_host_dependent_properties[], mtc_check_host_property(), which fails
  (error_setg) when an explicit on (qapi_bool_parse's on, yes, true, y)
  meets a host without the feature, and mtc_compat_props_add_host().
- the machine definitions of each family with a C style (FAMILY_STYLES), in
  QEMU's order: pc_piix_machines.c (pc-i440fx, isapc, xenfv),
  pc_q35_machines.c, s390_ccw_machines.c (s390-ccw-virtio), virt_machines.c
  (virt; one file for aarch64 and arm) and spapr_machines.c (pseries):
  * versioned families: the DEFINE_*_MACHINE macros, the family base
    function and one options function per version, newest first: it calls
    the next newer version's function, then compat_props_add() for its own
    sets, then its option assignments; alias/default by _AS_LATEST.
    - pc-i440fx, pc-q35: the DEFINE macros expand to pc.h's
      DEFINE_PC_VER_MACHINE; the newest version's function calls the base
      function (pc_q35_machine_options), as pc_q35.c does.
    - s390-ccw-virtio, virt, pseries (FamilyStyle.impl): QEMU keeps their
      DEFINE_*_MACHINE_IMPL(latest, ...) macro in the family's own .c file,
      and it holds family facts (the type name, the desc naming the version,
      alias and default of the newest), so the file writes it; the file is
      the versioned-machine part of that .c, from the macro on.  Its
      class_init runs the family base function, then the version's options
      function (empty for the newest, as QEMU's are), then sets the desc
      and, for the newest, alias and default (pseries: through
      spapr_machine_latest_class_options(), as spapr.c).  The base function
      (ccw_machine_class_options, virt_machine_options,
      spapr_machine_class_options) holds the family's options and
      family-wide sets: QEMU sets those in the class_init of the family's
      abstract QOM parent (ccw_machine_class_init, virt_machine_class_init,
      spapr_machine_class_init) and, for arm_virt_compat, in
      arm_virt_compat_set(), both of which run before the version's options
      in QEMU as here.  Functions take `MachineClass *mc`: an option's `m->`
      is written `mc->`; s390mc, vmc and smc are declared as QEMU declares
      them, where used.
    - s390-ccw-virtio also gets ccw_machine_X_Y_instance_options(MachineState
      *machine), run by the IMPL's per-version machine init function before
      ccw_init(): it calls the next newer version's, then the machine's
      CPU-model statements from compiler.cpumodels.machine_cpu_c_lines()
      (static declarations first, as QEMU writes them), with the headers
      their names need (INSTANCE_HEADERS).
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
  pc_piix.c's #ifdef CONFIG_XEN block and s390-virtio-ccw.c's #ifdef
  CONFIG_S390X_LEGACY_CPUS block do.  Local declarations (pcmc, x86mc, ...)
  and headers follow the conditions of the lines that use them, so no
  configuration sees an unused variable or a missing header.  Within one
  function, an assignment a later unconditional one overrides is dropped,
  and two adjacent assignments under opposite conditions share one
  #ifdef ... #else (virt's default CPU type with and without CONFIG_TCG).

Target-dependent drivers (${TYPE_X86_CPU}) are written as the macro, so one
file serves every target.  Option values: a symbol is written as-is
(&spapr_irq_xics, s390_fixup_ram_size); a CPU type name "model-${TYPE_X_CPU}"
as QEMU's X_CPU_TYPE_NAME("model") (CPU_TYPE_NAME_MACROS), and a plain one
ending in "-arm-cpu" as ARM_CPU_TYPE_NAME("model").

Not written: option assignments under a host guard (a CBackendError: a
machine class is built once, before any host is known), and the deprecation
of versioned machines, which QEMU's MACHINE_VER_DEPRECATION derives itself.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ...model import MACRO_RE, CompatEntry, CompatSet, Corpus, Family, Guard, Machine
from ...resolve import Resolved
from .. import merge_outputs
from ... import cpumodels, lifecycle, numbers, values
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
class ImplStyle:
    """A DEFINE_*_MACHINE_IMPL(latest, ...) macro QEMU keeps in the family's
    own .c file (not in a header, as DEFINE_PC_VER_MACHINE is): the machines
    file writes it, since it holds the family's facts (the type name, the
    desc with the version in it, what the newest version sets)."""

    parent_type: str  # the abstract QOM parent: TYPE_S390_CCW_MACHINE
    # Where the family's versions have instance options (FamilyStyle.
    # instance_sym), the IMPL macro writes a per-version machine init
    # function: these statements, the instance options, then
    # FamilyStyle.init_fn (s390-virtio-ccw.c's mach_init).
    init_prologue: tuple[str, ...] = ()
    # Where QEMU puts alias and default for the newest version in a function
    # of their own (spapr_machine_latest_class_options), its name.
    latest_fn: str | None = None
    # QEMU ends the macro with "type_init(...);" and writes the DEFINE lines
    # without a semicolon (virt.c), or the other way round.
    trailing_semicolon: bool = False


@dataclass(frozen=True)
class FamilyStyle:
    """How one family's machines are written in QEMU."""

    prefix: str  # pc_i440fx -> pc_i440fx_machine_9_2_options
    define: str  # DEFINE_I440FX_MACHINE (+ _AS_LATEST, _BUGFIX), or DEFINE_PC_MACHINE
    define_impl: str  # the macro the DEFINE macros expand to
    init_fn: str  # the machine init function DEFINE_*_MACHINE names
    path: str  # below generated/
    qemu_source: str
    includes: tuple[str, ...]
    # Where the family-wide sets of this family go; None: static arrays in
    # the machines file, as virt.c keeps arm_virt_compat.
    compat_file: str | None
    # False: DEFINE_PC_MACHINE(suffix, name, init, options function) per
    # machine, no base function, no version macros.
    versioned: bool = True
    # The targets QEMU compiles `qemu_source` for: a family built for fewer
    # gets a target condition.
    targets: tuple[str, ...] = ("x86_64", "i386")
    # The options functions' MachineClass parameter; an option's `m->` root
    # is rewritten to it.
    param: str = "m"
    # (root, declaration) for the other lvalue roots, in the order QEMU
    # writes them; "{param}" is the parameter.
    local_decls: tuple[tuple[str, str], ...] = ()
    # MACHINE_VER_SYM's name for the options function: pc_q35_machine_9_2_options,
    # ccw_machine_9_2_class_options.
    options_sym: str = "options"
    # Per-version instance options (ccw_machine_9_2_instance_options, run
    # by the machine init function): their MACHINE_VER_SYM name.
    instance_sym: str | None = None
    # Written by the machines file (the three non-x86 families); None: the
    # DEFINE macros expand to `define_impl` from a QEMU header (pc.h).
    impl: ImplStyle | None = None
    # Compat scopes whose sets QEMU keeps as `static GlobalProperty compat[]`
    # inside the options function that adds them (ccw, spapr).
    local_scopes: tuple[str, ...] = ()
    # A /* <machine name> */ comment above each version's function (spapr.c).
    machine_comment: bool = False
    # Where QEMU sets what the base function sets, for its comment (the
    # families with an impl: their abstract parent's class_init).
    base_origin: str | None = None

    @property
    def base_fn(self) -> str:
        return f"{self.prefix}_machine_{self.options_sym}"

    def options_fn(self, machine: Machine) -> str:
        if machine.version is None:
            return self.base_fn
        return f"{self.prefix}_machine_{machine.version.c_suffix}_{self.options_sym}"

    def instance_fn(self, machine: Machine) -> str:
        return f"{self.prefix}_machine_{machine.version.c_suffix}_{self.instance_sym}"

    @property
    def signature(self) -> str:
        return f"MachineClass *{self.param}"

    def decl_for(self, root: str) -> str | None:
        for name, decl in self.local_decls:
            if name == root:
                return decl.format(param=self.param)
        return None


# Local declarations for the lvalue roots of option assignments, in the
# order QEMU writes them (pc_i440fx_machine_2_6_options).
PC_LOCAL_DECLS = (
    ("x86mc", "X86MachineClass *x86mc = X86_MACHINE_CLASS({param});"),
    ("pcmc", "PCMachineClass *pcmc = PC_MACHINE_CLASS({param});"),
)

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
        local_decls=PC_LOCAL_DECLS,
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
        local_decls=PC_LOCAL_DECLS,
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
        local_decls=PC_LOCAL_DECLS,
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
        local_decls=PC_LOCAL_DECLS,
    ),
    "s390-ccw-virtio": FamilyStyle(
        prefix="ccw",
        define="DEFINE_CCW_MACHINE",
        define_impl="DEFINE_CCW_MACHINE_IMPL",
        init_fn="ccw_init",
        path="c/s390_ccw_machines.c",
        qemu_source="hw/s390x/s390-virtio-ccw.c",
        includes=("hw/boards.h", "hw/s390x/s390-virtio-ccw.h"),
        compat_file=None,
        targets=("s390x",),
        param="mc",
        local_decls=(("s390mc", "S390CcwMachineClass *s390mc = S390_CCW_MACHINE_CLASS({param});"),),
        options_sym="class_options",
        instance_sym="instance_options",
        impl=ImplStyle(
            parent_type="TYPE_S390_CCW_MACHINE",
            init_prologue=("current_mc = S390_CCW_MACHINE_CLASS(MACHINE_GET_CLASS(mach));",),
        ),
        local_scopes=("ccw",),
        base_origin="ccw_machine_class_init(), the class_init of the abstract "
        "TYPE_S390_CCW_MACHINE",
    ),
    "virt": FamilyStyle(
        prefix="virt",
        define="DEFINE_VIRT_MACHINE",
        define_impl="DEFINE_VIRT_MACHINE_IMPL",
        init_fn="machvirt_init",
        path="c/virt_machines.c",
        qemu_source="hw/arm/virt.c",
        includes=("hw/boards.h", "hw/arm/virt.h"),
        compat_file=None,
        targets=("aarch64", "arm"),
        param="mc",
        local_decls=(
            ("vmc", "VirtMachineClass *vmc = VIRT_MACHINE_CLASS(OBJECT_CLASS({param}));"),
        ),
        impl=ImplStyle(parent_type="TYPE_VIRT_MACHINE", trailing_semicolon=True),
        base_origin="virt_machine_class_init(), the class_init of the abstract "
        "TYPE_VIRT_MACHINE, and arm_virt_compat_set() for the family's compat sets",
    ),
    "pseries": FamilyStyle(
        prefix="spapr",
        define="DEFINE_SPAPR_MACHINE",
        define_impl="DEFINE_SPAPR_MACHINE_IMPL",
        init_fn="spapr_machine_init",
        path="c/spapr_machines.c",
        qemu_source="hw/ppc/spapr.c",
        includes=("hw/boards.h", "hw/ppc/spapr.h"),
        compat_file=None,
        targets=("ppc64",),
        param="mc",
        local_decls=(("smc", "SpaprMachineClass *smc = SPAPR_MACHINE_CLASS({param});"),),
        options_sym="class_options",
        impl=ImplStyle(
            parent_type="TYPE_SPAPR_MACHINE", latest_fn="spapr_machine_latest_class_options"
        ),
        local_scopes=("spapr",),
        machine_comment=True,
        base_origin="spapr_machine_class_init(), the class_init of the abstract "
        "TYPE_SPAPR_MACHINE",
    ),
}

# Headers that define the macros the output may name; <...> for a system
# header (Xen's public headers are installed ones).
MACRO_HEADERS = {
    "TYPE_X86_CPU": "target/i386/cpu.h",
    "X86_CPU_TYPE_NAME": "target/i386/cpu.h",
    "TARGET_DEFAULT_CPU_TYPE": "target/i386/cpu.h",
    "CPU_VERSION_LEGACY": "target/i386/cpu.h",
    "SMBIOS_ENTRY_POINT_TYPE_32": "hw/firmware/smbios.h",
    "SMBIOS_ENTRY_POINT_TYPE_64": "hw/firmware/smbios.h",
    "HVM_MAX_VCPUS": "<xen/hvm/hvm_info_table.h>",
    "S390_MAX_CPUS": "target/s390x/cpu.h",
    "TYPE_S390_CPU": "target/s390x/cpu-qom.h",
    "S390_CPU_TYPE_NAME": "target/s390x/cpu-qom.h",
    "TYPE_ARM_CPU": "target/arm/cpu-qom.h",
    "ARM_CPU_TYPE_NAME": "target/arm/cpu-qom.h",
    "TYPE_POWERPC_CPU": "target/ppc/cpu-qom.h",
    "POWERPC_CPU_TYPE_NAME": "target/ppc/cpu-qom.h",
    "SPAPR_CAP_OFF": "hw/ppc/spapr.h",
    "SPAPR_CAP_ON": "hw/ppc/spapr.h",
    "SPAPR_CAP_BROKEN": "hw/ppc/spapr.h",
    "SPAPR_CAP_WORKAROUND": "hw/ppc/spapr.h",
    "SPAPR_CAP_FIXED": "hw/ppc/spapr.h",
    "SPAPR_IRQ_NR_IPIS": "hw/ppc/spapr_irq.h",
    "SPAPR_NR_XIRQS": "hw/ppc/spapr_irq.h",
}
# Where the names the statements of compiler.cpumodels.machine_cpu_c_lines()
# use are declared (the ccw instance options).
INSTANCE_HEADERS = {
    "S390FeatInit": "target/s390x/cpu_models.h",
    "s390_cpudef_featoff_greater": "target/s390x/cpu_models.h",
    "s390_cpudef_group_featoff_greater": "target/s390x/cpu_models.h",
    "s390_set_qemu_cpu_model": "target/s390x/cpu_models.h",
    "css_migration_enabled": "hw/s390x/css.h",
}
SIZE_HEADER = "qemu/units.h"

# NAME("model") is "model" "-" TYPE_X_CPU (target/*/cpu-qom.h): a typename
# option "model-${TYPE_X_CPU}" is written the way QEMU writes it.
CPU_TYPE_NAME_MACROS = {
    "TYPE_X86_CPU": "X86_CPU_TYPE_NAME",
    "TYPE_S390_CPU": "S390_CPU_TYPE_NAME",
    "TYPE_POWERPC_CPU": "POWERPC_CPU_TYPE_NAME",
    "TYPE_ARM_CPU": "ARM_CPU_TYPE_NAME",
}
# The same for CPU types whose suffix is one string in every target, which
# the DSL writes as plain strings (target/arm/cpu-qom.h: TYPE_ARM_CPU is
# "arm-cpu" in qemu-system-arm and qemu-system-aarch64 alike).
FIXED_CPU_TYPE_SUFFIXES = {"-arm-cpu": "ARM_CPU_TYPE_NAME"}

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
    for match in MACRO_RE.finditer(driver):
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


def compat_props_add(name: str, param: str = "m", length: str | None = None) -> str:
    length = length or f"{name}_len"
    line = f"    compat_props_add({param}->compat_props, {name}, {length});"
    if len(line) <= MAX_LINE:
        return line
    return f"    compat_props_add({param}->compat_props,\n                     {name}, {length});"


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
        if style is None or style.compat_file is None:
            continue
        if any(ref.key == compat.key for ref in family.compat):
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


def styled_families(corpus: Corpus) -> list[tuple[Family, FamilyStyle]]:
    """The families machine definitions are written for, in FAMILY_STYLES
    order.  A family of a style's name for none of the targets QEMU builds
    the style's source for is another family (a "virt" for x86_64 is not
    hw/arm/virt.c's): it gets no machine definitions, as unknown families."""
    found = []
    for name, style in FAMILY_STYLES.items():
        family = corpus.families.get(name)
        if family is None or family.abstract:
            continue
        targets = {target for target, _ in family.targets}
        if targets and not targets & set(style.targets):
            continue
        found.append((family, style))
    return found


@dataclass
class SetPlacement:
    """The compat sets a machines file holds itself rather than a table file:
    `local` ones (their scope is one of a family's local_scopes) as a static
    array inside each options function that adds them, `static` family-wide
    ones as a file-level static array (key -> machines file)."""

    local: dict[tuple, str] = field(default_factory=dict)  # key -> scope's machines file
    static: dict[tuple, str] = field(default_factory=dict)

    @classmethod
    def of(cls, corpus: Corpus) -> "SetPlacement":
        placement = cls()
        scope_files = {}
        for _, style in styled_families(corpus):
            for scope in style.local_scopes:
                scope_files.setdefault(scope, style.path)
        for key, compat in corpus.compat_sets.items():
            if compat.version is not None and compat.scope in scope_files:
                placement.local[key] = scope_files[compat.scope]
        static: dict[tuple, set[str]] = {}
        shared = set()
        for family, style in styled_families(corpus):
            for member in family.lineage():
                for ref in member.compat:
                    compat = corpus.compat_sets.get(ref.key)
                    if compat is None or compat.version is not None:
                        continue
                    if style.compat_file is None:
                        static.setdefault(ref.key, set()).add(style.path)
                    else:
                        shared.add(ref.key)
        # Named by families of several files, or by one with a table file: a table.
        for key, paths in static.items():
            if len(paths) == 1 and key not in shared:
                placement.static[key] = paths.pop()
        return placement

    def in_tables(self, compat: CompatSet) -> bool:
        return compat.key not in self.local and compat.key not in self.static


def render_tables(corpus: Corpus, sources: list[str]) -> dict[str, str]:
    files: dict[str, tuple[CompatFile, list[CompatSet]]] = {}
    placement = SetPlacement.of(corpus)
    for compat in sorted(corpus.compat_sets.values(), key=set_order):
        if not placement.in_tables(compat):
            continue  # written by a machines file (render_machines)
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
    # Written with the local declarations: a function-local compat array, a
    # static CPU feature list of the instance options.
    decl: bool = False


_CPU_TYPEREF_RE = re.compile(r"([^$]+)-\$\{([A-Za-z_][A-Za-z0-9_]*)\}\Z")


def type_name_expr(value, macros: set[str]) -> str:
    """A typename value: "power9_v2.2-${TYPE_POWERPC_CPU}" is
    POWERPC_CPU_TYPE_NAME("power9_v2.2"), as QEMU writes it; other ${MACRO}
    forms are written as a driver is ("pre-" TYPE_X86_CPU "-post")."""
    match = _CPU_TYPEREF_RE.match(value.text)
    if match and match.group(2) in CPU_TYPE_NAME_MACROS:
        name = CPU_TYPE_NAME_MACROS[match.group(2)]
        macros.add(name)
        return f"{name}({c_string_at(match.group(1), value.location)})"
    # "${TARGET_DEFAULT_CPU_TYPE}" or "486-${TYPE_X86_CPU}", written as a driver is.
    text = value.text if "${" in value.text else f"${{{value.text}}}"
    try:
        expr, used = driver_expr(text)
    except CBackendError as exc:
        raise CBackendError(f"{value.location.file}:{value.location.line}: {exc}") from None
    macros.update(used)
    return expr


def option_value(decl, assign, macros: set[str], sizes: list) -> str:
    value = assign.value
    if value.kind == "bool":
        return value.text
    if value.kind == "int":
        return numbers.c_literal(value.text)  # 0o17 is C's 017
    if value.kind == "size":
        sizes.append(value)
        return values.c_size(value.text)
    if value.kind == "macro":
        macros.add(value.text)
        return value.text
    if value.kind == "symbol":
        return value.text  # &spapr_irq_xics, s390_fixup_ram_size: C as written
    if value.kind == "typeref":
        return type_name_expr(value, macros)
    if decl.type == "typename":
        for suffix, name in FIXED_CPU_TYPE_SUFFIXES.items():
            if value.text.endswith(suffix) and len(value.text) > len(suffix):
                macros.add(name)
                return f"{name}({c_string_at(value.text[: -len(suffix)], value.location)})"
    return c_string_at(value.text, value.location)


def assignment(lvalue: str, value: str, **kwargs) -> Stmt:
    match = _LVALUE_ROOT_RE.match(lvalue)
    return Stmt(
        f"    {lvalue} = {value};", lvalue=lvalue, root=match.group(1) if match else None, **kwargs
    )


def machine_lvalue(decl, style: FamilyStyle) -> str:
    """The option's C lvalue in `style`'s functions: the DSL's `m->` (the
    MachineClass) becomes the functions' parameter (`mc->` outside x86)."""
    lvalue = decl.c_lvalue.strip()
    match = _LVALUE_ROOT_RE.match(lvalue)
    root = match.group(1) if match else None
    if root in ("m", style.param):
        return style.param + lvalue[match.end(1) :]
    if root is None or style.decl_for(root) is None:
        loc = decl.location
        known = ", ".join(f"{r}->" for r in ["m", *(name for name, _ in style.local_decls)])
        raise CBackendError(
            f"{loc.file}:{loc.line}: option {decl.name}: the C backend knows no local "
            f"declaration for '{decl.c_lvalue}' in {style.qemu_source}'s options functions "
            f"(known: {known})"
        )
    return lvalue


def option_stmts(assigns, corpus: Corpus, style: FamilyStyle) -> list[Stmt]:
    stmts = []
    for assign in assigns:
        decl = corpus.options[assign.name]
        if not getattr(decl, "c_lvalue", None):
            continue  # an option with no machine-class field: nothing to write in C
        lvalue = machine_lvalue(decl, style)
        if is_host_guard(assign.guard):
            raise CBackendError(
                f"{where(assign)}: option {decl.name} is assigned under a host guard "
                f"({assign.guard}): C cannot write that, since a machine class is built "
                "once, before any host is known (guard a compat entry instead)"
            )
        macros: set[str] = set()
        sizes: list = []
        value = option_value(decl, assign, macros, sizes)
        stmt = assignment(
            lvalue,
            value,
            condition=Condition.of(assign.guard),
            macros=tuple(sorted(macros)),
            size=bool(sizes),
        )
        if assign.comment:
            # The DSL's comment goes where QEMU keeps it: above the assignment.
            comment = "\n".join(block_comment(assign.comment, "    "))
            stmt = dataclasses.replace(stmt, lines=f"{comment}\n{stmt.lines}")
        stmts.append(stmt)
    return stmts


def version_desc(text: str, location, style: FamilyStyle | None) -> str | None:
    """A desc holding {version}: "QEMU " MACHINE_VER_STR(__VA_ARGS__) " ARM
    Virtual Machine", for the IMPL macro's class_init; None for a plain one."""
    if "{version}" not in text:
        return None
    if style is None or style.impl is None:
        raise CBackendError(
            f'{location.file}:{location.line}: desc "{text}" names the version, which only '
            "a DEFINE_*_MACHINE_IMPL macro the machines file writes can fill in"
        )
    parts = []
    for i, part in enumerate(text.split("{version}")):
        if i:
            parts.append("MACHINE_VER_STR(__VA_ARGS__)")
        if part:
            parts.append(c_string_at(part, location))
    return " ".join(parts)


def family_desc(family: Family, style: FamilyStyle | None = None) -> str | None:
    descs = [(member.desc, member) for member in family.lineage() if member.desc is not None]
    if not descs:
        return None
    desc, member = descs[-1]
    if version_desc(desc, member.location, style) is not None:
        return None  # the IMPL macro sets it
    return c_string_at(desc, member.location)


@dataclass
class Function:
    """A rendered options function and what it needs from the file."""

    text: str
    macros: set[str]
    size: bool


def render_function(
    name: str,
    sections: list[list[Stmt]],
    style: FamilyStyle,
    signature: str | None = None,
    param: str | None = None,
) -> Function:
    """static void name(signature) { local declarations; sections }."""
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
    local: list[Stmt] = []
    macros: set[str] = set()
    size = False
    for section in sections:
        stmts = [s for s in section if kept(s)]
        for stmt in stmts:
            if stmt.root is not None:
                roots[stmt.root] = roots.get(stmt.root, NEVER) | stmt.condition
            macros.update(stmt.macros)
            size = size or stmt.size
        local += [s for s in stmts if s.decl]
        stmts = [s for s in stmts if not s.decl]
        if not any(not s.title for s in stmts):
            continue
        groups.append(wrap_lines(((s.condition, s.lines) for s in stmts), merge_else=True))
    decls = wrap_lines(
        (roots[root], f"    {style.decl_for(root)}")
        for root, _ in style.local_decls
        if root in roots
    )
    decls += wrap_lines((s.condition, s.lines) for s in local)
    text = _template("options_function.c.j2").render(
        name=name,
        signature=signature or style.signature,
        param=param or style.param,
        decls=decls,
        groups=groups,
    )
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


# Where a multi-line macro's backslashes go (QEMU aligns them in its IMPL macros).
MACRO_BACKSLASH_COLUMN = 78


def macro_text(head: str, body: list[str]) -> str:
    """#define head, then `body` (indented by 4), with aligned backslashes."""
    lines = [f"#define {head}", *(f"    {line}" for line in body)]
    width = MACRO_BACKSLASH_COLUMN - 2
    out = [f"{line.ljust(width)} \\" for line in lines[:-1]]
    return "\n".join(out + lines[-1:])


def impl_macro(style: FamilyStyle, namestr: str, desc: str | None, latest: list[str]) -> str:
    """DEFINE_*_MACHINE_IMPL(latest, ...) as QEMU's s390-virtio-ccw.c, virt.c
    and spapr.c write theirs: a class_init that runs the family's base
    function (what the abstract parent's class_init sets in QEMU), then the
    version's options function, sets the desc naming the version, applies
    QEMU's deprecation rule and, for the newest, alias and default; the
    TypeInfo; a registration function that applies QEMU's deletion rule."""
    impl = style.impl
    assert impl is not None

    def sym(what: str) -> str:
        return f"MACHINE_VER_SYM({what}, {style.prefix}, __VA_ARGS__)"

    body = []
    if style.instance_sym:
        body += [
            f"static void {sym('mach_init')}(MachineState *mach)",
            "{",
            *(f"    {line}" for line in impl.init_prologue),
            f"    {sym(style.instance_sym)}(mach);",
            f"    {style.init_fn}(mach);",
            "}",
        ]
    body += [
        f"static void {sym('class_init')}(",
        "    ObjectClass *oc,",
        "    void *data)",
        "{",
        "    MachineClass *mc = MACHINE_CLASS(oc);",
        "    (void)data;",
        f"    {style.base_fn}(mc);",
        f"    {sym(style.options_sym)}(mc);",
    ]
    if desc is not None:
        body.append(f"    mc->desc = {desc};")
    if style.instance_sym:
        body.append(f"    mc->init = {sym('mach_init')};")
    body.append("    MACHINE_VER_DEPRECATION(__VA_ARGS__);")
    if latest:
        body.append("    if (latest) {")
        if impl.latest_fn:
            body.append(f"        {impl.latest_fn}(mc);")
        else:
            body += [f"        {line}" for line in latest]
        body.append("    }")
    body += [
        "}",
        f"static const TypeInfo {sym('info')} =",
        "{",
        f"    .name = MACHINE_VER_TYPE_NAME({namestr}, __VA_ARGS__),",
        f"    .parent = {impl.parent_type},",
        f"    .class_init = {sym('class_init')},",
        "};",
        f"static void {sym('register')}(void)",
        "{",
        "    MACHINE_VER_DELETION(__VA_ARGS__);",
        f"    type_register_static(&{sym('info')});",
        "}",
        f"type_init({sym('register')}){';' if impl.trailing_semicolon else ''}",
    ]
    return macro_text(f"{style.define_impl}(latest, ...)", body)


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def cpu_statements(lines: list[str]) -> tuple[list[Stmt], list[Stmt]]:
    """compiler.cpumodels' statements for one machine's instance options:
    (static declarations, which QEMU writes before the call to the newer
    version's instance options, the others in order)."""
    decls, body = [], []
    for text in lines:
        text = text.strip()
        if not text:
            continue
        indented = "\n".join(
            line if line.startswith("#") or not line.strip() else f"    {line}"
            for line in text.split("\n")
        )
        names = {n for n in _NAME_RE.findall(text) if n in INSTANCE_HEADERS or n in MACRO_HEADERS}
        stmt = Stmt(indented, macros=tuple(sorted(names)), decl=text.startswith("static "))
        (decls if stmt.decl else body).append(stmt)
    return decls, body


class MachineFiles:
    """Every machine of every styled family, where it exists and where its
    options function is needed."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.families: list[tuple[Family, FamilyStyle]] = styled_families(corpus)
        self.placement = SetPlacement.of(corpus)
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
        self.preamble: list[Unit] = []  # file-level arrays and helpers, before the macros
        self.units: list[Unit] = []
        self.forward: dict[str, tuple[Condition, str]] = {}
        self.defined: set[str] = set()
        self.macro_defs: list[dict] = []
        self.macros: dict[str, Condition] = {}  # where the file names each macro
        self.size = False
        self.arrays = False  # GlobalProperty initializers in the file
        self.uses: list[str] = []  # what the file names from QEMU's own source file

    def use(self, condition: Condition, macros) -> None:
        for macro in macros:
            self.macros[macro] = self.macros.get(macro, NEVER) | condition

    def add_function(
        self, condition: Condition, name: str, sections, style: FamilyStyle, **kwargs
    ) -> None:
        comment = kwargs.pop("comment", None)
        function = render_function(name, sections, style, **kwargs)
        self.use(condition, function.macros)
        self.size = self.size or function.size
        text = function.text if comment is None else f"{comment}\n{function.text}"
        self.units.append(Unit(condition, text))
        self.defined.add(name)

    def note_symbols(self, assigns) -> None:
        for assign in assigns:
            if assign.value.kind == "symbol":
                name = assign.value.text.lstrip("&")
                if name not in self.uses:
                    self.uses.append(name)

    def parent_of(self, machine: Machine, what: str) -> tuple[Family, FamilyStyle]:
        parent = machine.parent
        if id(parent) not in self.files.home:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose family has "
                f"no C style: its {what} function is not written"
            )
        family, style = self.files.home[id(parent)]
        if style.path != self.path:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose {what} "
                f"function is static in {style.path}, not {self.path}"
            )
        return family, style

    def call(self, machine: Machine, name: str, argument: str, signature: str) -> Stmt:
        if name not in self.defined:
            self.forward.setdefault(name, (NEVER, f"static void {name}({signature});"))
            condition, line = self.forward[name]
            self.forward[name] = (condition | self.files.needed(machine), line)
        return Stmt(f"    {name}({argument});")

    def call_parent(self, machine: Machine, style: FamilyStyle) -> Stmt:
        _, parent_style = self.parent_of(machine, "options")
        name = parent_style.options_fn(machine.parent)
        return self.call(machine.parent, name, style.param, parent_style.signature)

    def call_parent_instance(self, machine: Machine) -> Stmt:
        _, parent_style = self.parent_of(machine, "instance options")
        if parent_style.instance_sym is None:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {machine.parent.name}, whose "
                "family has no instance options"
            )
        name = parent_style.instance_fn(machine.parent)
        return self.call(machine.parent, name, "machine", "MachineState *machine")

    # -- compat sets

    def local_array(self, compat: CompatSet, array: str) -> Stmt:
        """static GlobalProperty compat[] = {...}; inside an options function."""
        macros: set[str] = set()
        lines = [f"    static GlobalProperty {array}[] = {{"]
        for line in wrap_lines(self.set_lines(compat, macros)):
            lines.append(line if line.startswith("#") else f"    {line}")
        lines.append("    };")
        self.arrays = True
        return Stmt("\n".join(lines), macros=tuple(sorted(macros)), decl=True)

    def set_lines(self, compat: CompatSet, macros: set[str]):
        for entry in compat.entries:
            if is_host_guard(entry.guard):
                raise CBackendError(
                    f"{where(entry)}: {compat.display}: an entry under a host guard "
                    f"({entry.guard}) cannot be in the array {self.path} keeps this set in "
                    "(entries under host guards need the tables' _host arrays)"
                )
            for line in entry_line(entry, macros).split("\n"):
                yield Condition.of(entry.guard), line

    def static_array(self, condition: Condition, compat: CompatSet) -> None:
        """A family-wide set as a static array of the file (virt.c's arm_virt_compat)."""
        macros: set[str] = set()
        name = set_name(compat)
        entries = wrap_lines(self.set_lines(compat, macros))
        if entries:
            text = "\n".join([f"static GlobalProperty {name}[] = {{", *entries, "};"])
        else:
            text = f"static GlobalProperty {name}[] = {{}};"
        text += f"\nstatic const size_t {name}_len = G_N_ELEMENTS({name});"
        self.use(condition, macros)
        self.arrays = True
        self.preamble.append(Unit(condition, text))

    def compat_stmts(self, refs, style: FamilyStyle) -> list[Stmt]:
        """compat_props_add() for each set, in order; a local set's array too."""
        placement = self.files.placement
        sets = [self.corpus.compat_sets[ref.key] for ref in refs]
        local = [c for c in sets if c.key in placement.local and c.entries]
        stmts = []
        for ref, compat in zip(refs, sets):
            name = set_name(compat)
            if compat.key in placement.local:
                if compat.scope not in style.local_scopes:
                    raise CBackendError(
                        f"{where(ref)}: {compat.display}: sets of scope {compat.scope} are "
                        f"arrays inside the options functions of {placement.local[compat.key]}, "
                        f"which {style.qemu_source}'s functions cannot add"
                    )
                if not compat.entries:
                    continue  # nothing to add: QEMU writes no empty local array
                array = "compat" if len(local) == 1 else name
                stmts.append(self.local_array(compat, array))
                stmts.append(Stmt(compat_props_add(array, style.param, f"G_N_ELEMENTS({array})")))
                continue
            home = placement.static.get(compat.key)
            if home is not None and home != self.path:
                raise CBackendError(
                    f"{where(ref)}: {compat.display} is a static array of {home}, "
                    f"not of {self.path}"
                )
            stmts.append(Stmt(compat_props_add(name, style.param)))
        return stmts

    def lineage_sections(self, family: Family, style: FamilyStyle) -> list[list[Stmt]]:
        """What a family and the families it extends say, most basic first: a
        section per family (titled when there are several), then their sets."""
        sections = []
        lineage = family.lineage()
        for member in lineage:
            stmts = []
            if member.desc is not None:
                if version_desc(member.desc, member.location, style) is None:
                    desc = c_string_at(member.desc, member.location)
                    stmts.append(assignment(f"{style.param}->desc", desc))
            stmts += option_stmts(member.options, self.corpus, style)
            self.note_symbols(member.options)
            if stmts:
                if len(lineage) > 1:
                    title = c_comment_text(f"family {member.name}")
                    stmts.insert(0, Stmt(f"    /* {title} */", title=True))
                sections.append(stmts)
        refs = [ref for member in lineage for ref in member.compat]
        sections.append(self.compat_stmts(refs, style))
        return sections

    def family_static_sets(self, family: Family, condition: Condition) -> None:
        placement = self.files.placement
        seen = set()
        for member in family.lineage():
            for ref in member.compat:
                if placement.static.get(ref.key) == self.path and ref.key not in seen:
                    seen.add(ref.key)
                    self.static_array(condition, self.corpus.compat_sets[ref.key])

    # -- families

    def versioned_family(self, family: Family, style: FamilyStyle) -> None:
        machines = self.files.machines[family.name]
        impl = style.impl
        if impl is not None and not machines:
            return  # no DEFINE line would call anything
        # The base function: called by every class_init of the IMPL macro,
        # or by the options functions of the machines without a parent.
        callers = machines if impl is not None else [m for m in machines if m.parent is None]
        base_condition = ALWAYS
        if callers:
            base_condition = NEVER
            for machine in callers:
                base_condition = base_condition | (
                    self.files.exists(machine) if impl is not None else self.files.needed(machine)
                )
        self.family_static_sets(family, base_condition)
        comment = None
        if style.base_origin:
            comment = "\n".join(
                block_comment(f"{family.name}: what QEMU sets in {style.base_origin}", "")
            )
        self.add_function(
            base_condition,
            style.base_fn,
            self.lineage_sections(family, style),
            style,
            comment=comment,
        )

        namestr = c_string_at(machine_namestr(family), family.location)
        used: dict[str, dict] = {}
        newest = machines[0] if machines else None
        latest: list[Stmt] = []
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
                    "latest": "true",
                }
                if alias is not None:
                    latest.append(assignment("mc->alias", c_string_at(alias, family.location)))
                if is_default:
                    latest.append(assignment("mc->is_default", "true"))
            elif len(parts) == 2 or (len(parts) == 3 and impl is None):
                macro = style.define if len(parts) == 2 else f"{style.define}_BUGFIX"
                params = "major, minor" if len(parts) == 2 else "major, minor, micro"
                used.setdefault(
                    macro,
                    {"params": params, "is_default": "false", "alias": "NULL", "latest": "false"},
                )
            else:
                raise CBackendError(f"{where(machine)}: {machine.name}: no DEFINE macro for it")

            if machine.parent is not None:
                call = [self.call_parent(machine, style)]
            elif impl is None:
                call = [Stmt(f"    {style.base_fn}({style.param});")]
            else:
                call = []  # the IMPL macro's class_init calls the base function
            stmts = [*call, *self.compat_stmts(machine.compat, style)]
            stmts += self.own_family_desc(machine, family, style)
            stmts += option_stmts(machine.options, self.corpus, style)
            self.note_symbols(machine.options)
            if style.instance_sym:
                self.instance_function(machine, style)
            comment = None
            if style.machine_comment:
                comment = f"/*\n * {c_comment_text(machine.name)}\n */"
            self.add_function(
                self.files.needed(machine),
                style.options_fn(machine),
                [stmts],
                style,
                comment=comment,
            )
            semicolon = "" if impl is not None and impl.trailing_semicolon else ";"
            define = f"{macro}({', '.join(str(p) for p in parts)}){semicolon}"
            self.units.append(Unit(self.files.exists(machine), define))

        if impl is not None:
            self.impl_family(family, style, base_condition, namestr, used, latest)
            return
        order = [style.define, f"{style.define}_AS_LATEST", f"{style.define}_BUGFIX"]
        for name in order:
            if name in used:
                info = used[name]
                self.macro_defs.append(
                    {
                        "name": name,
                        "params": info["params"],
                        "body": f"{style.define_impl}({style.prefix}, {namestr}, "
                        f"{style.init_fn}, {info['is_default']}, {info['alias']}, "
                        f"{info['params']});",
                    }
                )

    def impl_family(self, family, style, condition, namestr, used, latest) -> None:
        """The IMPL macro, its DEFINE wrappers and the newest's function."""
        impl = style.impl
        lines = [s.lines.strip() for s in latest]
        if impl.latest_fn and latest:
            function = render_function(impl.latest_fn, [latest], style)
            self.preamble.append(Unit(condition, function.text))
        desc = family_desc_version(family, style)
        self.macro_defs.append({"text": impl_macro(style, namestr, desc, lines)})
        for name in (f"{style.define}_AS_LATEST", style.define):
            if name in used:
                self.macro_defs.append(
                    {
                        "name": name,
                        "params": used[name]["params"],
                        "body": f"{style.define_impl}({used[name]['latest']}, "
                        f"{used[name]['params']})",
                    }
                )
        front = [f"{style.init_fn}()"] if style.instance_sym else []
        front += [line.split(" = ")[0] for line in impl.init_prologue]
        self.uses = front + [name for name in self.uses if name not in front]

    def instance_function(self, machine: Machine, style: FamilyStyle) -> None:
        """ccw_machine_X_Y_instance_options(): the next newer version's, then
        the machine's CPU-model statements (compiler.cpumodels)."""
        lines = cpumodels.machine_cpu_c_lines(self.corpus, machine)
        decls, body = cpu_statements(list(lines or []))
        call = [self.call_parent_instance(machine)] if machine.parent is not None else []
        self.add_function(
            self.files.needed(machine),
            style.instance_fn(machine),
            [[*decls, *call, *body]],
            style,
            signature="MachineState *machine",
            param="machine",
        )

    def own_family_desc(self, machine: Machine, family: Family, style: FamilyStyle) -> list[Stmt]:
        """The desc for a machine whose parent is of another family: the
        parent's function set the parent family's."""
        if machine.parent is None or machine.parent.family == machine.family:
            return []
        desc = family_desc(family, style)
        return [] if desc is None else [assignment(f"{style.param}->desc", desc)]

    def pc_machine_family(self, family: Family, style: FamilyStyle) -> None:
        """DEFINE_PC_MACHINE(suffix, "name", init, options function) per machine."""
        corpus = self.corpus
        param = style.param
        for machine in self.files.machines[family.name]:
            if machine.parent is not None:
                own = self.compat_stmts(machine.compat, style)
                sections = [[self.call_parent(machine, style), *own]]
            else:
                sections = self.lineage_sections(family, style)
                sections.append(self.compat_stmts(machine.compat, style))
            facts = self.own_family_desc(machine, family, style)
            alias = machine_alias(machine, family)
            if alias is not None:
                facts.append(assignment(f"{param}->alias", c_string_at(alias, machine.location)))
            if machine.default is not None:
                facts.append(assignment(f"{param}->is_default", "true"))
            reason = lifecycle.deprecation_reason(
                machine, corpus.lifecycle, corpus.current_release, family.manual_lifecycle
            )
            if reason is not None:
                facts.append(
                    assignment(
                        f"{param}->deprecation_reason", c_string_at(reason, machine.location)
                    )
                )
            facts += option_stmts(machine.options, corpus, style)
            self.note_symbols(machine.options)
            if machine.parent is not None:
                sections[0] += facts
            else:
                sections.append(facts)
            name = style.options_fn(machine)
            self.add_function(self.files.needed(machine), name, sections, style)
            args = [
                pc_machine_suffix(machine),
                c_string_at(machine.name, machine.location),
                style.init_fn,
                name,
            ]
            self.units.append(Unit(self.files.exists(machine), define_call(style.define, args)))

    def note(self, families) -> str:
        style = families[0][1]
        if style.impl is None:
            init_fns = ", ".join(f"{s.init_fn}()" for _, s in families)
            return (
                f"QEMU writes these in {style.qemu_source}, after the machine init "
                f"functions they name ({init_fns})."
            )
        text = (
            f"This is the versioned-machine part of QEMU's {style.qemu_source}, from its "
            f"{style.define_impl} macro on"
        )
        if self.uses:
            text += (
                f", and uses what that file defines or declares before it: {', '.join(self.uses)}"
            )
        return text + "."

    def render(self, families, sources: list[str]) -> str:
        for family, style in families:
            if style.versioned:
                self.versioned_family(family, style)
            else:
                self.pc_machine_family(family, style)
        # Each header under the "or" of where the file names its macros.
        headers: dict[str, Condition] = {}
        for macro in sorted(self.macros):
            header = MACRO_HEADERS.get(macro) or INSTANCE_HEADERS.get(macro)
            if header is not None:
                headers[header] = headers.get(header, NEVER) | self.macros[macro]
        includes = ordered_includes(
            [SIZE_HEADER] if self.size else [],
            families[0][1].includes,
            [header for header, condition in headers.items() if condition.always],
            [HEADER.removeprefix("c/")],
        )
        conditional = [(c, h) for h, c in headers.items() if not c.always]

        def joined(units):
            out = []
            for condition, texts in blocks((u.condition, u.text) for u in units):
                text = "\n\n".join(texts)
                if not condition.always:
                    text = f"{condition.open()}\n{text}\n#endif"
                out.append(text)
            return out

        forward = wrap_lines(self.forward.values())
        return _template("machines.c.j2").render(
            banner=banner(sources, self.note(families)),
            includes=include_lines(includes, conditional),
            pragma=self.arrays,
            preamble=joined(self.preamble),
            macros=self.macro_defs,
            forward=forward,
            body=joined(self.units),
        )


def family_desc_version(family: Family, style: FamilyStyle) -> str | None:
    """The IMPL macro's desc: the family's, when it names the version."""
    descs = [(member.desc, member) for member in family.lineage() if member.desc is not None]
    if not descs:
        return None
    desc, member = descs[-1]
    return version_desc(desc, member.location, style)


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
    )


@lru_cache(maxsize=None)
def _template(name: str):
    return _environment().get_template(name)


def emit(resolved: Resolved, sources: list[str]) -> dict[str, str]:
    """Every configuration's C: read from the corpus, whatever `resolved`
    was configured with."""
    corpus = resolved.corpus

    def locate(path: str):
        """The compat set whose table file is `path`, for a path another
        output has too (compat host_features, a set named pc_q35_machines)."""
        for compat in corpus.compat_sets.values():
            if set_file(compat, corpus).path.casefold() == path.casefold():
                return compat.location
        return None

    outputs: dict[str, str] = {}
    for part in (render_tables, render_host, render_machines):
        merge_outputs(outputs, part(corpus, sources), locate)
    return outputs
