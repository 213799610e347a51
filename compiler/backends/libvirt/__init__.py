"""libvirt backend: what libvirt would report for the binaries machines/ describes.

generated/libvirt/capabilities.xml
    A `virsh capabilities` document: a generic host section, then one <guest>
    per target binary listing its machine types.  The shape, attribute order
    and omission rules are those of libvirt's virCapabilitiesFormatXML
    (src/conf/capabilities.c); the machine list is built the way
    virQEMUCapsGetMachineTypesCaps (src/qemu/qemu_capabilities.c) builds it.

generated/libvirt/qemucaps-<target>.xml
    The <machine .../> lines libvirt's QEMU capabilities cache holds for the
    binary, once for type='kvm' and once for type='tcg', in the order and with
    the omission rules of virQEMUCapsFormatMachines, inside a <qemuCaps> root
    (with the cache's <emulator> and <arch>) so the file is well-formed XML.
    It is not a loadable cache: the probe timestamps, flags and CPU models
    libvirt also stores there are host facts this compiler does not have.

generated/libvirt/domcaps-<target>.xml (targets with a cpu-models block: s390x)
    `virsh domcapabilities --disable-deprecated-features` for the default
    machine, CPU part: the host-model CPU with every deprecated feature it has
    as policy='disable' (libvirt's deprecated_features='off'), valid against
    libvirt's domaincaps.rng.  The host stands for the cpu-models block's
    'host-model' definition (gen17a) with its default features.

Every value comes from the resolved model; libvirt's own policy (its preferred
default machine per architecture, the order it probes accelerators in) is
spelled out below.  Output is written the way libvirt's virBuffer writes it:
2-space indentation, single-quoted attributes, no XML declaration.
"""

from __future__ import annotations

import re

from .. import BackendError
from ...diagnostics import Location
from ...resolve import Resolved, ResolvedMachine, ResolvedTarget

# The host section libvirt writes when it knows nothing about the host but its
# architecture (libvirt's own tests/qemucaps2xmloutdata/caps.x86_64.xml): no
# <uuid> (virUUIDIsValid rejects a placeholder of identical bytes, so libvirt
# never prints one), no CPU model, no power management, no IOMMU.
HOST_ARCH = "x86_64"

# virQEMUCapsInitGuestFromBinary adds the TCG domain first, then KVM.
DOMAIN_TYPES = ("qemu", "kvm")

# virQEMUCapsFormatCache formats the KVM accelerator first, then TCG
# (virQEMUCapsAccelStr: VIR_DOMAIN_VIRT_KVM -> "kvm", VIR_DOMAIN_VIRT_QEMU -> "tcg").
CACHE_TYPES = ("kvm", "tcg")

# libvirt's virArch enum order (src/util/virarch.c virArchData[]):
# virQEMUCapsInit probes the architectures in this order, so the <guest>
# elements come in it.  An architecture not listed here sorts after these.
LIBVIRT_ARCH_ORDER = (
    "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32",
    "m68k", "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el",
    "openrisc", "parisc", "parisc64", "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb",
    "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb", "sparc", "sparc64",
    "unicore32", "x86_64", "xtensa", "xtensaeb",
)  # fmt: skip

# libvirt's preferredMachines[] for the architectures we emit: the machine it
# moves to the front of the probed list (virQEMUCapsProbeQMPMachineTypes).  An
# architecture without an entry, or whose preferred machine is missing, falls
# back to QEMU's is-default machine, as libvirt does.
PREFERRED_MACHINES = {
    "armv7l": "virt",
    "aarch64": "virt",
    "i686": "pc",
    "ppc64": "pseries",
    "s390x": "s390-ccw-virtio",
    "x86_64": "pc",
}

# What XML 1.0 cannot carry at all (its Char production): other control
# characters, surrogates, U+FFFE and U+FFFF.
# Spelt as what is excluded: the complement of the astral range costs
# milliseconds to compile.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The five XML specials become entities, as virBufferEscapeString writes
# them; a carriage return is a character reference (a parser would turn a raw
# one into a newline).  In an attribute value a parser turns raw tabs and
# newlines into spaces, so there they are character references too.
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_TEXT_ESCAPES["\r"] = "&#13;"
_ATTR_ESCAPES = {**_TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;"}
_TEXT_RE = re.compile("[&<>\"'\r]")
_ATTR_RE = re.compile("[&<>\"'\r\t\n]")


def xml_checked(text: str, location: Location | None, what: str) -> str:
    """text, or a BackendError at `location` if XML 1.0 cannot carry it."""
    bad = _NOT_XML_RE.search(text)
    if bad is not None:
        raise BackendError(
            f"{what} {text!r} cannot be written in libvirt's XML: XML 1.0 has no "
            f"character U+{ord(bad.group()):04X}",
            location,
        )
    return text


def escape(text: str) -> str:
    """Element text as virBufferEscapeString writes it; `text` has passed
    xml_checked() (or comes from a token that cannot hold such characters)."""
    return _TEXT_RE.sub(lambda m: _TEXT_ESCAPES[m.group()], xml_checked(str(text), None, "text"))


def attr(text: str) -> str:
    """An attribute value: escape() plus tab, newline and carriage return as
    character references, so a parser reads back exactly `text`."""
    return _ATTR_RE.sub(lambda m: _ATTR_ESCAPES[m.group()], xml_checked(str(text), None, "text"))


def banner(sources: list[str]) -> str:
    """The generated-by note as an XML comment ("--" may not occur inside one)."""
    text = f"generated by mtc from {', '.join(sources)}; do not edit"
    while "--" in text:
        text = text.replace("--", "- -")
    return f"<!-- {text} -->\n"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


class Buffer:
    """A tiny virBuffer: lines indented by the current depth, 2 spaces a level."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.parts.append("  " * self.depth + text + "\n")

    def blank(self) -> None:
        self.parts.append("\n")

    def open(self, text: str) -> None:
        self.line(text)
        self.depth += 1

    def close(self, text: str) -> None:
        self.depth -= 1
        self.line(text)

    def text(self) -> str:
        return "".join(self.parts)


# ---------------------------------------------------------------------------
# What libvirt learns from query-machines, per machine.


def machine_info(machine: ResolvedMachine) -> dict:
    """The query-machines facts libvirt stores (qemuMonitorMachineInfo).

    Defaults are QEMU's for a MachineClass field nobody set: cpu-max is
    `!mc->max_cpus ? 1 : mc->max_cpus`, the booleans are false, the strings
    absent.  `acpi` (query-machines since QEMU 8.0) is None while the model has
    no option reporting it: libvirt then keeps VIR_TRISTATE_BOOL_ABSENT and
    writes no acpi attribute.
    """
    acpi = machine.query_value("acpi")
    source = machine.machine
    xml_checked(machine.name, source.location, "machine name")
    if machine.alias is not None:
        xml_checked(machine.alias, source.alias or source.location, "alias")
    for query in ("default-cpu-type", "default-ram-id"):
        option = query_option(machine, query)
        if option is not None and isinstance(option.value, str):
            xml_checked(option.value, option.assign.value.location, f"option {option.name}")
    return {
        "name": machine.name,
        "alias": machine.alias,
        "maxCpus": int(machine.query_value("cpu-max", 1)),
        "hotplugCpus": bool(machine.query_value("hotpluggable-cpus", False)),
        "default": machine.is_default,
        "defaultCPU": machine.query_value("default-cpu-type"),
        "numaMemSupported": bool(machine.query_value("numa-mem-supported", False)),
        "defaultRAMid": machine.query_value("default-ram-id"),
        "deprecated": machine.deprecated,
        "acpi": None if acpi is None else bool(acpi),
    }


def query_option(machine: ResolvedMachine, query: str):
    """The resolved option query-machines reports as `query`, if any."""
    for option in machine.options.values():
        if option.decl.query == query:
            return option
    return None


def probed_machines(resolved_target: ResolvedTarget) -> list[dict]:
    """The machine list in the order libvirt keeps it after probing.

    QEMU reports machines in no particular order; we use the resolved order
    and then do what virQEMUCapsProbeQMPMachineTypes does: move the preferred
    machine (else QEMU's default) to the front, keeping the rest in order.
    """
    machines = [machine_info(m) for m in resolved_target.machines]
    preferred = PREFERRED_MACHINES.get(resolved_target.target.arch)
    index = next(
        (i for i, m in enumerate(machines) if preferred in (m["name"], m["alias"])),
        None,
    )
    if index is None:
        index = next((i for i, m in enumerate(machines) if m["default"]), None)
    if index:
        machines.insert(0, machines.pop(index))
    return machines


# ---------------------------------------------------------------------------
# capabilities.xml


def guest_machines(machines: list[dict]) -> list[dict]:
    """The <machine> entries of a guest, as virQEMUCapsGetMachineTypesCaps lists them.

    A machine with an alias is first entered under its alias with
    canonical='<name>'; then every canonical name without an entry of its own
    gets one inserted right before its alias entry, with the same maxCpus and
    deprecated flag.  So `pc-i440fx-10.0` comes first, then `pc`.
    """
    entries = []
    for m in machines:
        if m["alias"]:
            entries.append(
                {
                    "name": m["alias"],
                    "canonical": m["name"],
                    "maxCpus": m["maxCpus"],
                    "deprecated": m["deprecated"],
                }
            )
        else:
            entries.append(
                {
                    "name": m["name"],
                    "canonical": None,
                    "maxCpus": m["maxCpus"],
                    "deprecated": m["deprecated"],
                }
            )
    i = 0
    while i < len(entries):
        entry = entries[i]
        if entry["canonical"] and not any(e["name"] == entry["canonical"] for e in entries):
            entries.insert(i, {**entry, "name": entry["canonical"], "canonical": None})
            i += 1
        i += 1
    return entries


def machine_element(entry: dict) -> str:
    """One guest <machine>: canonical, maxCpus (when > 0), deprecated (only 'yes')."""
    attrs = ""
    if entry["canonical"]:
        attrs += f" canonical='{attr(entry['canonical'])}'"
    if entry["maxCpus"] > 0:
        attrs += f" maxCpus='{entry['maxCpus']}'"
    if entry["deprecated"]:
        attrs += " deprecated='yes'"
    return f"<machine{attrs}>{escape(entry['name'])}</machine>"


def format_host(buf: Buffer) -> None:
    buf.open("<host>")
    buf.open("<cpu>")
    buf.line(f"<arch>{escape(HOST_ARCH)}</arch>")
    buf.close("</cpu>")
    buf.line("<power_management/>")
    buf.line("<iommu support='no'/>")
    buf.close("</host>")
    buf.blank()


def format_guest(buf: Buffer, resolved_target: ResolvedTarget) -> None:
    target = resolved_target.target
    buf.open("<guest>")
    buf.line("<os_type>hvm</os_type>")
    buf.open(f"<arch name='{attr(target.arch)}'>")
    buf.line(f"<wordsize>{int(target.wordsize)}</wordsize>")
    buf.line(f"<emulator>{escape(emulator_path(target.binary))}</emulator>")
    for entry in guest_machines(probed_machines(resolved_target)):
        buf.line(machine_element(entry))
    for domain_type in DOMAIN_TYPES:
        buf.line(f"<domain type='{domain_type}'/>")
    buf.close("</arch>")
    # No <features>: they are libvirt driver facts (acpi/apic toggles, cpu
    # selection, disk snapshots), not machine-type facts; virXMLFormatElement
    # leaves an empty <features> out.
    buf.close("</guest>")
    buf.blank()


def emulator_path(binary: str) -> str:
    return f"/usr/bin/{binary}"


def guest_order(resolved: Resolved) -> list[ResolvedTarget]:
    """Targets in libvirt's architecture order (i686 before x86_64), then by name."""

    def key(resolved_target: ResolvedTarget):
        arch = resolved_target.target.arch
        if arch in LIBVIRT_ARCH_ORDER:
            return (LIBVIRT_ARCH_ORDER.index(arch), "", resolved_target.target.name)
        return (len(LIBVIRT_ARCH_ORDER), arch, resolved_target.target.name)

    return sorted(resolved.targets.values(), key=key)


def render_capabilities(resolved: Resolved, sources: list[str]) -> str:
    buf = Buffer()
    buf.parts.append(banner(sources))
    buf.open("<capabilities>")
    buf.blank()
    format_host(buf)
    for resolved_target in guest_order(resolved):
        format_guest(buf, resolved_target)
    buf.close("</capabilities>")
    return buf.text()


# ---------------------------------------------------------------------------
# qemucaps-<target>.xml


def cache_machine_line(m: dict, type_str: str) -> str:
    """One cache line, attribute for attribute as virQEMUCapsFormatMachines writes it."""
    attrs = f" type='{type_str}'"
    attrs += f" name='{attr(m['name'])}'"
    if m["alias"] is not None:
        attrs += f" alias='{attr(m['alias'])}'"
    if m["hotplugCpus"]:
        attrs += " hotplugCpus='yes'"
    attrs += f" maxCpus='{m['maxCpus']}'"
    if m["default"]:
        attrs += " default='yes'"
    if m["defaultCPU"] is not None:
        attrs += f" defaultCPU='{attr(m['defaultCPU'])}'"
    if m["numaMemSupported"]:
        attrs += " numaMemSupported='yes'"
    if m["defaultRAMid"] is not None:
        attrs += f" defaultRAMid='{attr(m['defaultRAMid'])}'"
    if m["deprecated"]:
        attrs += " deprecated='yes'"
    if m["acpi"] is not None:
        attrs += f" acpi='{yes_no(m['acpi'])}'"
    return f"<machine{attrs}/>"


def render_qemucaps(resolved_target: ResolvedTarget, sources: list[str]) -> str:
    target = resolved_target.target
    machines = probed_machines(resolved_target)
    buf = Buffer()
    buf.parts.append(banner(sources))
    buf.open("<qemuCaps>")
    buf.line(f"<emulator>{escape(emulator_path(target.binary))}</emulator>")
    buf.line(f"<arch>{escape(target.arch)}</arch>")
    for type_str in CACHE_TYPES:
        for m in machines:
            buf.line(cache_machine_line(m, type_str))
    buf.close("</qemuCaps>")
    return buf.text()


# ---------------------------------------------------------------------------
# domcaps-<target>.xml (targets with CPU models: s390x)

# CPU models the binary offers besides its CPU definitions (target/s390x
# cpu_models.c registers 'qemu' and 'max', and 'host' under KVM, which libvirt
# leaves out of the custom list: it is host-passthrough); libvirt reports their
# vendor as 'unknown' and the definitions' as 'IBM'.
EXTRA_CPU_MODELS = ("max", "qemu")
CPU_VENDOR = "IBM"

# What libvirt's qemu driver reports for the other CPU modes on s390x with KVM
# (tests/domaincapsdata/qemu_10.0.0.s390x.xml).
PASSTHROUGH_MIGRATABLE = ("off",)
MAXIMUM_MIGRATABLE = ("on", "off")


def cpu_model_usable(info, definition, base: bool) -> bool:
    """QEMU's check_unavailable_features against the host model: nothing newer
    than the host's definition, no feature the host lacks."""
    host = info.host
    if (definition.gen, definition.ga) > (host.gen, host.ga):
        return False
    sets = info.sets.level_sets(definition)
    wanted = sets["base"] if base else sets["default"]
    return wanted & ~info.host_features() == 0


def format_enum(buf: Buffer, name: str, values) -> None:
    buf.open(f"<enum name='{attr(name)}'>")
    for value in values:
        buf.line(f"<value>{escape(value)}</value>")
    buf.close("</enum>")


def render_domcaps(resolved_target: ResolvedTarget, sources: list[str]) -> str:
    """`virsh domcapabilities --disable-deprecated-features` for a KVM guest of
    the target's default machine, CPU part only (the other elements are
    libvirt driver facts): host-model is the host CPU as QEMU's static
    expansion reports it ('<definition>-base' plus the features added to
    (require) or removed from (disable) its base set, groups collapsed), with
    every deprecated feature it has turned to policy='disable' -- what
    <cpu mode='host-model' deprecated_features='off'/> gives a guest.  The
    host is the definition the cpu-models block names in 'host-model'."""
    info = resolved_target.cpu_models
    target = resolved_target.target
    machines = probed_machines(resolved_target)
    buf = Buffer()
    buf.parts.append(banner(sources))
    buf.open("<domainCapabilities>")
    buf.line(f"<path>{escape(emulator_path(target.binary))}</path>")
    buf.line("<domain>kvm</domain>")
    if machines:
        buf.line(f"<machine>{escape(machines[0]['name'])}</machine>")
    buf.line(f"<arch>{escape(target.arch)}</arch>")
    if machines:
        buf.line(f"<vcpu max='{machines[0]['maxCpus']}'/>")
    buf.open("<cpu>")
    buf.open("<mode name='host-passthrough' supported='yes'>")
    format_enum(buf, "hostPassthroughMigratable", PASSTHROUGH_MIGRATABLE)
    buf.close("</mode>")
    buf.open("<mode name='maximum' supported='yes'>")
    format_enum(buf, "maximumMigratable", MAXIMUM_MIGRATABLE)
    buf.close("</mode>")
    recommended = info.host_recommended() if info.host is not None else None
    if recommended:
        buf.open("<mode name='host-model' supported='yes'>")
        buf.line(f"<model fallback='forbid'>{escape(recommended['model']['name'])}</model>")
        for name, enabled in recommended["model"]["props"].items():
            policy = "require" if enabled else "disable"
            buf.line(f"<feature policy='{policy}' name='{attr(name)}'/>")
        buf.close("</mode>")
    else:
        buf.line("<mode name='host-model' supported='no'/>")
    buf.open("<mode name='custom' supported='yes'>")
    models = []
    for definition in info.definitions:
        for base in (False, True):
            name = f"{definition.name}-base" if base else definition.name
            usable = info.host is None or cpu_model_usable(info, definition, base)
            models.append((name, "yes" if usable else "no", CPU_VENDOR))
    models += [(name, "yes", "unknown") for name in EXTRA_CPU_MODELS]
    for name, usable, vendor in sorted(models):
        buf.line(f"<model usable='{usable}' vendor='{vendor}'>{escape(name)}</model>")
    buf.close("</mode>")
    buf.close("</cpu>")
    buf.close("</domainCapabilities>")
    return buf.text()


def emit(resolved: Resolved, sources: list[str]) -> dict[str, str]:
    outputs = {"libvirt/capabilities.xml": render_capabilities(resolved, sources)}
    for name, resolved_target in resolved.targets.items():
        outputs[f"libvirt/qemucaps-{name}.xml"] = render_qemucaps(resolved_target, sources)
        if resolved_target.cpu_models is not None:
            outputs[f"libvirt/domcaps-{name}.xml"] = render_domcaps(resolved_target, sources)
    return outputs
