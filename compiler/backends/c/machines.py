"""Machine files: each c-file's options functions and DEFINE lines.

A c-file is the part of one QEMU source file that changes with the
versions (hw/i386/pc_q35.c from pc_q35_machine_10_0_options() to the last
DEFINE_Q35_MACHINE line); what comes before it stays QEMU's: the DEFINE
macros and the family's base function.  For each family it lists, newest
first, each machine gets (its c-family says how each is spelled):

- an instance options function, where the family has them (s390-ccw-virtio:
  the next newer version's, then the machine's CPU-model statements from
  compiler.cpumodels, static declarations first);
- its options function: local declarations, then machines/' statements in
  their order, which is QEMU's: the call to the parent's function (first,
  or where 'inherits' stands), compat_props_add() for each set, option
  assignments with their comments.  The newest machine calls the family's
  base function instead when its base is QEMU's (`base F`), writes the
  family's own facts when it is `inline` (isapc; xenfv after the call to a
  pc-i440fx function), or nothing when QEMU sets them elsewhere (the IMPL
  macros and abstract parents of virt, s390-ccw-virtio, pseries);
- its DEFINE line: the `latest` template for the newest machine when it
  has an alias or is the default, `bugfix` for X.Y.Z, else the plain one.
  A family whose DEFINE sets neither (DEFINE_PC_MACHINE) has alias, default
  and, under a manual life cycle, an explicit deprecation reason assigned
  in the function instead.

A machine exists where its family's guard, its own guard and its family's
targets hold (a target guard when the family has fewer targets than the
file): its DEFINE line is under that condition.  Its functions are needed
there and wherever a machine inheriting from it exists (xenfv-4.2 needs
pc_i440fx_machine_4_2_options), so they are under the "or" of those;
consecutive pieces with one condition share one #if, as pc_piix.c's #ifdef
CONFIG_XEN block does.  Local declarations and headers follow the
conditions of the lines that use them, so no configuration sees an unused
variable or a missing header; config symbols tested get their header too
(CONFIG_DEVICES).

Sets of a `local` scope are `static GlobalProperty compat[]` arrays inside
the function that adds them (an empty one is left out, as QEMU writes
none); family-wide sets of an `inline` family are static arrays of the file.
"""

from __future__ import annotations

import re

from ...records import record
from ... import cpumodels, lifecycle
from ...model import CompatSet, Corpus, Guard, Machine
from ...versions import Version
from .conditions import ALWAYS, NEVER, CBackendError, Condition, blocks, wrap_lines
from .conventions import Conventions, FamilyStyle, fill, output_path, version_values
from .functions import Stmt, assignment, call, family_desc, option_stmt, render_function
from .tables import is_host_guard, set_name
from .templates import template
from .text import MAX_LINE, banner, c_comment_text, c_string_at, compat_props_add
from .text import condition_names, entry_line, include_lines, where

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FUNCTION_RE = re.compile(r"^static void ([A-Za-z0-9_]+)\(", re.M)


def removed(machine: Machine, release: Version | None) -> bool:
    """Removed at or before the build's release: QEMU's source no longer has it."""
    return lifecycle.absent_reason(machine, None, release) is not None


class MachineIndex:
    """Every machine of every family written in C, where it exists and
    where its functions are needed."""

    def __init__(self, conventions: Conventions):
        self.conventions = conventions
        corpus = conventions.corpus
        self.machines: dict[str, list[Machine]] = {}
        self.home: dict[int, FamilyStyle] = {}
        release = corpus.current_release
        for style in conventions.families:
            # A machine type removed by the build's release has no code left
            # in QEMU; one only due for deletion keeps its DEFINE line, and
            # QEMU's MACHINE_VER_DELETION decides at QEMU's build.
            machines = sorted(
                (
                    m
                    for m in corpus.machines
                    if m.family == style.family.name and m.name and not removed(m, release)
                ),
                key=lambda m: (m.version is not None, m.version or ()),
                reverse=True,
            )
            self.machines[style.family.name] = machines
            for machine in machines:
                self.home[id(machine)] = style
        self.children: dict[int, list[Machine]] = {}
        for machines in self.machines.values():
            for machine in machines:
                if machine.parent is not None:
                    self.children.setdefault(id(machine.parent), []).append(machine)
        self.file_targets: dict[str, set[str]] = {}
        for style in conventions.families:
            names = {name for name, _ in style.family.targets}
            self.file_targets.setdefault(style.file.name, set()).update(names)
        self._exists: dict[int, Condition] = {}
        self._needed: dict[int, Condition] = {}

    def exists(self, machine: Machine) -> Condition:
        key = id(machine)
        if key not in self._exists:
            style = self.home[key]
            family = style.family
            self._exists[key] = Condition.of(family.guard, machine.guard, self.target_guard(style))
        return self._exists[key]

    def needed(self, machine: Machine) -> Condition:
        key = id(machine)
        if key not in self._needed:
            self._needed[key] = ALWAYS  # a cycle (checks.py reports them) ends here
            condition = self.exists(machine)
            for child in self.children.get(key, []):
                if id(child) in self.home:
                    condition = condition | self.needed(child)
            self._needed[key] = condition
        return self._needed[key]

    def target_guard(self, style: FamilyStyle) -> Guard | None:
        """The family's targets, when fewer than its file is compiled for."""
        names = [name for name, _ in style.family.targets]
        if set(names) >= self.file_targets[style.file.name]:
            return None
        loc = style.family.location
        return Guard("or", loc, tuple(Guard("target", loc, value=t) for t in names))


@record
class Unit:
    """A piece of a machines file under a condition: a function or a DEFINE."""

    condition: Condition
    text: str


def define_text(template_text: str) -> str:
    """A filled DEFINE template, wrapped after a comma as QEMU wraps its
    DEFINE_PC_MACHINE lines when longer than a line."""
    if len(template_text) <= MAX_LINE or "(" not in template_text:
        return template_text
    head, _, rest = template_text.partition("(")
    args_text, close, tail = rest.rpartition(")")
    args = [a.strip() for a in args_text.split(",")]
    indent = " " * (len(head) + 1)
    lines = [f"{head}({args[0]},"]
    for arg in args[1:-1]:
        candidate = f"{lines[-1]} {arg},"
        if len(candidate) <= MAX_LINE:
            lines[-1] = candidate
        else:
            lines.append(f"{indent}{arg},")
    last = f"{lines[-1]} {args[-1]}{close}{tail}"
    if len(last) <= MAX_LINE:
        lines[-1] = last
    else:
        lines.append(f"{indent}{args[-1]}{close}{tail}")
    return "\n".join(lines)


class FileWriter:
    """The pieces of one generated machines file, in order, and what they need."""

    def __init__(self, index: MachineIndex, path: str, defined: set[str], split_part=False):
        self.index = index
        self.split_part = split_part
        self.conventions = index.conventions
        self.corpus: Corpus = index.conventions.corpus
        self.path = path
        self.preamble: list[Unit] = []  # static arrays of inline families
        self.static_sets: dict[tuple, Unit] = {}
        self.units: list[Unit] = []
        self.forward: dict[str, tuple[Condition, str]] = {}
        self.defined = defined  # functions defined so far, this file's earlier parts included
        self.names: dict[str, Condition] = {}  # where the file names each macro or function
        self.uses: list[str] = []  # what the file names from QEMU's own file
        self.defines: list[str] = []  # its DEFINE lines, for the banner

    def use(self, condition: Condition, names) -> None:
        for name in names:
            self.names[name] = self.names.get(name, NEVER) | condition

    def uses_from_qemu(self, *names: str) -> None:
        for name in names:
            if name and name not in self.uses and name not in self.conventions.headers:
                self.uses.append(name)

    def add_function(self, condition: Condition, name: str, param: str, sections, **kwargs):
        comment = kwargs.pop("comment", None)
        function = render_function(name, param, sections, **kwargs)
        self.use(condition, function.names)
        if function.size:
            self.use(condition, ["GiB"])
        text = function.text if comment is None else f"{comment}\n{function.text}"
        self.units.append(Unit(condition, text))
        self.defined.add(name)

    def call(self, machine: Machine, name: str, argument: str, signature: str) -> Stmt:
        """A call to `machine`'s function `name`, declared ahead if it comes later."""
        if name not in self.defined:
            self.forward.setdefault(name, (NEVER, f"static void {name}({signature});"))
            condition, line = self.forward[name]
            self.forward[name] = (condition | self.index.needed(machine), line)
        return call(name, argument)

    def parent_style(self, machine: Machine, what: str) -> FamilyStyle:
        parent = machine.parent
        style = self.index.home.get(id(parent))
        if style is None:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose family has "
                f"no c-family: its {what} function is not written"
            )
        if style.file is not self.index.home[id(machine)].file:
            raise CBackendError(
                f"{where(machine)}: {machine.name} inherits {parent.name}, whose {what} "
                f"function is static in {style.file.name}, not {self.path}"
            )
        return style

    # -- compat sets

    def local_array(self, compat: CompatSet, array: str, trailing_comma: bool) -> Stmt:
        """static GlobalProperty compat[] = {...}; inside an options function."""
        names: set[str] = set()
        lines = [f"    static GlobalProperty {array}[] = {{"]
        for line in wrap_lines(self.set_lines(compat, names, trailing_comma)):
            lines.append(line if line.startswith("#") else f"    {line}")
        lines.append("    };")
        return Stmt("\n".join(lines), names=tuple(sorted(names)), decl=True)

    def set_lines(self, compat: CompatSet, names: set[str], trailing_comma: bool = False):
        for entry in compat.entries:
            if is_host_guard(entry.guard):
                raise CBackendError(
                    f"{where(entry)}: {compat.display}: an entry under a host guard "
                    f"({entry.guard}) cannot be in the array {self.path} keeps this set in "
                    "(entries under host guards need the tables' _host arrays)"
                )
            for line in entry_line(entry, names, trailing_comma).split("\n"):
                yield Condition.of(entry.guard), line

    def static_array(self, condition: Condition, compat: CompatSet) -> None:
        """A family-wide set of an inline family, as a static array of the
        file, under the "or" of where the functions adding it are needed."""
        if compat.key in self.static_sets:
            unit = self.static_sets[compat.key]
            unit.condition = unit.condition | condition
            return
        names: set[str] = set()
        name = set_name(compat)
        entries = wrap_lines(self.set_lines(compat, names))
        if entries:
            text = "\n".join([f"static GlobalProperty {name}[] = {{", *entries, "};"])
        else:
            text = f"static GlobalProperty {name}[] = {{}};"
        text += f"\nstatic const size_t {name}_len = G_N_ELEMENTS({name});"
        self.use(condition, names)
        self.static_sets[compat.key] = Unit(condition, text)
        self.preamble.append(self.static_sets[compat.key])

    def compat_stmts(self, refs, style: FamilyStyle) -> list[Stmt]:
        """compat_props_add() for each set, in order; a local set's array too."""
        param = style.param.name
        sets = [self.corpus.compat_sets[ref.key] for ref in refs]
        local = [c for c in sets if self.is_local(c) and c.entries]
        stmts = []
        for compat in sets:
            name = set_name(compat)
            if self.is_local(compat):
                if not compat.entries:
                    continue  # nothing to add: QEMU writes no empty local array
                array = "compat" if len(local) == 1 else name
                scope = self.conventions.scope(compat.scope)
                stmts.append(self.local_array(compat, array, scope.trailing_comma))
                stmts.append(Stmt(compat_props_add(array, param, f"G_N_ELEMENTS({array})")))
            else:
                stmts.append(Stmt(compat_props_add(name, param)))
        return stmts

    def is_local(self, compat: CompatSet) -> bool:
        scope = self.conventions.scope(compat.scope)
        return compat.version is not None and scope is not None and scope.local

    # -- functions

    def family_facts(self, machine: Machine, style: FamilyStyle, condition: Condition):
        """What an inline family writes where a chain enters it: its desc,
        options and family-wide sets (those of the families it extends too,
        the abstract ones aside: they are QEMU's abstract parent classes)."""
        lineage = [m for m in style.family.lineage() if not m.abstract]
        if machine.parent is not None:
            lineage = lineage[-1:]  # the parent's chain set the rest
        stmts: list[Stmt] = []
        desc = family_desc(style.family)
        if desc is not None:
            stmts.append(assignment(f"{style.param.name}->desc", desc))
        refs = []
        for member in lineage:
            section = [
                option_stmt(assign, self.corpus, self.conventions, style)
                for assign in member.options
            ]
            section = [s for s in section if s is not None]
            self.note_symbols(member.options)
            if section and len(lineage) > 1:
                title = c_comment_text(f"family {member.name}")
                section.insert(0, Stmt(f"    /* {title} */", title=True))
            stmts += section
            refs += member.compat
        for ref in refs:
            compat = self.corpus.compat_sets[ref.key]
            if compat.version is None:
                self.static_array(condition, compat)
        stmts += self.compat_stmts(refs, style)
        return stmts

    def machine_facts(self, machine: Machine, style: FamilyStyle) -> list[Stmt]:
        """Alias, default and a manual life cycle's deprecation, for a family
        whose DEFINE lines set none of them (DEFINE_PC_MACHINE)."""
        if style.define("latest") is not None:
            return []
        param = style.param.name
        stmts = []
        alias = machine_alias(machine, style)
        if alias is not None:
            stmts.append(assignment(f"{param}->alias", c_string_at(alias, machine.location)))
        if machine.default is not None:
            stmts.append(assignment(f"{param}->is_default", "true"))
        if style.family.manual_lifecycle:
            reason = lifecycle.deprecation_reason(
                machine, self.corpus.lifecycle, self.corpus.current_release, True
            )
            if reason is not None:
                stmts.append(
                    assignment(
                        f"{param}->deprecation_reason", c_string_at(reason, machine.location)
                    )
                )
        return stmts

    def deprecation(self, machine: Machine, style: FamilyStyle) -> list[Stmt]:
        """m->deprecation_reason = "..." for the machine's own explicit
        deprecation, where machines/ says it, as QEMU writes it: the older
        machines whose options functions call this one inherit it, and
        MACHINE_VER_DEPRECATION, run after it, replaces it once QEMU's policy
        deprecates the machine (lifecycle.py resolves the same way).  A
        manual family's is in machine_facts()."""
        dep = lifecycle.own_deprecation(machine, self.corpus.current_release)
        if dep is None:
            return []
        lvalue = f"{style.param.name}->deprecation_reason"
        return [assignment(lvalue, c_string_at(dep.reason, dep.location))]

    def options_function(self, machine: Machine, style: FamilyStyle) -> None:
        param = style.param.name
        condition = self.index.needed(machine)
        head: list[Stmt] = []
        if machine.parent is not None:
            parent = self.parent_style(machine, "options")
            head.append(
                self.call(
                    machine.parent,
                    parent.options_fn(machine.parent),
                    param,
                    parent.param.text,
                )
            )
        elif style.c.base == "call":
            head.append(call(style.c.base_function, param))
            self.uses_from_qemu(style.c.base_function)
        crosses = machine.parent is None or machine.parent.family != machine.family
        if style.c.base == "inline" and crosses:
            head += self.family_facts(machine, style, condition)
        head += self.machine_facts(machine, style)

        body: list[Stmt] = []
        placed = False
        for kind, item in machine.statements:
            if kind == "inherits":
                body += head
                placed = True
            elif kind == "compat":
                body += self.compat_stmts([item], style)
            elif kind == "option":
                stmt = option_stmt(item, self.corpus, self.conventions, style)
                if stmt is not None:
                    body.append(stmt)
                self.note_symbols([item])
            elif kind == "deprecated" and not style.family.manual_lifecycle:
                body += self.deprecation(machine, style)
        if not placed:
            body = head + body
        comment = None
        if style.c.machine_comment and not (self.split_part and not self.units):
            # QEMU's comment above what ends the first part names the first
            # machine of the second (spapr.c's pseries-4.0 above
            # phb_placement_4_0()): it stays QEMU's.
            comment = f"/*\n * {c_comment_text(machine.name)}\n */"
        locals_ = [(root, decl) for root, decl, _ in style.c.locals]
        self.add_function(
            condition,
            style.options_fn(machine),
            style.param.text,
            [body],
            locals_=locals_,
            comment=comment,
        )

    def instance_function(self, machine: Machine, style: FamilyStyle) -> None:
        """The next newer version's instance options, then the machine's
        CPU-model statements (compiler.cpumodels)."""
        param = style.instance_param
        lines = cpumodels.machine_cpu_c_lines(self.corpus, machine)
        decls, body = self.cpu_statements(list(lines or []))
        head = []
        if machine.parent is not None:
            parent = self.parent_style(machine, "instance options")
            if parent.instance_param is None:
                raise CBackendError(
                    f"{where(machine)}: {machine.name} inherits {machine.parent.name}, whose "
                    "family has no instance options"
                )
            head.append(
                self.call(
                    machine.parent,
                    parent.instance_fn(machine.parent),
                    param.name,
                    parent.instance_param.text,
                )
            )
        self.add_function(
            self.index.needed(machine),
            style.instance_fn(machine),
            param.text,
            [[*decls, *head, *body]],
        )

    def cpu_statements(self, lines: list[str]) -> tuple[list[Stmt], list[Stmt]]:
        """compiler.cpumodels' statements: (static declarations, which QEMU
        writes before the call to the newer version's instance options, the
        others in order)."""
        decls, body = [], []
        for text in lines:
            text = text.strip()
            if not text:
                continue
            indented = "\n".join(
                line if line.startswith("#") or not line.strip() else f"    {line}"
                for line in text.split("\n")
            )
            names = tuple(sorted(set(_NAME_RE.findall(text)) & set(self.conventions.headers)))
            stmt = Stmt(indented, names=names, decl=text.startswith("static "))
            (decls if stmt.decl else body).append(stmt)
        return decls, body

    def note_symbols(self, assigns) -> None:
        for assign in assigns:
            if assign.value.kind == "symbol":
                self.uses_from_qemu(assign.value.text.lstrip("&"))

    def define_line(self, machine: Machine, style: FamilyStyle, newest: Machine) -> None:
        parts = machine.version.parts if machine.version is not None else ()
        alias = machine_alias(machine, style)
        latest = style.define("latest")
        if latest is not None and machine is newest and (alias or machine.default):
            define = latest
        elif len(parts) == 3:
            define = style.define("bugfix")
        else:
            define = style.define("")
        if define is None:
            raise CBackendError(
                f"{where(machine)}: c-family {style.family.name} has no DEFINE "
                f"template for {machine.name}"
            )
        values = version_values(machine.version)
        values.update(
            name=c_string_at(machine.name, machine.location),
            function=style.options_fn(machine),
            symbol=style.symbol(machine),
        )
        text = define_text(fill(define.template, values))
        head = _NAME_RE.match(define.template)
        if head is not None:
            self.uses_from_qemu(head.group(0))
        for name in _NAME_RE.findall(re.sub(r"\{[a-z_]+\}|\"[^\"]*\"", " ", define.template)):
            if not name[0].isdigit():
                self.uses_from_qemu(name)
        self.units.append(Unit(self.index.exists(machine), text))
        self.defines.append(" ".join(text.split()).rstrip(";"))

    def family(self, style: FamilyStyle, machines: list[Machine]) -> None:
        newest = self.index.machines[style.family.name][0]
        for machine in machines:
            if style.c.instance_function is not None:
                self.instance_function(machine, style)
            self.options_function(machine, style)
            self.define_line(machine, style, newest)

    def render(self, sources: list[str], cfile) -> str:
        # Each header under the "or" of where the file names what it declares.
        headers: dict[tuple[str, bool], Condition] = {}
        for unit in self.units + self.preamble:
            # What an #if tests is needed whatever it says (CONFIG_DEVICES).
            self.use(ALWAYS, condition_names(unit.condition))
        for name in sorted(self.names):
            header = self.conventions.headers.get(name)
            if header is not None:
                headers[header] = headers.get(header, NEVER) | self.names[name]
        unconditional = list(cfile.includes)
        unconditional += [h for h, c in headers.items() if c.always]
        conditional = [(c, h) for h, c in headers.items() if not c.always]

        def joined(units):
            out = []
            for condition, texts in blocks((u.condition, u.text) for u in units):
                text = "\n\n".join(texts)
                if not condition.always:
                    text = f"{condition.open()}\n{text}\n#endif"
                out.append(text)
            return out

        note = f"Included by {cfile.replaces or 'its QEMU source file'} in place of its part"
        functions = [m.group(1) for u in self.units for m in _FUNCTION_RE.finditer(u.text)]
        if functions and self.defines:
            note += f" from {functions[0]}() to the {self.defines[-1]} line"
        note += "."
        notes = [note]
        if self.uses:
            notes.append(
                f"Uses what that file defines or includes before it: {', '.join(self.uses)}."
            )
        return template("machines.c.j2").render(
            banner=banner(sources, *notes),
            includes=include_lines(unconditional, conditional),
            preamble=joined(self.preamble),
            forward=wrap_lines(self.forward.values()),
            body=joined(self.units),
        )


def machine_alias(machine: Machine, style: FamilyStyle) -> str | None:
    if machine.alias is None:
        return None
    return machine.alias_name or style.family.alias


def render_machines(conventions: Conventions, sources: list[str]) -> dict[str, str]:
    index = MachineIndex(conventions)
    outputs = {}
    for cfile in conventions.corpus.c_files.values():
        styles = [s for s in conventions.families if s.file is cfile]
        parts = [cfile.name] + ([cfile.split.file] if cfile.split is not None else [])
        defined: set[str] = set()
        writers = {
            part: FileWriter(index, output_path(part), defined, part != cfile.name)
            for part in parts
        }
        after_split = False
        for style in styles:
            machines = index.machines[style.family.name]
            if after_split:  # the families after the split one follow it
                writers[parts[1]].family(style, machines)
                continue
            for part in parts:
                chosen = [m for m in machines if style.part_of(m) == part]
                if chosen:
                    writers[part].family(style, chosen)
            after_split = cfile.split is not None and style.family.name == cfile.split.family
        for part in parts:
            outputs[output_path(part)] = writers[part].render(sources, cfile)
    return outputs
