"""Writing the imported model as .mtc files, laid out as machines/ is: one
file per QEMU source file (hw.mtc for hw/core/machine.c, x86/pc_q35.mtc for
hw/i386/pc_q35.c), plus releases.mtc, options.mtc, each directory's
targets.mtc and s390x/cpu-models.mtc (the target/s390x tables, in the order
of machines/s390x/cpu-models.mtc).  Every file says what it was imported
from."""

from __future__ import annotations

import re

from ..versions import Version
from . import model
from .model import quote

BARE_DRIVER = re.compile(r"([A-Za-z0-9_\-]|\$\{[A-Za-z_][A-Za-z0-9_]*\})+")
BARE_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
KEYWORDS = {"optional", "if", "true", "false"}


def header(tree: model.Tree, what: str) -> list[str]:
    return [f"# Imported by mtc import-c from {tree.source}: {what}.", ""]


def comment_lines(text: str | None, indent: str) -> list[str]:
    return [f"{indent}# {text}"] if text else []


def trailing(text: str | None, above: bool) -> str:
    return f"  # {text}" if text and not above else ""


def render(tree: model.Tree) -> dict[str, str]:
    files: dict[str, list[str]] = {}

    def out(path: str, what: str) -> list[str]:
        if path not in files:
            files[path] = header(tree, what)
        return files[path]

    lines = out("releases.mtc", "the releases it knows, and QEMU's versioned machine life cycle")
    for version in sorted(tree.releases):
        lines.append(f"release {version} date {tree.releases[version]}")
    if tree.lifecycle:
        policy = tree.lifecycle
        lines += ["", "lifecycle {"]
        if "deprecate-after" in policy:
            lines.append(f"    deprecate-after {policy['deprecate-after']}")
        if "delete-after" in policy:
            lines.append(f"    delete-after {policy['delete-after']}")
        if "reason" in policy:
            lines.append(f"    reason {quote(policy['reason'])}")
        lines.append(f"    removal-notice {policy['removal-notice']}")
        lines.append("}")

    lines = out(
        "options.mtc", "the machine-class fields that are options, constants, build options"
    )
    for decl in sorted(tree.options.values(), key=lambda d: d.name):
        type_text = decl.type
        if decl.type == "enum":
            type_text = f"enum({', '.join(decl.enum_values)})"
        text = f"option {decl.name} {type_text}"
        if decl.c:
            text += f" c {quote(decl.c)}"
        if decl.query:
            text += f" query {quote(decl.query)}"
        if decl.monotone:
            text += " monotone"
        lines.append(text)
    if tree.consts:
        lines.append("")
    for name in sorted(tree.consts):
        lines.append(f"const {name} = {tree.consts[name]}")
    if tree.configs:
        lines.append("")
    for name in sorted(tree.configs):
        default, desc = tree.configs[name]
        lines.append(f"config {name} default {'on' if default else 'off'} {quote(desc)}")

    for target in tree.targets.values():
        lines = out(target.file, "the system emulators")
        lines += [f"target {target.name} {{", f"    binary {quote(target.binary)}"]
        lines += [f"    arch {target.arch}", f"    wordsize {target.wordsize}"]
        for macro in sorted(target.defines):
            lines.append(f"    define {macro} {quote(target.defines[macro])}")
        lines += ["}", ""]

    for decl in tree.instance_globals.values():
        lines = out(decl.file, tree.files.get(decl.file, "QEMU's C"))
        lines.append(f"# A C global of {decl.source} that instance options set.")
        lines.append(
            f"instance-global {decl.name} {decl.type} default {decl.default} {quote(decl.desc)}"
        )
        lines.append("")

    for models in tree.cpu_models.values():
        out(models.file, ", ".join(models.sources)).extend(cpu_models_lines(models))

    def sort_key(s: model.CompatSet):
        return (s.version is not None, s.version or Version(()))

    for compat in sorted(tree.sets.values(), key=sort_key, reverse=True):
        lines = out(compat.file, tree.files.get(compat.file, "QEMU's C"))
        lines.append(f"compat {compat.ref} {{")
        for entry in compat.entries:
            if entry.comment_above:
                lines += comment_lines(entry.comment, "    ")
            lines.append(
                f"    {driver_text(entry.driver)}.{property_text(entry.property)} = {quote(entry.value)}"
                + (" optional" if entry.optional else "")
                + (f" if {entry.guard}" if entry.guard else "")
                + trailing(entry.comment, entry.comment_above)
            )
        lines += ["}", ""]

    for family in sorted(tree.families.values(), key=lambda f: (not f.abstract, f.name)):
        lines = out(family.file, tree.files.get(family.file, "QEMU's C"))
        head = f"family {family.name}" + (f" extends {family.extends}" if family.extends else "")
        lines.append(head + " {")
        if family.abstract:
            lines.append("    abstract")
        if family.guard:
            lines.append(f"    if {family.guard}")
        if family.pattern:
            lines.append(f"    name {quote(family.pattern)}")
        if family.targets:
            lines.append(f"    targets {', '.join(family.targets)}")
        if family.alias:
            lines.append(f"    alias {family.alias}")
        if family.desc:
            lines.append(f"    desc {quote(family.desc)}")
        if family.manual_lifecycle and not family.abstract and tree.lifecycle:
            lines.append("    lifecycle manual")
        if family.compat:
            lines.append(f"    compat {', '.join(family.compat)}")
        lines += option_lines(family.options)
        lines += ["}", ""]

    for machine in tree.machines:
        lines = out(machine.file, tree.files.get(machine.file, "QEMU's C"))
        version = f" {machine.version}" if machine.version is not None else ""
        body = []
        if machine.guard:
            body.append(f"if {machine.guard}")
        if machine.inherits:
            family, version_of = machine.inherits
            body.append(f"inherits {family + ' ' if family else ''}{version_of}")
        if machine.compat:
            body.append(f"compat {', '.join(machine.compat)}")
        if machine.alias is not None:
            body.append("alias" if machine.alias == "" else f"alias {machine.alias}")
        if machine.default:
            body.append("default")
        if machine.deprecated is not None:
            body.append(f"deprecated {quote(machine.deprecated)}")
        options = option_lines(machine.options) + instance_lines(machine.instance)
        if not options and len(body) <= 2 and sum(len(b) for b in body) < 60:
            lines.append(
                f"machine {machine.family}{version} {{ {'  '.join(body)} }}".replace("{  }", "{ }")
            )
        else:
            lines.append(f"machine {machine.family}{version} {{")
            lines += [f"    {b}" for b in body] + options
            lines.append("}")
        lines.append("")
    return {path: "\n".join(text).rstrip("\n") + "\n" for path, text in files.items()}


def option_lines(options: list[model.OptionValue]) -> list[str]:
    lines = []
    for option in options:
        if option.comment_above:
            lines += comment_lines(option.comment, "    ")
        lines.append(
            f"    option {option.name} = {option.text}"
            + (f" if {option.guard}" if option.guard else "")
            + trailing(option.comment, option.comment_above)
        )
    return lines


def instance_lines(statements: list[model.InstanceStmt]) -> list[str]:
    lines = []
    for stmt in statements:
        if stmt.comment_above:
            lines += comment_lines(stmt.comment, "    ")
        if stmt.kind in ("cpu-featoff", "cpu-group-featoff"):
            text = f"{stmt.kind} {gen_ga(stmt.level)} {', '.join(stmt.names)}"
        elif stmt.kind == "cpu-qemu-model":
            text = f"cpu-qemu-model {stmt.definition} {stmt.qemu_list}"
        else:
            text = f"instance {stmt.name} = {stmt.value}"
        lines.append(f"    {text}" + trailing(stmt.comment, stmt.comment_above))
    return lines


def gen_ga(level: tuple[int, int]) -> str:
    return f"gen{level[0]}.{level[1]}"


def name_lines(names: list[str], head: str, indent: str = " " * 8) -> list[str]:
    """Names, comma-separated, after head and wrapped at 100 columns."""
    lines: list[str] = []
    line, fresh = head, True
    for index, name in enumerate(names):
        piece = name + ("," if index < len(names) - 1 else "")
        if not fresh and len(line) + 1 + len(piece) > 100:
            lines.append(line)
            line, fresh = indent, True
        line += ("" if fresh else " ") + piece
        fresh = False
    if not fresh:
        lines.append(line)
    return lines


def cpu_models_lines(models: model.CpuModels) -> list[str]:
    """The cpu-models block, in the order of machines/s390x/cpu-models.mtc."""
    lines = [f"cpu-models {models.target} {{"]
    if models.qemu_model:
        lines.append(f"    qemu-model {models.qemu_model[0]} {models.qemu_model[1]}")
    if models.host_model:
        lines.append("    # What libvirt's host-model stands for: the vocabulary's choice.")
        lines.append(f"    host-model {models.host_model[0]} {quote(models.host_model[1])}")
    if models.deprecated:
        lines.append(f"    deprecated {', '.join(models.deprecated)}")
    lines.append("")
    for feature in models.features:
        lines.append(f"    feature {feature.name} {feature.enum} {quote(feature.desc)}")
    lines.append("")
    for group in models.groups:
        lines.append(f"    group {group.name} {group.enum} {quote(group.desc)} {{")
        lines += name_lines(group.members, " " * 8)
        lines.append("    }")
    lines.append("")
    for d in models.definitions:
        lines.append(
            f"    cpu {d.name} {d.type} {gen_ga(d.level)} {quote(d.desc)} mha-pow {d.mha_pow} "
            f"hmfai {d.hmfai}" + (f" if {d.guard}" if d.guard else "")
        )
    lines.append("")
    for level in models.levels:
        body = comment_lines(level.comment, " " * 8) if level.clears else []
        for kind, names in level.clears.items():
            body += name_lines(names, f"        clear {kind} ", " " * 12)
        for kind, names in level.adds.items():
            if names:
                body += name_lines(names, f"        {kind} ", " " * 12)
        if body:
            lines += [f"    ga {gen_ga(level.level)} {{"] + body + ["    }"]
        else:
            lines.append(f"    ga {gen_ga(level.level)} {{ }}")
    lines.append("")
    for qemu_list in models.qemu_lists:
        lines.append(f"    qemu-features {qemu_list.name} {{")
        lines += name_lines(qemu_list.entries, " " * 8)
        lines.append("    }")
    lines += ["}", ""]
    return lines


def driver_text(driver: str) -> str:
    return driver if BARE_DRIVER.fullmatch(driver) and driver not in KEYWORDS else quote(driver)


def property_text(prop: str) -> str:
    return prop if BARE_PROPERTY.fullmatch(prop) and prop not in KEYWORDS else quote(prop)
