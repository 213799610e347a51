"""From the statements of QEMU's machine files to mtc's model.

How the C maps onto the language:

- a QOM machine type registered by a DEFINE_*_MACHINE line is a machine; its
  name "pc-q35-9.2" gives its family (pc-q35) and version (9.2);
- its own options function is the one its class_init calls that no other
  machine's class_init calls; the machine it inherits is the one whose own
  function that function calls (pc_q35_machine_9_1_options calls 9_2's);
- what an own function does after that call is the machine's: its
  compat_props_add()s, option assignments, alias, default, deprecation;
- what the oldest machine of a chain calls besides (pc_q35_machine_options),
  what every class_init of the family calls (arm_virt_compat_set) and what the
  family's own abstract parent type's class_init sets
  (ccw_machine_class_init) is the family's;
- an abstract type several families derive from (TYPE_PC_MACHINE) is an
  abstract family holding what query-machines reports about its machines:
  its other defaults are QEMU's, set by a class_init mtc does not generate;
- alias, default, description and deprecation are what QEMU ends up with
  once every class_init has run, computed by running the statements.

An option is a machine-class field the vocabulary names (vocabulary.json) or
one a versioned machine's own function sets; other fields (family,
default_display, no_floppy, ...) are class facts mtc does not model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostics, Location
from ..versions import Version
from . import model
from .csource import Cond, SourceTree, evaluate_condition, symbols_of
from .cvalues import CBool, CEnum, CInt, CNull, CStr, CSymbol, Evaluator, Unknown
from .program import Function, Program, Reader, Stmt, expand_defines

VERSIONED_SET = re.compile(r"([a-z0-9_]+)_compat_(\d+)_(\d+)")
# pc-q35-4.0.1, and QEMU 7.x's tagged pseries-2.12-sxxm (family pseries-sxxm).
MACHINE_NAME = re.compile(r"(.+?)-(\d+\.\d+(?:\.\d+)?)(-[a-z][a-z0-9]*)?")
FACTS = {"m->alias": "alias", "m->is_default": "is_default", "m->desc": "desc"}
DEPRECATION = "m->deprecation_reason"
IGNORED_FIELDS = {"m->init", "m->compat_props"}


@dataclass
class MachineType:
    name: str
    family: str
    version: Version | None
    class_init: Function
    location: Location
    cond: Cond | None
    file: str
    parent_type: str | None
    own: Function | None = None
    parent: "MachineType | None" = None
    automatic: bool = False
    facts: dict = field(default_factory=dict)
    instance_init: Function | None = None
    tag: str = ""  # pseries-2.12-sxxm: "-sxxm"


class Importer:
    def __init__(self, tree: SourceTree, vocab: dict, diags: Diagnostics):
        self.source = tree
        self.vocab = vocab
        self.diags = diags
        self.out = model.Tree(source="")
        self.option_lvalues = dict(vocab["options"])
        defaults = vocab["configs"]
        self.config_defined = {name for name, c in defaults.items() if c["default"]}

    # -- diagnostics ------------------------------------------------------------

    def error(self, location: Location, message: str) -> None:
        self.diags.error(location, message, "untranslatable")

    # -- the whole import ---------------------------------------------------------

    def run(self) -> model.Tree:
        version_file = self.source.root / "VERSION"
        try:
            version_text = version_file.read_text().strip()
        except OSError:
            self.diags.error(
                Location(self.source.shown(version_file)), "cannot read QEMU's VERSION"
            )
            return self.out
        self.out.source = f"QEMU {version_text}"
        self.current = Version.parse(".".join(version_text.split(".")[:2]))
        for kind, spec in self.vocab["kinds"].items():
            if not any(self.source.exists(f) for f in spec["files"]):
                continue  # a tree without this kind's machines (not QEMU's own)
            missing = [f for f in spec["files"] + spec["support"] if not self.source.exists(f)]
            if missing:
                for name in missing:
                    self.diags.error(
                        Location(str(Path(self.source.shown_root) / name)), "no such file"
                    )
                continue
            self.import_kind(kind, spec)
        self.releases()
        return self.out

    def import_kind(self, kind: str, spec: dict) -> None:
        files = spec["files"] + spec["support"]
        macros = self.source.macros_for(files, spec["include"])
        self.macros = macros
        external = {k: v["value"] for k, v in self.vocab.get("external-constants", {}).items()}
        self.evaluator = Evaluator(macros, external)
        self.kind = spec
        self.targets = spec["targets"]
        program = Program()
        skip = {name for name in macros.defs if macros.is_target_dependent(name)}
        for relative in files:
            cfile = self.source.parse(relative)
            reader = Reader(cfile, macros, self.evaluator, self.vocab["struct-vars"])
            reader.read(program, cfile.root.children)
            if relative in spec["files"]:
                expand_defines(cfile, macros, program, reader, skip)
            for location, message in reader.problems:
                self.error(location, message)
        program.resolve_names()
        self.program = program
        self.types = {t.name: t for t in program.types}
        machines = self.machine_types(program, spec)
        if not machines:
            return
        self.chains(machines)
        self.collect_options(machines)
        self.sets_of(machines)
        self.families(machines, spec)
        self.machines(machines)
        for target in self.targets:
            self.target(target, spec)

    # -- machine types ----------------------------------------------------------------

    def machine_types(self, program: Program, spec: dict) -> list[MachineType]:
        found = []
        files = {str(Path(self.source.shown_root) / f) for f in spec["files"]}
        for info in program.types:
            if not info.expanded or info.abstract or info.location.file not in files:
                continue
            if not info.name.endswith("-machine") or info.class_init not in program.functions:
                continue
            name = info.name[: -len("-machine")]
            match = MACHINE_NAME.fullmatch(name)
            family, version, tag = name, None, ""
            if match:
                family, version = match.group(1), Version.parse(match.group(2))
                tag = match.group(3) or ""
            found.append(
                MachineType(
                    name=name,
                    family=family + tag,
                    tag=tag,
                    version=version,
                    class_init=program.functions[info.class_init],
                    location=info.location,
                    cond=info.cond,
                    file=self.mtc_file(info.location.file),
                    parent_type=info.parent,
                )
            )
        return found

    def mtc_file(self, c_file: str) -> str:
        stem = Path(c_file).stem
        mtc = f"{self.kind['dir']}/{stem}.mtc" if stem != "machine" else "hw.mtc"
        try:
            relative = Path(c_file).relative_to(self.source.shown_root).as_posix()
        except ValueError:
            relative = c_file
        self.out.files.setdefault(mtc, relative)
        return mtc

    def callees(self, function: Function) -> list[str]:
        return [
            s.callee
            for s in function.stmts
            if s.kind == "call" and s.callee in self.program.functions
        ]

    def chains(self, machines: list[MachineType]) -> None:
        counts: dict[str, int] = {}
        for machine in machines:
            for callee in set(self.callees(machine.class_init)):
                counts[callee] = counts.get(callee, 0) + 1
        owners: dict[str, MachineType] = {}
        for machine in machines:
            own = [c for c in self.callees(machine.class_init) if counts[c] == 1]
            if own:
                machine.own = self.program.functions[own[0]]
                owners[own[0]] = machine
            machine.automatic = any(s.kind == "if-deprecated" for s in machine.class_init.stmts)
        self.owners = owners
        self.shared_calls = {c for c, n in counts.items() if n > 1}
        for machine in machines:
            if machine.own is None:
                self.error(machine.location, f"{machine.name}: cannot find its options function")
                continue
            for stmt in machine.own.stmts:
                if stmt.kind == "call" and stmt.callee in owners:
                    machine.parent = owners[stmt.callee]
                    break
            machine.facts = self.execute_facts(machine)

    # -- running the statements for alias, default, desc, deprecation -----------------

    def execute_facts(self, machine: MachineType) -> dict:
        state: dict = {
            "alias": CNull(),
            "is_default": CBool(False),
            "desc": None,
            DEPRECATION: None,
        }
        conditional: dict = {}  # fact -> the build-time #if its final value came from
        for ancestor in self.ancestors(machine):
            self.execute(ancestor, state, conditional, 0)
        self.execute(machine.class_init, state, conditional, 0)
        for key, stmt in conditional.items():
            if stmt is not None:
                self.error(
                    stmt.location,
                    f"{stmt.lvalue} under a build-time #if cannot be expressed in mtc "
                    "(the import keeps the default build's value)",
                )
        self.instance_hooks(machine)
        return state

    def execute(self, function: Function, state: dict, conditional: dict, depth: int) -> None:
        if depth > 50:
            return
        for stmt in function.stmts:
            holds = evaluate_condition(stmt.cond, self.config_defined)
            if holds is False:
                continue
            if stmt.kind == "call" and stmt.callee in self.program.functions:
                self.execute(self.program.functions[stmt.callee], state, conditional, depth + 1)
            elif stmt.kind == "assign" and (stmt.lvalue in FACTS or stmt.lvalue == DEPRECATION):
                key = FACTS.get(stmt.lvalue, stmt.lvalue)
                build_time = stmt.cond is not None and any(
                    s.startswith("CONFIG_") for s in symbols_of(stmt.cond)
                )
                conditional[key] = stmt if build_time else None
                state[key] = stmt.value

    def instance_hooks(self, machine: MachineType) -> None:
        """What the machine's init function runs besides the family's init:
        QEMU 7.x's pc_compat_X_Y_fn (an instance-time compat function)."""
        init = None
        for stmt in machine.class_init.stmts:
            if (
                stmt.kind == "assign"
                and stmt.lvalue == "m->init"
                and isinstance(stmt.value, CSymbol)
            ):
                init = self.program.functions.get(f"{machine.location.file}:{stmt.value.text}")
        if init is None:
            return
        for name, value in init.locals.items():
            if (
                isinstance(value, CSymbol)
                and f"{machine.location.file}:{value.text}" in self.program.functions
            ):
                self.error(
                    machine.location,
                    f"{machine.name}: its init runs {value.text}() (an instance-time compat "
                    "function), which mtc cannot express",
                )
        machine.instance_init = init
        # s390x: the version's instance options (CPU-model changes, C globals).
        for stmt in init.stmts:
            function = self.program.functions.get(stmt.callee) if stmt.kind == "call" else None
            if function is None or "instance_options" not in function.name:
                continue
            for inner in function.stmts:
                callee = self.program.functions.get(inner.callee) if inner.kind == "call" else None
                if callee is not None and "instance_options" in callee.name:
                    continue  # the next newer version's
                self.error(
                    inner.location,
                    f"{machine.name}: cannot translate the instance option "
                    f"'{one_line(inner.text)}' (import-c does not read target/s390x's "
                    "CPU models yet)",
                )

    def ancestors(self, machine: MachineType) -> list[Function]:
        """The class_init functions of the abstract types above a machine,
        the most basic first."""
        chain = []
        name = machine.parent_type
        seen = set()
        while name and name not in seen:
            seen.add(name)
            info = self.types.get(name)
            if info is None:
                break
            if info.class_init in self.program.functions:
                chain.append(self.program.functions[info.class_init])
            name = info.parent
        return chain[::-1]

    def ancestor_types(self, machine: MachineType) -> list[str]:
        names, name = [], machine.parent_type
        while name and name not in names:
            names.append(name)
            info = self.types.get(name)
            name = info.parent if info is not None else None
        return names

    # -- options -------------------------------------------------------------------

    def collect_options(self, machines: list[MachineType]) -> None:
        """Fields a versioned machine's own function sets are options too."""
        for machine in machines:
            if machine.own is None or machine.version is None:
                continue
            for stmt in self.own_stmts(machine):
                if stmt.kind == "assign" and "->" in stmt.lvalue:
                    if (
                        stmt.lvalue in FACTS
                        or stmt.lvalue in IGNORED_FIELDS
                        or stmt.lvalue == DEPRECATION
                    ):
                        continue
                    if stmt.lvalue not in self.option_lvalues:
                        self.option_lvalues[stmt.lvalue] = {"name": mechanical_name(stmt.lvalue)}

    def own_stmts(self, machine: MachineType) -> list[Stmt]:
        """The statements of a machine's own function after the call to its
        parent's, helpers it alone calls inlined."""
        out = []
        stmts = list(machine.own.stmts)
        for stmt in stmts:
            if stmt.kind == "call" and stmt.callee in self.owners:
                continue
            if stmt.kind == "call" and stmt.callee in self.program.functions:
                if machine.parent is not None and stmt.callee not in self.shared_calls:
                    out.extend(self.program.functions[stmt.callee].stmts)
                # the oldest machine's other calls are the family's base
                continue
            out.append(stmt)
        return out

    def option_value(self, stmt: Stmt, decl_hint: dict, owner: str) -> model.OptionValue | None:
        name = decl_hint["name"]
        value = stmt.value
        decl = self.out.options.get(name)
        text, kind = self.render_value(value, decl_hint, stmt)
        if text is None:
            return None
        if decl is None:
            decl = self.out.options[name] = model.OptionDecl(
                name=name,
                type=decl_hint.get("type", kind),
                c=stmt.lvalue if not stmt.lvalue.startswith("class-property:") else None,
                query=decl_hint.get("query"),
                monotone=decl_hint.get("monotone", False),
                enum_values=list(decl_hint.get("values", [])),
            )
        if decl.type == "enum" and text not in decl.enum_values:
            decl.enum_values.append(text)
        return model.OptionValue(
            name,
            text,
            stmt.location,
            self.guard(stmt.cond, stmt.location),
            stmt.comment,
            stmt.comment_above,
        )

    def render_value(self, value, hint: dict, stmt: Stmt):
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
            if (
                value.macro
                and value.macro.isupper()
                and value.macro not in ("KiB", "MiB", "GiB", "TiB")
            ):
                self.out.consts[value.macro] = (
                    str(value.value) if not value.text.startswith("0x") else value.text
                )
                return value.macro, "int"
            return value.text, "int"
        if isinstance(value, CStr):
            if value.is_plain:
                return quote(value.text), ("typename" if wanted == "typename" else "str")
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
        self.error(stmt.location, f"cannot translate {stmt.lvalue}: {why}")
        return None, None

    # -- compat sets ---------------------------------------------------------------

    def sets_of(self, machines: list[MachineType]) -> None:
        self.local_sets: dict[tuple[str, str], str] = {}

    def set_ref(self, stmt: Stmt, function: Function, machine: MachineType | None) -> str | None:
        """The language's name for the array a compat_props_add() adds,
        importing the array the first time."""
        name = stmt.callee
        if stmt.cond is not None:
            self.error(stmt.location, f"compat_props_add() of {name} under #if cannot be expressed")
        if name in function.arrays:
            scope = function.name.split("_machine_")[0]
            if machine is None or machine.version is None:
                self.error(stmt.location, f"cannot name the local array {name} of {function.name}")
                return None
            ref = f"{scope} {machine.version}"
            self.add_set(
                ref, scope, machine.version, function.arrays[name], stmt.location, machine.file
            )
            return ref
        if name not in self.program.arrays:
            self.error(stmt.location, f"unknown GlobalProperty array {name}")
            return None
        entries, where, cfile = self.program.arrays[name]
        match = VERSIONED_SET.fullmatch(name)
        if match:
            scope, version = match.group(1), Version.parse(f"{match.group(2)}.{match.group(3)}")
            ref = f"{scope} {version}"
        else:
            scope, version, ref = name, None, name
        self.add_set(ref, scope, version, entries, where, self.mtc_file(cfile.shown))
        return ref

    def add_set(self, ref, scope, version, c_entries, where, file) -> None:
        if ref in self.out.sets:
            return
        entries = []
        for entry in c_entries:
            parts = []
            for what, value in (
                ("driver", entry.driver),
                ("property", entry.property),
                ("value", entry.value),
            ):
                if not isinstance(value, CStr) or (what != "driver" and not value.is_plain):
                    why = value.why if isinstance(value, Unknown) else "not a string"
                    self.error(entry.location, f"cannot translate the entry's {what}: {why}")
                    break
                parts.append(value.text)
            else:
                entries.append(
                    model.Entry(
                        parts[0],
                        parts[1],
                        parts[2],
                        entry.optional,
                        entry.location,
                        self.guard(entry.cond, entry.location),
                        entry.comment,
                        entry.comment_above,
                    )
                )
        self.out.sets[ref] = model.CompatSet(scope, version, entries, file, where)

    # -- families ------------------------------------------------------------------

    def families(self, machines: list[MachineType], spec: dict) -> None:
        by_family: dict[str, list[MachineType]] = {}
        for machine in machines:
            by_family.setdefault(machine.family, []).append(machine)
        # Abstract types several families derive from: what query-machines reports.
        users: dict[str, set[str]] = {}
        for machine in machines:
            for type_name in self.ancestor_types(machine):
                users.setdefault(type_name, set()).add(machine.family)
        for family_name, members in by_family.items():
            members.sort(key=lambda m: m.version or Version(()), reverse=True)
            newest = members[0]
            # TYPE_MACHINE ("machine") is every machine's root, whatever the target.
            shared = [
                t
                for t in self.ancestor_types(newest)
                if len(users.get(t, ())) > 1 or t == "machine"
            ]
            own_types = [t for t in self.ancestor_types(newest) if t not in shared]
            extends = None
            if shared and shared[0] != "machine":
                extends = self.abstract_family(shared[0], shared, newest)
            family = model.Family(
                name=family_name,
                file=newest.file,
                location=newest.location,
                extends=extends,
                pattern=(
                    f"{family_name[: len(family_name) - len(newest.tag)]}-{{version}}{newest.tag}"
                    if newest.version is not None
                    else family_name
                ),
                targets=list(self.targets),
            )
            guards = {self.guard(m.cond, m.location) for m in members}
            if len(guards) == 1:
                family.guard = guards.pop()
                for m in members:
                    m.cond = None
            family.manual_lifecycle = not any(m.automatic for m in members)
            family.desc = family_desc(members)
            alias = newest.facts.get("alias")
            if isinstance(alias, CStr):
                family.alias = alias.text
            # The family's options: its own abstract parents' class_init, then
            # what the chain's oldest machine and every class_init call.
            stmts: list[Stmt] = []
            for type_name in reversed(own_types):
                info = self.types.get(type_name)
                if info is not None and info.class_init in self.program.functions:
                    stmts.extend(self.program.functions[info.class_init].stmts)
            roots = [m for m in members if m.parent is None and m.own is not None]
            base_calls = []
            for stmt in newest.class_init.stmts:
                if stmt.kind == "call" and stmt.callee in self.shared_calls:
                    base_calls.append(stmt.callee)
            for root in roots[:1]:
                for stmt in root.own.stmts:
                    if (
                        stmt.kind == "call"
                        and stmt.callee in self.program.functions
                        and stmt.callee not in self.owners
                    ):
                        base_calls.append(stmt.callee)
            base_calls = list(dict.fromkeys(base_calls))
            for name in base_calls:
                stmts.extend(self.flatten(self.program.functions[name]))
            self.family_facts(family, stmts, own_types + shared, shared)
            self.out.families[family_name] = family

    def flatten(self, function: Function, depth: int = 0) -> list[Stmt]:
        out = []
        for stmt in function.stmts:
            if stmt.kind == "call" and stmt.callee in self.program.functions and depth < 10:
                callee = self.program.functions[stmt.callee]
                if stmt.callee not in self.owners:
                    out.extend(self.flatten(callee, depth + 1))
                    continue
            out.append(stmt)
        return out

    def family_facts(
        self, family: model.Family, stmts: list[Stmt], types: list[str], shared
    ) -> None:
        set_values = set()
        for stmt in stmts:
            if stmt.kind == "compat":
                ref = self.set_ref(stmt, self.function_holding(stmt), None)
                if ref is not None and ref not in family.compat:
                    family.compat.append(ref)
            elif stmt.kind == "assign" and stmt.lvalue in self.option_lvalues:
                value = self.option_value(stmt, self.option_lvalues[stmt.lvalue], family.name)
                if value is not None:
                    family.options.append(value)
                    set_values.add(stmt.lvalue)
        self.query_defaults(family, set_values, types, shared_only=False)

    def function_holding(self, stmt: Stmt) -> Function:
        for function in self.program.functions.values():
            if stmt in function.stmts:
                return function
        raise AssertionError("statement without a function")

    def query_defaults(self, family, set_values, types, shared_only) -> None:
        """Facts query-machines reports that nothing set: MachineClass's
        zero, and whether the class has an 'acpi' property."""
        for lvalue, hint in self.vocab["options"].items():
            if hint.get("query") and hint.get("type") == "bool" and lvalue not in set_values:
                if family.extends is None:
                    family.options.append(model.OptionValue(hint["name"], "false", family.location))
                    self.declare(lvalue, hint)
        for prop, hint in self.vocab["class-property-options"].items():
            if family.extends is not None:
                continue
            has = self.has_class_property(prop, types)
            family.options.append(
                model.OptionValue(hint["name"], "true" if has else "false", family.location)
            )
            self.declare(f"class-property:{prop}", hint)

    def declare(self, lvalue: str, hint: dict) -> None:
        if hint["name"] not in self.out.options:
            self.out.options[hint["name"]] = model.OptionDecl(
                hint["name"],
                hint["type"],
                None if lvalue.startswith("class-property:") else lvalue,
                hint.get("query"),
                hint.get("monotone", False),
                list(hint.get("values", [])),
            )

    def has_class_property(self, prop: str, types: list[str]) -> bool:
        for type_name in types:
            info = self.types.get(type_name)
            function = self.program.functions.get(info.class_init) if info else None
            if function is None:
                continue
            for stmt in function.stmts:
                if (
                    stmt.kind == "call"
                    and stmt.callee.startswith("object_class_property_add")
                    and len(stmt.args) > 1
                ):
                    name = self.evaluator.evaluate(stmt.args[1])
                    if isinstance(name, CStr) and name.text == prop:
                        return True
        return False

    def abstract_family(self, type_name: str, shared: list[str], machine: MachineType) -> str:
        name = type_name[: -len("-machine")] if type_name.endswith("-machine") else type_name
        if name in self.out.families:
            return name
        info = self.types.get(type_name)
        location = info.location if info else machine.location
        family = model.Family(
            name=name, file=self.mtc_file(location.file), location=location, abstract=True
        )
        stmts = []
        for t in reversed(shared):
            i = self.types.get(t)
            if i is not None and i.class_init in self.program.functions:
                stmts.extend(self.program.functions[i.class_init].stmts)
        set_values = set()
        for stmt in stmts:
            hint = self.vocab["options"].get(stmt.lvalue) if stmt.kind == "assign" else None
            if hint and hint.get("query"):
                value = self.option_value(stmt, hint, name)
                if value is not None:
                    family.options.append(value)
                    set_values.add(stmt.lvalue)
        self.out.families[name] = family
        self.query_defaults(family, set_values, shared, shared_only=True)
        return name

    # -- machines ------------------------------------------------------------------

    def machines(self, machines: list[MachineType]) -> None:
        for machine in sorted(
            machines, key=lambda m: (m.family, m.version or Version(())), reverse=True
        ):
            family = self.out.families[machine.family]
            out = model.Machine(
                family=machine.family,
                version=machine.version,
                name=machine.name,
                file=machine.file,
                location=machine.location,
                guard=self.guard(machine.cond, machine.location),
            )
            if machine.parent is not None:
                parent = machine.parent
                expected = self.implicit_parent(machine, machines)
                if parent is not expected:
                    other = parent.family if parent.family != machine.family else None
                    out.inherits = (other, parent.version)
            facts = machine.facts
            alias = facts.get("alias")
            if isinstance(alias, CStr):
                out.alias = "" if alias.text == family.alias else alias.text
            default = facts.get("is_default")
            out.default = isinstance(default, (CBool, CInt)) and bool(default.value)
            reason = facts.get(DEPRECATION)
            if isinstance(reason, CStr) and not machine.automatic:
                out.deprecated = reason.text
            elif isinstance(reason, CStr) and machine.automatic:
                out.deprecated = reason.text
            if machine.own is not None:
                for stmt in self.own_stmts(machine):
                    self.machine_stmt(out, machine, stmt)
            self.out.machines.append(out)

    def implicit_parent(self, machine, machines):
        """The machine a bare 'machine F V' inherits: the next newer of its family."""
        newer = [
            m
            for m in machines
            if m.family == machine.family
            and m.version is not None
            and machine.version is not None
            and m.version > machine.version
        ]
        return min(newer, key=lambda m: m.version) if newer else None

    def machine_stmt(self, out: model.Machine, machine: MachineType, stmt: Stmt) -> None:
        if stmt.kind == "compat":
            ref = self.set_ref(stmt, machine.own, machine)
            if ref is not None:
                out.compat.append(ref)
        elif stmt.kind == "assign":
            if stmt.lvalue in FACTS or stmt.lvalue == DEPRECATION or stmt.lvalue in IGNORED_FIELDS:
                return
            hint = self.option_lvalues.get(stmt.lvalue)
            if hint is None:
                if "->" not in stmt.lvalue:
                    self.error(
                        stmt.location,
                        f"{machine.name}: cannot translate the assignment to the global {stmt.lvalue}",
                    )
                return  # a class fact mtc does not model (unversioned machine)
            value = self.option_value(stmt, hint, machine.name)
            if value is not None:
                out.options.append(value)
        elif stmt.kind == "call":
            self.error(
                stmt.location, f"{machine.name}: cannot translate the call {stmt.text.rstrip(';')}"
            )
        elif stmt.kind == "unknown":
            self.error(stmt.location, f"{machine.name}: cannot translate '{one_line(stmt.text)}'")

    # -- guards ----------------------------------------------------------------------

    def guard(self, cond: Cond | None, location: Location) -> str | None:
        if cond is None:
            return None
        text = self.guard_text(cond, location)
        return text

    def guard_text(self, cond: Cond, location: Location) -> str | None:
        kind = cond[0]
        if kind in ("defined", "ident"):
            name = cond[1]
            if name.startswith("TARGET_"):
                targets = [t for t in self.targets if name in self.vocab["targets"][t]["defined"]]
                if not targets:
                    return "target == none"
                return " or ".join(f"target == {t}" for t in targets)
            if name in self.vocab["configs"]:
                default, desc = (
                    self.vocab["configs"][name]["default"],
                    self.vocab["configs"][name]["desc"],
                )
                self.out.configs[name] = (default, desc)
                return f"config.{name}"
            self.error(
                location,
                f"unknown build option {name} in #if: give --config {name}=on|off "
                "(--partial declares it off)",
            )
            self.out.configs[name] = (False, "build option of the C's #if (declared by --partial)")
            return f"config.{name}"
        if kind == "not":
            inner = self.guard_text(cond[1], location)
            return (
                f"not ({inner})"
                if " " in inner and not inner.startswith("config.")
                else f"not {inner}"
            )
        if kind in ("and", "or"):
            a = self.guard_text(cond[1], location)
            b = self.guard_text(cond[2], location)
            return f"({a}) {kind} ({b})"
        self.error(location, f"cannot translate the #if condition {cond[1]!r}")
        return None

    # -- targets and releases --------------------------------------------------------

    def target(self, name: str, spec: dict) -> None:
        facts = self.vocab["targets"][name]
        target = self.out.targets.get(name)
        if target is None:
            target = self.out.targets[name] = model.Target(
                name,
                facts["binary"],
                facts["arch"],
                facts["wordsize"],
                file=f"{spec['dir']}/targets.mtc",
            )
        used = set()
        for s in self.out.sets.values():
            for entry in s.entries:
                used |= set(macro_names(entry.driver))
        for family in self.out.families.values():
            for option in family.options:
                used |= set(macro_names(option.text))
        for machine in self.out.machines:
            for option in machine.options:
                used |= set(macro_names(option.text))
        defined = set(facts["defined"])
        evaluator = Evaluator(self.macros)
        for macro in sorted(used):
            if macro in target.defines or not self.macros.get(macro):
                continue
            definition = self.macros.for_target(macro, defined)
            if definition is None:
                continue
            from .cvalues import expression_of

            value = TargetEvaluator(self.macros, defined).evaluate(expression_of(definition.body))
            if isinstance(value, CStr) and value.is_plain:
                target.defines[macro] = value.text

    def releases(self) -> None:
        dates = self.vocab["releases"]
        versions = {s.version for s in self.out.sets.values() if s.version is not None}
        versions |= {m.version.release for m in self.out.machines if m.version is not None}
        versions.add(self.current)
        for text, date in dates.items():
            version = Version.parse(text)
            if version <= self.current:
                self.out.releases[version] = date
        for version in sorted(versions):
            if version not in self.out.releases:
                self.diags.error(
                    Location(str(Path(self.source.shown_root) / "VERSION")),
                    f"no date known for QEMU release {version} (vocabulary.json 'releases')",
                )
        if any(not f.manual_lifecycle for f in self.out.families.values() if not f.abstract):
            self.out.lifecycle = self.lifecycle_policy()

    def lifecycle_policy(self) -> dict | None:
        values = {}
        for key, macro in (
            ("deprecate-after", "MACHINE_VER_DEPRECATION_MAJOR"),
            ("delete-after", "MACHINE_VER_DELETION_MAJOR"),
        ):
            value = self.evaluator.macro_value(macro, 0)
            if isinstance(value, CInt):
                values[key] = value.value
        # stringify() needs the preprocessor's '#': let pcpp expand it.
        from .csource import parse_text

        expanded = self.macros.expand_lines(["MACHINE_VER_DEPRECATION_MSG;"], set())
        nodes = parse_text(expanded).named_children
        statement = nodes[-1] if nodes else None
        reason = None
        if statement is not None and statement.named_children:
            reason = self.evaluator.evaluate(statement.named_children[0])
        if isinstance(reason, CStr):
            values["reason"] = reason.text
        values["removal-notice"] = self.vocab["lifecycle"]["removal-notice"]
        return values


class TargetEvaluator(Evaluator):
    """Evaluates with one target's definitions of the target-dependent macros."""

    def __init__(self, macros, defined: set[str]):
        super().__init__(macros)
        self.defined = defined

    def macro_value(self, name, depth):
        definition = (
            self.macros.for_target(name, self.defined)
            if self.macros.is_target_dependent(name)
            else None
        )
        if definition is None:
            return super().macro_value(name, depth)
        from .cvalues import expression_of

        return self.evaluate(expression_of(definition.body), {}, depth + 1)

    def evaluate(self, node, env=None, depth=0):
        if node is not None and node.type == "identifier":
            name = node.text.decode()
            if not (env and name in env) and self.macros.is_target_dependent(name):
                value = self.macro_value(name, depth)
                if value is not None:
                    return value
        return super().evaluate(node, env, depth)


def macro_names(text: str) -> list[str]:
    from ..model import MACRO_RE

    return MACRO_RE.findall(text)


def mechanical_name(lvalue: str) -> str:
    """pcmc->broken_reserved_end -> broken-reserved-end."""
    last = re.split(r"->|\.", lvalue)[-1]
    if last.startswith("caps[") or "[" in last:
        last = last.split("[", 1)[1].rstrip("]")
    return last.lower().replace("_", "-")


def family_desc(members: list[MachineType]) -> str | None:
    descs = []
    for machine in members:
        desc = machine.facts.get("desc")
        if not isinstance(desc, CStr):
            return None
        text = desc.text
        if machine.version is not None and str(machine.version) in text:
            text = text.replace(str(machine.version), "{version}")
        descs.append(text)
    return descs[0] if len(set(descs)) == 1 else None


def quote(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def one_line(text: str) -> str:
    return " ".join(text.split())
