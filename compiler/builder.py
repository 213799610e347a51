"""Stage 2: turn syntax trees into the source model (model.py).

Only structure is handled here: strings are decoded, versions parsed, and
duplicate declarations reported.  Cross-references are checked in checks.py.
"""

from __future__ import annotations

import re

from . import numbers
from .diagnostics import Diagnostics, Location
from .lalr import Token, Tree
from .model import (
    MACRO_RE,
    CDefine,
    CFamily,
    CFile,
    CFunction,
    CHeader,
    CompatEntry,
    CompatSet,
    Const,
    Corpus,
    ConfigSymbol,
    CPlacement,
    CScope,
    CSplit,
    CTypeName,
    Define,
    Deprecation,
    Family,
    Feature,
    Guard,
    GuestInvisible,
    HostProperty,
    Lifecycle,
    Machine,
    OptionAssign,
    QomPropertyDecl,
    QomTypeDecl,
    OptionDecl,
    Platform,
    Release,
    SetRef,
    Target,
    Value,
)
from .model import (
    CpuDefinition,
    CpuFeatOff,
    CpuFeature,
    CpuGaLevel,
    CpuGroup,
    CpuModels,
    CpuQemuList,
    CpuQemuModelSet,
    GenGa,
    InstanceGlobal,
    InstanceSet,
)
from .parser import ParsedFile
from .versions import PART_MAX, Version

MAX_GUARD_DEPTH = 64
_GUARD_ATOMS = {
    "guard_os": "os",
    "guard_accel": "accel",
    "guard_target": "target",
    "guard_feature": "feature",
}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
# Machine statements about its instance options (s390x CPU models).
_INSTANCE_STMTS = (
    "machine_cpu_featoff",
    "machine_cpu_group_featoff",
    "machine_cpu_qemu_model",
    "machine_instance_set",
)
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.S)


class Builder:
    def __init__(self, diags: Diagnostics):
        self.diags = diags
        self.corpus = Corpus()
        self.file = ""
        self.comments: dict[int, tuple[int, str]] = {}

    # -- helpers -------------------------------------------------------------
    def loc(self, node: Tree | Token) -> Location:
        if isinstance(node, Token):
            return Location(self.file, node.line or 0, node.column or 0)
        meta = node.meta
        return Location(self.file, getattr(meta, "line", 0), getattr(meta, "column", 0))

    def string(self, token: Token) -> str:
        """Decode a double-quoted string with \\" \\\\ \\n \\t \\uXXXX escapes."""
        body = token.value[1:-1]

        def unescape(match: re.Match) -> str:
            esc = match.group(1)
            if esc in _ESCAPES:
                return _ESCAPES[esc]
            if esc[0] == "u" and len(esc) == 5:
                code = int(esc[1:], 16)
                if 0xD800 <= code <= 0xDFFF:
                    self._bad_escape(token, match, "a surrogate is not a character")
                    return ""
                if code == 0:
                    self._bad_escape(token, match, "QEMU's strings are C strings: no NUL")
                    return ""
                return chr(code)
            self._bad_escape(token, match, "unknown escape")
            return ""

        return _ESCAPE_RE.sub(unescape, body)

    def _bad_escape(self, token: Token, match: re.Match, why: str) -> None:
        offset = match.start() + 1  # +1 for the opening quote
        hint = ' (use \\", \\\\, \\n, \\t or \\uXXXX)' if why == "unknown escape" else ""
        self.diags.error(
            Location(self.file, token.line, token.column + offset),
            f"invalid string escape '{match.group(0)}': {why}{hint}",
        )

    def version(self, token: Token) -> Version:
        """A VERSION token; a located error if a part has a leading zero or
        does not fit a C int (the version returned then only keeps the model
        consistent: the build stops before any output)."""
        found = self.valid_version(token)
        if found is not None:
            return found
        parts = token.value.split(".")
        return Version(tuple(int(p) if len(p) <= 10 else PART_MAX + 1 for p in parts))

    def valid_version(self, token: Token) -> Version | None:
        try:
            return Version.parse(token.value)
        except ValueError:
            pass
        parts = token.value.split(".")
        if any(len(p) > 10 or int(p) > PART_MAX for p in parts):
            why = f"a part is out of range for {numbers.VERSION_PART.what} (0..{PART_MAX})"
        else:
            why = f"no part has a leading zero (write {'.'.join(str(int(p)) for p in parts)})"
        self.diags.error(self.loc(token), f"invalid version '{numbers.shown(token.value)}': {why}")
        return None

    def number(self, token: Token, allowed: numbers.Range) -> int:
        """An INT token's value within `allowed`; after a located error, a
        stand-in in the range."""
        try:
            return numbers.parse_in(token.value, allowed)
        except numbers.NumberError as exc:
            self.diags.error(self.loc(token), str(exc))
            return numbers.stand_in(token.value, allowed)

    def number_text(self, token: Token, allowed: numbers.Range) -> str:
        """An INT token as written (C and JSON show it so), or its stand-in."""
        try:
            numbers.parse_in(token.value, allowed)
            return token.value
        except numbers.NumberError:
            return str(self.number(token, allowed))

    # -- entry point -----------------------------------------------------------
    def add_file(self, parsed: ParsedFile) -> None:
        self.file = parsed.path
        self.comments = parsed.comments
        self.corpus.files.append(parsed.path)
        for item in parsed.tree.children:
            getattr(self, "build_" + item.data)(item)

    # -- declarations ------------------------------------------------------------
    def build_release(self, node: Tree) -> None:
        version_tok, when = node.children
        version = self.valid_version(version_tok)
        if version is None:
            return  # not declared: a stand-in would only cause follow-on errors
        if len(version.parts) != 2:
            self.diags.error(
                self.loc(version_tok),
                f"a release is MAJOR.MINOR: write {version.release} for {version}",
            )
            return
        self._declare(
            self.corpus.releases,
            version,
            Release(version, None if when.type == "PLANNED" else when.value, self.loc(node)),
            f"release {version}",
        )

    def build_target(self, node: Tree) -> None:
        name_tok, *stmts = node.children
        target = Target(name_tok.value, self.loc(node))
        for stmt in stmts:
            kind = stmt.data
            if kind == "target_binary":
                target.binary = self.string(stmt.children[0])
            elif kind == "target_arch":
                target.arch = stmt.children[0].value
            elif kind == "target_wordsize":
                target.wordsize = self.wordsize(stmt.children[0])
            elif kind == "target_define":
                macro, value = stmt.children
                target.defines[macro.value] = self.string(value)
        self._declare(self.corpus.targets, target.name, target, f"target {target.name}")

    def wordsize(self, token: Token) -> int:
        try:
            value = numbers.parse_int(token.value)
        except numbers.NumberError as exc:
            self.diags.error(self.loc(token), str(exc))
            return 0
        if value not in numbers.WORDSIZES:
            *most, last = map(str, numbers.WORDSIZES)
            allowed = f"{', '.join(most)} or {last}"
            self.diags.error(
                self.loc(token),
                f"wordsize {numbers.shown(token.value)}: libvirt's capabilities take {allowed}",
            )
            return 0
        return value

    def build_const_decl(self, node: Tree) -> None:
        name, value = node.children
        number = self.number(value, numbers.C_INT)
        self._declare(
            self.corpus.consts,
            name.value,
            Const(name.value, number, self.loc(node)),
            f"constant {name.value}",
        )

    def build_option_decl(self, node: Tree) -> None:
        name, type_node, c_lvalue, query, monotone = node.children
        if type_node.data == "enum_type":
            type_name, values = "enum", tuple(t.value for t in type_node.children)
        else:
            type_name, values = type_node.children[0].value, ()
        decl = OptionDecl(
            name=name.value,
            type=type_name,
            c_lvalue=self.string(c_lvalue) if c_lvalue is not None else None,
            location=self.loc(node),
            query=self.string(query) if query is not None else None,
            enum_values=values,
            monotone=monotone is not None,
            c_location=self.loc(c_lvalue) if c_lvalue is not None else None,
        )
        self._declare(self.corpus.options, decl.name, decl, f"option {decl.name}")

    def build_lifecycle(self, node: Tree) -> None:
        policy = Lifecycle(self.loc(node))
        for stmt in node.children:
            arg = stmt.children[0]
            if stmt.data == "lifecycle_deprecate":
                policy.deprecate_after = self.number(arg, numbers.LIFECYCLE_MAJORS)
            elif stmt.data == "lifecycle_delete":
                policy.delete_after = self.number(arg, numbers.LIFECYCLE_MAJORS)
            elif stmt.data == "lifecycle_reason":
                policy.reason = self.string(arg)
            elif stmt.data == "lifecycle_notice":
                policy.removal_notice = self.number(arg, numbers.LIFECYCLE_NOTICE)
            elif stmt.data == "lifecycle_enforce":
                policy.enforce_deletion = self.loc(stmt)
                policy.enforce_since = self.version(arg) if arg is not None else None
        if self.corpus.lifecycle is not None:
            self._duplicate(policy.location, "lifecycle policy", self.corpus.lifecycle.location)
            return
        self.corpus.lifecycle = policy

    # -- compat sets -------------------------------------------------------------
    def build_compat(self, node: Tree) -> None:
        scope, version_tok, *entries = node.children
        version = self.version(version_tok) if version_tok is not None else None
        compat = CompatSet(scope.value, version, [], self.loc(node))
        for entry in entries:
            compat.entries.append(self.build_entry(entry))
        self._declare(self.corpus.compat_sets, compat.key, compat, f"compat set '{compat.display}'")

    def build_entry(self, node: Tree) -> CompatEntry:
        driver_node, property_node, value, optional, guard = node.children
        entry = CompatEntry(
            driver=self._name_or_string(driver_node.children[0]),
            property=self._name_or_string(property_node.children[0]),
            value=self.string(value),
            optional=optional is not None,
            location=self.loc(node),
            guard=self.guard_clause(guard),
        )
        self._attach_comment(entry, node)
        return entry

    def _name_or_string(self, token: Token) -> str:
        return self.string(token) if token.type == "STRING" else token.value

    def build_define_decl(self, node: Tree) -> None:
        name, value = node.children
        define = Define(name.value, self.string(value), self.loc(node))
        self._declare(self.corpus.defines, define.name, define, f"macro {define.name}")

    def _attach_comment(self, entry: CompatEntry | OptionAssign, node: Tree) -> None:
        """A comment on the entry's line, else the comment lines just above it."""
        line = node.meta.line
        trailing = self.comments.get(node.meta.end_line)
        if trailing is not None and trailing[0] > node.meta.end_column - 1:
            entry.comment = trailing[1]
            return
        above = []
        previous = line - 1
        while previous in self.comments and self._comment_only_line(previous):
            above.append(self.comments[previous][1])
            previous -= 1
        if above:
            entry.comment = " ".join(reversed([a for a in above if a])) or None
            entry.comment_above = entry.comment is not None

    def _comment_only_line(self, line: int) -> bool:
        text = self.diags.sources.get(self.file, [])
        return 0 < line <= len(text) and text[line - 1].lstrip().startswith("#")

    # -- families and machines ---------------------------------------------------
    def build_family(self, node: Tree) -> None:
        name, extends, *stmts = node.children
        family = Family(name.value, self.loc(node))
        if extends is not None:
            family.extends = extends.value
            family.extends_location = self.loc(extends)
        for stmt in stmts:
            kind = stmt.data
            if kind == "family_abstract":
                family.abstract = True
            elif kind == "family_pattern":
                family.pattern = self.string(stmt.children[0])
            elif kind == "family_targets":
                family.targets = [(t.value, self.loc(t)) for t in stmt.children]
            elif kind == "family_alias":
                family.alias = stmt.children[0].value
            elif kind == "family_desc":
                family.desc = self.string(stmt.children[0])
            elif kind == "family_compat":
                family.compat.extend(self.build_set_ref(r) for r in stmt.children)
            elif kind == "option_assign":
                family.options.append(self.build_option_assign(stmt))
            elif kind == "guard_clause":
                family.guard = self._one_guard(family.guard, stmt)
            elif kind == "family_lifecycle":
                family.manual_lifecycle = True
        self._declare(self.corpus.families, family.name, family, f"family {family.name}")

    def build_machine(self, node: Tree) -> None:
        family, version, *stmts = node.children
        machine = Machine(
            family.value, self.version(version) if version is not None else None, self.loc(node)
        )
        for stmt in stmts:
            kind = stmt.data
            if kind == "machine_compat":
                refs = [self.build_set_ref(r) for r in stmt.children]
                machine.compat.extend(refs)
                machine.statements.extend(("compat", ref) for ref in refs)
            elif kind == "option_assign":
                machine.options.append(self.build_option_assign(stmt))
                machine.statements.append(("option", machine.options[-1]))
            elif kind == "machine_inherits":
                other, version = stmt.children
                machine.inherits.append(
                    (
                        other.value if other is not None else None,
                        self.version(version),
                        self.loc(stmt),
                    )
                )
                machine.statements.append(("inherits", self.loc(stmt)))
            elif kind == "machine_default":
                machine.default = self.loc(stmt)
            elif kind == "machine_alias":
                machine.alias = self.loc(stmt)
                if stmt.children[0] is not None:
                    machine.alias_name = stmt.children[0].value
            elif kind == "machine_requires":
                machine.requires.extend((t.value, self.loc(t)) for t in stmt.children)
            elif kind == "guard_clause":
                machine.guard = self._one_guard(machine.guard, stmt)
            elif kind == "machine_unstable":
                machine.unstable = self.loc(stmt)
            elif kind == "machine_deprecated":
                since, reason = stmt.children
                machine.deprecated = Deprecation(
                    self.string(reason),
                    self.version(since) if since is not None else None,
                    self.loc(stmt),
                )
                machine.statements.append(("deprecated", machine.deprecated))
            elif kind == "machine_removed":
                machine.removed = (self.version(stmt.children[0]), self.loc(stmt))
            elif kind in _INSTANCE_STMTS:  # cpu-featoff, cpu-qemu-model, instance X = V
                machine.instance_options.append(getattr(self, "build_" + kind)(stmt))
        self.corpus.machines.append(machine)

    def build_set_ref(self, node: Tree) -> SetRef:
        scope, version = node.children
        return SetRef(
            scope.value,
            self.version(version) if version is not None else None,
            self.loc(node),
        )

    def build_option_assign(self, node: Tree) -> OptionAssign:
        name, value_node, guard = node.children
        assign = OptionAssign(
            name.value, self.value(value_node), self.loc(node), self.guard_clause(guard)
        )
        self._attach_comment(assign, node)
        return assign

    # -- guards, platforms, features ----------------------------------------------
    def _one_guard(self, existing: Guard | None, stmt: Tree) -> Guard | None:
        guard = self.guard_clause(stmt)
        if existing is not None and guard is not None:
            self.diags.error(guard.location, "a second 'if': combine the conditions with 'and'")
        return existing or guard

    def guard_clause(self, node: Tree | None) -> Guard | None:
        if node is None:
            return None
        root = node.children[0]
        # Bound the depth before walking it, so no input can exhaust the stack.
        depth, stack = 0, [(root, 1)]
        while stack:
            current, level = stack.pop()
            depth = max(depth, level)
            if isinstance(current, Tree):
                stack.extend((child, level + 1) for child in current.children)
        if depth > MAX_GUARD_DEPTH:
            self.diags.error(self.loc(node), f"guard nested deeper than {MAX_GUARD_DEPTH} levels")
            return None
        return self.build_guard(root)

    def build_guard(self, node: Tree | Token) -> Guard:
        if isinstance(node, Token):  # a bare config.CONFIG_X reduces to its token
            return Guard("config", self.loc(node), value=node.value.removeprefix("config."))
        location = self.loc(node)
        kind = node.data
        if kind in ("guard_and", "guard_or"):
            op = kind.removeprefix("guard_")
            args: list[Guard] = []
            for child in node.children:
                built = self.build_guard(child)
                # a and b and c is one 'and' of three, not nested pairs.
                args.extend(built.args if built.kind == op else (built,))
            return Guard(op, location, tuple(args))
        if kind == "guard_not":
            return Guard("not", location, (self.build_guard(node.children[0]),))
        if kind == "guard_kernel":
            compare, version = node.children
            value = str(self.version(version))
            return Guard("kernel", location, value=value, compare=compare.value)
        if kind == "guard_config":
            token = node.children[0]
            return Guard("config", location, value=token.value.removeprefix("config."))
        return Guard(_GUARD_ATOMS[kind], location, value=node.children[0].value)

    def build_feature_decl(self, node: Tree) -> None:
        name, description = node.children
        feature = Feature(name.value, self.string(description), self.loc(node))
        self._declare(self.corpus.features, feature.name, feature, f"feature {feature.name}")

    def build_config_decl(self, node: Tree) -> None:
        name, default, description = node.children
        symbol = ConfigSymbol(
            name.value,
            default.value == "on",
            self.loc(node),
            self.string(description) if description is not None else "",
        )
        self._declare(self.corpus.config, symbol.name, symbol, f"config {symbol.name}")

    def build_platform(self, node: Tree) -> None:
        name, extends, *stmts = node.children
        platform = Platform(name.value, self.loc(node))
        if extends is not None:
            platform.extends = extends.value
            platform.extends_location = self.loc(extends)
        for stmt in stmts:
            kind = stmt.data
            if kind == "platform_os":
                platform.os = stmt.children[0].value
            elif kind == "platform_kernel":
                platform.kernel = self.version(stmt.children[0])
            elif kind == "platform_accel":
                platform.accels = [t.value for t in stmt.children]
            elif kind == "platform_features":
                platform.features.extend((t.value, self.loc(t)) for t in stmt.children)
            elif kind == "platform_desc":
                platform.desc = self.string(stmt.children[0])
        self._declare(self.corpus.platforms, platform.name, platform, f"platform {platform.name}")

    def build_host_property(self, node: Tree) -> None:
        driver, prop, feature, acknowledged = node.children
        self.corpus.host_properties.append(
            HostProperty(
                self._name_or_string(driver.children[0]),
                self._name_or_string(prop.children[0]),
                feature.value,
                self.loc(node),
                self.string(acknowledged) if acknowledged is not None else None,
            )
        )

    def build_guest_invisible(self, node: Tree) -> None:
        driver, prop, reason = node.children
        self.corpus.guest_invisible.append(
            GuestInvisible(
                self._name_or_string(driver.children[0]),
                self._name_or_string(prop.children[0]),
                self.string(reason),
                self.loc(node),
            )
        )

    def build_qom_decl(self, node: Tree) -> None:
        name, extends, abstract, since, absent, reason, body = node.children
        decl = QomTypeDecl(
            name=self._name_or_string(name),
            location=self.loc(node),
            extends=extends.value if extends is not None else None,
            abstract=abstract is not None,
            since=self.version(since) if since is not None else None,
            absent=self.string(reason) if reason is not None else None,
        )
        for prop in body.children if body is not None else ():
            prop_name, qom_type, default, prop_since = prop.children
            decl.properties.append(
                QomPropertyDecl(
                    name=self._name_or_string(prop_name.children[0]),
                    qom_type=qom_type.value,
                    location=self.loc(prop),
                    default=self.string(default) if default is not None else None,
                    since=self.version(prop_since) if prop_since is not None else None,
                )
            )
        self.corpus.qom_decls.append(decl)

    # -- CPU models (s390x) ------------------------------------------------------
    def gen_ga(self, token: Token) -> GenGa:
        """gen16.1 -> (16, 1); each part a decimal that fits QEMU's uint8_t."""
        values = []
        for text, allowed in zip(
            token.value.removeprefix("gen").split("."), (numbers.CPU_GEN, numbers.CPU_GA)
        ):
            try:
                values.append(numbers.parse_in(text, allowed))
            except numbers.NumberError as exc:
                self.diags.error(self.loc(token), f"{token.value}: {exc}")
                values.append(numbers.stand_in(text, allowed))
        return (values[0], values[1])

    def cpu_names(self, node: Tree | None) -> list[tuple[str, Location]]:
        if node is None:
            return []
        return [(token.value, self.loc(token)) for token in node.children]

    def build_cpu_models(self, node: Tree) -> None:
        target, *stmts = node.children
        models = CpuModels(target.value, self.loc(node))
        position = 0
        while position < len(stmts):
            stmt = stmts[position]
            if isinstance(stmt, Token):  # a feature: name, enum, description
                self.build_cpu_feature(models, *stmts[position : position + 3])
                position += 3
                continue
            getattr(self, "build_" + stmt.data)(models, stmt)
            position += 1
        self._declare(self.corpus.cpu_models, models.target, models, f"cpu-models {models.target}")

    def build_cpu_feature(
        self, models: CpuModels, name: Token, enum: Token, description: Token
    ) -> None:
        feature = CpuFeature(
            name.value,
            enum.value,
            self.string(description),
            self.loc(name),
            index=len(models.features),
        )
        self._declare(models.features, feature.name, feature, f"CPU feature {feature.name}")

    def build_cpu_group(self, models: CpuModels, node: Tree) -> None:
        name, enum, description, members = node.children
        group = CpuGroup(
            name.value,
            enum.value,
            self.string(description),
            self.cpu_names(members),
            self.loc(node),
        )
        self._declare(models.groups, group.name, group, f"CPU feature group {group.name}")

    def build_cpu_def(self, models: CpuModels, node: Tree) -> None:
        name, type_, level, description, machine, guard = node.children
        cpu_type = self.number_text(type_, numbers.CPU_TYPE)
        definition = CpuDefinition(
            name.value, cpu_type, self.gen_ga(level), self.string(description), self.loc(node)
        )
        if machine is not None:
            mha_pow, hmfai = machine.children
            definition.mha_pow = self.number(mha_pow, numbers.CPU_MHA_POW)
            self.number(hmfai, numbers.CPU_HMFAI)
            definition.hmfai = hmfai.value
        definition.guard = self.guard_clause(guard)
        self._declare(
            models.definitions, definition.name, definition, f"CPU definition {definition.name}"
        )

    def build_cpu_ga(self, models: CpuModels, node: Tree) -> None:
        level_tok, *stmts = node.children
        level = CpuGaLevel(self.gen_ga(level_tok), self.loc(node))
        for stmt in stmts:
            kind_node, names = stmt.children
            target = level.adds if stmt.data == "cpu_ga_add" else level.clears
            target.setdefault(kind_node.children[0].value, []).extend(self.cpu_names(names))
        models.levels.append(level)

    def build_cpu_deprecated(self, models: CpuModels, node: Tree) -> None:
        models.deprecated.extend(self.cpu_names(node.children[0]))

    def build_cpu_qemu_list(self, models: CpuModels, node: Tree) -> None:
        name, entries = node.children
        qemu_list = CpuQemuList(name.value, self.cpu_names(entries), self.loc(node))
        self._declare(
            models.qemu_lists, qemu_list.name, qemu_list, f"qemu-features {qemu_list.name}"
        )

    def build_cpu_qemu_default(self, models: CpuModels, node: Tree) -> None:
        definition, qemu_list = node.children
        if models.qemu_default is not None:
            self._duplicate(self.loc(node), "qemu-model", models.qemu_default[2])
            return
        models.qemu_default = (definition.value, qemu_list.value, self.loc(node))

    def build_cpu_host_model(self, models: CpuModels, node: Tree) -> None:
        definition, why = node.children
        if models.host_model is not None:
            self._duplicate(self.loc(node), "host-model", models.host_model[2])
            return
        reason = self.string(why) if why is not None else ""
        models.host_model = (definition.value, reason, self.loc(node))

    def build_machine_cpu_featoff(self, node: Tree, group: bool = False) -> CpuFeatOff:
        level, names = node.children
        featoff = CpuFeatOff(self.gen_ga(level), self.cpu_names(names), group, self.loc(node))
        self._attach_comment(featoff, node)
        return featoff

    def build_machine_cpu_group_featoff(self, node: Tree) -> CpuFeatOff:
        return self.build_machine_cpu_featoff(node, group=True)

    def build_machine_cpu_qemu_model(self, node: Tree) -> CpuQemuModelSet:
        definition, qemu_list = node.children
        change = CpuQemuModelSet(
            definition.value, self.loc(definition), qemu_list.value, self.loc(node)
        )
        self._attach_comment(change, node)
        return change

    def build_machine_instance_set(self, node: Tree) -> InstanceSet:
        name, value_node = node.children
        change = InstanceSet(name.value, self.value(value_node), self.loc(node))
        self._attach_comment(change, node)
        return change

    def value(self, value_node: Tree) -> Value:
        kind = value_node.data.removesuffix("_value")
        if kind in ("true", "false"):
            return Value("bool", kind, self.loc(value_node))
        token = value_node.children[0]
        if kind == "string":
            text = self.string(token)
        elif kind == "expr":
            text = token.value[1:-1].strip()  # between the backquotes
        else:
            text = token.value
        return Value(kind, text, self.loc(token))

    def build_instance_global(self, node: Tree) -> None:
        name, type_, default, description = node.children
        decl = InstanceGlobal(
            name.value,
            type_.value,
            self.value(default),
            self.loc(node),
            self.string(description) if description is not None else "",
        )
        self._declare(self.corpus.instance_globals, decl.name, decl, f"instance-global {decl.name}")

    # -- how QEMU writes things in C ------------------------------------------------
    def build_c_header(self, node: Tree) -> None:
        header, *names = node.children
        macro = header.type == "MACRO"
        path = header.value if macro else self.string(header)
        self.corpus.c_headers.append(
            CHeader(path, [(n.value, self.loc(n)) for n in names], self.loc(node), macro)
        )

    def build_c_type_name(self, node: Tree) -> None:
        macro, suffix = node.children
        entry = CTypeName(macro.value, self.string(suffix), self.loc(node))
        self._declare(self.corpus.c_type_names, entry.macro, entry, f"c-type-name {entry.macro}")

    def build_c_scope(self, node: Tree) -> None:
        name, *stmts = node.children
        scope = CScope(name.value, self.loc(node))
        for stmt in stmts:
            if stmt.data == "c_scope_local":
                scope.local = True
                scope.trailing_comma = stmt.children[0] is not None
                continue
            file, qemu_file = (self.string(t) for t in stmt.children)
            placement = CPlacement(file, qemu_file, self.loc(stmt))
            if stmt.data == "c_scope_tables":
                scope.tables = placement
            else:
                scope.declarations = placement
        self._declare(self.corpus.c_scopes, scope.scope, scope, f"c-scope {scope.scope}")

    def build_c_file(self, node: Tree) -> None:
        name, *stmts = node.children
        cfile = CFile(self.string(name), self.loc(node))
        for stmt in stmts:
            kind = stmt.data
            if kind == "c_file_replaces":
                cfile.replaces = self.string(stmt.children[0])
            elif kind == "c_file_families":
                cfile.families.extend((t.value, self.loc(t)) for t in stmt.children)
            elif kind == "c_file_include":
                for token in stmt.children:
                    if token.type == "MACRO":
                        cfile.includes.append((token.value, True))
                    else:
                        cfile.includes.append((self.string(token), False))
            elif kind == "c_file_split":
                family, version, file = stmt.children
                if cfile.split is not None:
                    self._duplicate(self.loc(stmt), "a split", cfile.split.location)
                cfile.split = CSplit(
                    family.value, self.version(version), self.string(file), self.loc(stmt)
                )
        self._declare(self.corpus.c_files, cfile.name, cfile, f'c-file "{cfile.name}"')

    def build_c_family(self, node: Tree) -> None:
        name, *stmts = node.children
        cfamily = CFamily(name.value, self.loc(node))
        for stmt in stmts:
            kind = stmt.data
            if kind in ("c_function", "c_instance_function"):
                template, param = (self.string(t) for t in stmt.children)
                function = CFunction(template, param, self.loc(stmt))
                if kind == "c_function":
                    cfamily.function = function
                else:
                    cfamily.instance_function = function
            elif kind == "c_define":
                define_kind, template, *facts = stmt.children
                cfamily.defines.append(
                    CDefine(
                        define_kind.value if define_kind is not None else "",
                        self.string(template),
                        tuple(f.children[0].value for f in facts if f is not None),
                        self.loc(stmt),
                    )
                )
            elif kind.startswith("c_base_"):
                if cfamily.base_location is not None:
                    self._duplicate(self.loc(stmt), "a base", cfamily.base_location)
                cfamily.base = kind.removeprefix("c_base_")
                cfamily.base_location = self.loc(stmt)
                if kind == "c_base_call":
                    cfamily.base_function = stmt.children[0].value
                elif kind == "c_base_elsewhere":
                    cfamily.base_why = self.string(stmt.children[0])
            elif kind == "c_local":
                root, decl = stmt.children
                cfamily.locals.append((root.value, self.string(decl), self.loc(stmt)))
            elif kind == "c_symbol":
                version, symbol = stmt.children
                cfamily.symbols[self.version(version)] = (symbol.value, self.loc(stmt))
            elif kind == "c_machine_comment":
                cfamily.machine_comment = True
        self._declare(self.corpus.c_families, cfamily.family, cfamily, f"c-family {cfamily.family}")

    def expand_defines(self) -> None:
        """Write each compat entry's ${MACRO} of a 'define' as its expansion,
        keeping the spelling for C; target macros stay for resolve.py."""
        defines = self.corpus.defines
        for target in self.corpus.targets.values():
            for name in target.defines:
                if name in defines:
                    self._duplicate(target.location, f"macro {name}", defines[name].location)

        def expand(text: str) -> str:
            return MACRO_RE.sub(
                lambda m: defines[m.group(1)].value if m.group(1) in defines else m.group(0), text
            )

        for compat in self.corpus.compat_sets.values():
            for entry in compat.entries:
                driver, prop = expand(entry.driver), expand(entry.property)
                if driver != entry.driver:
                    entry.c_driver, entry.driver = entry.driver, driver
                if prop != entry.property:
                    entry.c_property, entry.property = entry.property, prop

    def _declare(self, table: dict, key, item, what: str) -> bool:
        """Record `item` under `key` unless something is declared there already."""
        first = table.get(key)
        if first is not None:
            self._duplicate(item.location, what, first.location)
            return False
        table[key] = item
        return True

    def _duplicate(self, location: Location, what: str, first: Location) -> None:
        self.diags.error(location, f"{what} is declared twice")
        self.diags.note(first, f"{what} was first declared here")


def build(files: list[ParsedFile], diags: Diagnostics) -> Corpus:
    builder = Builder(diags)
    for parsed in files:
        builder.add_file(parsed)
    builder.expand_defines()
    return builder.corpus
