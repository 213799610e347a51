"""What the machine files do, as statements: each function's calls,
assignments, compat_props_add()s and local GlobalProperty arrays, with the
#if condition and the comment each sits under; the QOM types (TypeInfo) the
files and their DEFINE_*_MACHINE expansions register."""

from __future__ import annotations


from ..records import field, record
from ..diagnostics import Location
from .csource import CFile, Cond, Macros, apply_directive, conjoin, parse_text, walk_conditional
from .cvalues import CBool, CInt, CStr, Evaluator


@record
class Entry:
    """One GlobalProperty: {driver, property, value[, .optional = true]}."""

    driver: object  # evaluated: CStr or Unknown
    property: object
    value: object
    optional: bool
    location: Location
    cond: Cond | None
    comment: str | None = None
    comment_above: bool = False


@record
class Stmt:
    kind: str  # call, assign, compat, if-deprecated, unknown
    location: Location
    cond: Cond | None
    text: str
    callee: str = ""  # call: the function; compat: the array
    args: list = field(default_factory=list)  # call: argument nodes
    lvalue: str = ""  # assign: canonical, m->max_cpus
    value: object = None  # assign: the evaluated right-hand side
    comment: str | None = None
    comment_above: bool = False


@record
class Function:
    name: str
    file: CFile
    location: Location
    cond: Cond | None
    stmts: list[Stmt] = field(default_factory=list)
    arrays: dict[str, list[Entry]] = field(default_factory=dict)  # local GlobalProperty[]
    locals: dict[str, object] = field(default_factory=dict)  # other static locals, evaluated


@record
class TypeInfo:
    name: str  # the evaluated .name
    parent: str | None
    class_init: str | None
    abstract: bool
    location: Location
    cond: Cond | None
    expanded: bool  # from a DEFINE_*_MACHINE line
    instance_init: str | None = None


@record
class Program:
    # By "file:name": static functions of two files may share a name (the
    # DEFINE_PC_MACHINE expansions of pc_piix.c and pc_q35.c do).
    functions: dict[str, Function] = field(default_factory=dict)
    types: list[TypeInfo] = field(default_factory=list)
    arrays: dict[str, tuple[list[Entry], Location, CFile]] = field(default_factory=dict)

    def resolve_names(self) -> None:
        """Point every call and class_init at its function's key: the one of
        the same file, else the only one of that name."""
        by_name: dict[str, list[str]] = {}
        for key, function in self.functions.items():
            by_name.setdefault(function.name, []).append(key)

        def key_for(name: str, file: str) -> str:
            local = f"{file}:{name}"
            if local in self.functions:
                return local
            keys = by_name.get(name, [])
            return keys[0] if len(keys) == 1 else name

        for function in self.functions.values():
            for stmt in function.stmts:
                if stmt.kind == "call":
                    stmt.callee = key_for(stmt.callee, function.file.shown)
        for info in self.types:
            if info.class_init:
                info.class_init = key_for(info.class_init, info.location.file)
            if info.instance_init:
                info.instance_init = key_for(info.instance_init, info.location.file)


def comment_text(raw: str) -> str:
    if raw.startswith("//"):
        return raw[2:].strip()
    body = raw[2:-2] if raw.endswith("*/") else raw[2:]
    lines = [line.strip().lstrip("*").strip() for line in body.split("\n")]
    return " ".join(line for line in lines if line)


class Reader:
    """Turns the functions and arrays of a file into statements."""

    def __init__(self, cfile: CFile, macros: Macros, evaluator: Evaluator, struct_vars: dict):
        self.problems: list[tuple[Location, str]] = []  # reported by the importer
        self.cfile = cfile
        self.macros = macros
        self.evaluator = evaluator
        self.struct_vars = struct_vars

    def text(self, node) -> str:
        return node.text.decode("utf-8", "replace")

    # -- top level -------------------------------------------------------------

    def read(self, program: Program, nodes, location: Location | None = None, cond=None):
        """Functions, global arrays and TypeInfos of these top-level nodes;
        `location` replaces theirs (the DEFINE line of an expansion)."""
        for node, node_cond in walk_conditional(self.cfile, nodes, cond):
            where = location or self.cfile.location(node)
            if node.type == "function_definition":
                function = self.function(node, where, node_cond, location is not None)
                if function is not None:
                    program.functions[f"{self.cfile.shown}:{function.name}"] = function
            elif node.type == "declaration":
                self.global_declaration(program, node, where, node_cond, location is not None)

    def global_declaration(self, program, node, where, cond, expanded):
        type_name = self.text(node.child_by_field_name("type"))
        for init in node.children_by_field_name("declarator"):
            if init.type != "init_declarator":
                continue
            declarator = init.child_by_field_name("declarator")
            value = init.child_by_field_name("value")
            if type_name == "GlobalProperty" and declarator.type == "array_declarator":
                name = self.text(declarator.child_by_field_name("declarator"))
                program.arrays[name] = (self.entries(value, cond), where, self.cfile)
            elif type_name == "TypeInfo" and value is not None:
                lists = [value]
                if declarator.type == "array_declarator":
                    lists = [c for c in value.named_children if c.type == "initializer_list"]
                for item in lists:
                    info = self.type_info(item, where, cond, expanded)
                    if info is not None:
                        program.types.append(info)

    def type_info(self, node, where, cond, expanded) -> TypeInfo | None:
        fields = {}
        for pair in node.named_children:
            if pair.type != "initializer_pair":
                continue
            designator = pair.child_by_field_name("designator")
            fields[self.text(designator).lstrip(".")] = pair.child_by_field_name("value")
        if "name" not in fields:
            return None
        name = self.evaluator.evaluate(fields["name"])
        parent = self.evaluator.evaluate(fields["parent"]) if "parent" in fields else None
        if not isinstance(name, CStr) or not name.is_plain:
            return None
        init = fields.get("class_init")
        instance_init = fields.get("instance_init")
        abstract = fields.get("abstract")
        return TypeInfo(
            name=name.text,
            parent=parent.text if isinstance(parent, CStr) else None,
            class_init=self.text(init) if init is not None else None,
            abstract=abstract is not None and self.text(abstract) == "true",
            location=where,
            cond=cond,
            expanded=expanded,
            instance_init=self.text(instance_init) if instance_init is not None else None,
        )

    # -- GlobalProperty arrays -----------------------------------------------------

    def entries(self, node, outer) -> list[Entry]:
        entries: list[Entry] = []
        pending: list[str] = []
        last_line = -1
        # tree-sitter-c leaves #if lines inside an initializer as ERROR nodes:
        # the stack of those conditions, innermost last: (taken so far, current).
        stack: list[tuple[Cond, Cond]] = []
        for child, cond in walk_conditional(self.cfile, node.named_children, outer):
            if child.type == "ERROR" and self.text(child).lstrip().startswith("#"):
                self.directive(self.text(child).strip(), stack, child)
                continue
            for _, inner in stack:
                cond = conjoin(cond, inner)
            if child.type == "comment":
                line = child.start_point.row
                if entries and line == last_line and entries[-1].comment is None:
                    entries[-1].comment = comment_text(self.text(child))
                else:
                    pending.append(comment_text(self.text(child)))
                continue
            if child.type in ("ERROR", "call_expression"):
                # An entry-making macro (PC_CPU_MODEL_IDS("2.4.0")): expand it.
                entries.extend(self.macro_entries(child, cond))
                last_line = child.end_point.row
                continue
            if child.type != "initializer_list":
                continue
            items = child.named_children
            positional = [c for c in items if c.type not in ("initializer_pair", "comment")]
            optional = False
            for pair in items:
                if pair.type == "initializer_pair":
                    field_name = self.text(pair.child_by_field_name("designator")).lstrip(".")
                    value = self.evaluator.evaluate(pair.child_by_field_name("value"))
                    if field_name == "optional":
                        optional = isinstance(value, (CBool, CInt)) and bool(value.value)
            evaluated = [self.evaluator.evaluate(c) for c in positional[:3]]
            while len(evaluated) < 3:
                evaluated.append(None)
            entry = Entry(
                *evaluated,
                optional=optional,
                location=self.cfile.location(child),
                cond=cond,
            )
            if pending:
                entry.comment = " ".join(pending)
                entry.comment_above = True
                pending = []
            entries.append(entry)
            last_line = child.end_point.row
        return entries

    def directive(self, text: str, stack: list, node) -> None:
        """Track #ifdef/#ifndef/#if/#elif/#else/#endif met inside an initializer."""
        if not apply_directive(text, stack):
            self.problems.append((self.cfile.location(node), f"cannot read '{text}'"))

    def macro_entries(self, node, cond) -> list[Entry]:
        skip = {name for name in self.macros.defs if self.macros.is_target_dependent(name)}
        expanded = self.macros.expand_lines([self.text(node)], skip)
        root = parse_text(f"GlobalProperty __mtc[] = {{ {expanded} }};")
        declaration = root.named_children[0] if root.named_children else None
        init = declaration.child_by_field_name("declarator") if declaration is not None else None
        value = init.child_by_field_name("value") if init is not None else None
        if value is None:
            return []
        saved = self.cfile
        where = self.cfile.location(node)
        entries = self.entries(value, cond)
        for entry in entries:
            entry.location = where
        self.cfile = saved
        return entries

    # -- functions -------------------------------------------------------------------

    def function(self, node, where, cond, expanded) -> Function | None:
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        if declarator is None:
            return None
        name = self.text(declarator.child_by_field_name("declarator"))
        function = Function(name, self.cfile, where, cond)
        self.vars: dict[str, str] = {}
        for param in declarator.child_by_field_name("parameters").named_children:
            self.declare(param)
        self.expanded = expanded
        # Conditions inside are the function's own: the one around the whole
        # function is the function's (Function.cond).
        self.body(function, node.child_by_field_name("body"), None)
        return function

    def declare(self, node) -> None:
        """Remember the struct type of a MachineClass-like variable."""
        type_node = node.child_by_field_name("type")
        declarator = node.child_by_field_name("declarator")
        if type_node is None or declarator is None:
            return
        if declarator.type == "init_declarator":
            declarator = declarator.child_by_field_name("declarator")
        if declarator.type == "pointer_declarator":
            var = self.text(declarator.child_by_field_name("declarator"))
            canonical = self.struct_vars.get(self.text(type_node))
            if canonical is not None:
                self.vars[var] = canonical

    def body(self, function: Function, node, outer) -> None:
        pending: list[str] = []
        last: Stmt | None = None  # the last statement, ending on last_row
        last_row = -1
        for child, cond in walk_conditional(self.cfile, node.named_children, outer):
            if child.type == "comment":
                text = comment_text(self.text(child))
                if last is not None and child.start_point.row == last_row and last.comment is None:
                    last.comment = text
                else:
                    pending.append(text)
                continue
            before = len(function.stmts)
            self.statement(function, child, cond)
            new = function.stmts[before:]
            if new:
                if pending:
                    new[0].comment = " ".join(pending)
                    new[0].comment_above = True
                last, last_row = new[-1], child.end_point.row
            pending = []

    def location(self, node) -> Location:
        if self.expanded:
            return None  # replaced by the DEFINE line's
        return self.cfile.location(node)

    def statement(self, function: Function, node, cond) -> None:
        where = self.cfile.location(node) if not self.expanded else function.location
        kind = node.type
        if kind == "declaration":
            self.local_declaration(function, node, where, cond)
            return
        if kind == "compound_statement":
            self.body(function, node, cond)
            return
        if kind == "do_statement":
            condition = self.evaluator.evaluate(node.child_by_field_name("condition"))
            if isinstance(condition, CInt) and condition.value == 0:
                self.body(function, node.child_by_field_name("body"), cond)
                return
        if kind == "if_statement":
            self.if_statement(function, node, where, cond)
            return
        if kind == "expression_statement" and node.named_children:
            expr = node.named_children[0]
            if expr.type == "call_expression":
                self.call(function, expr, where, cond)
                return
            if expr.type == "assignment_expression" and self.text(
                expr.child_by_field_name("operator")
            ) in ("=",):
                lvalue = self.lvalue(expr.child_by_field_name("left"))
                if lvalue is not None:
                    value = self.evaluator.evaluate(expr.child_by_field_name("right"))
                    function.stmts.append(
                        Stmt("assign", where, cond, self.text(node), lvalue=lvalue, value=value)
                    )
                    return
        function.stmts.append(Stmt("unknown", where, cond, self.text(node)))

    def if_statement(self, function, node, where, cond) -> None:
        condition_node = node.child_by_field_name("condition")
        text = self.text(condition_node)
        if "QEMU_VERSION_MAJOR" in text:
            # MACHINE_VER_DEPRECATION: deprecated by age, computed by QEMU itself.
            function.stmts.append(Stmt("if-deprecated", where, cond, self.text(node)))
            return
        value = self.evaluator.evaluate(condition_node)
        if isinstance(value, (CBool, CInt)):
            branch = node.child_by_field_name("consequence")
            if not value.value:
                alternative = node.child_by_field_name("alternative")
                branch = alternative.named_children[-1] if alternative is not None else None
            if branch is not None:
                if branch.type == "compound_statement":
                    self.body(function, branch, cond)
                else:
                    self.statement(function, branch, cond)
            return
        function.stmts.append(Stmt("unknown", where, cond, self.text(node)))

    def local_declaration(self, function, node, where, cond) -> None:
        type_name = self.text(node.child_by_field_name("type"))
        for init in node.children_by_field_name("declarator"):
            if init.type != "init_declarator":
                continue
            declarator = init.child_by_field_name("declarator")
            value = init.child_by_field_name("value")
            if declarator.type == "pointer_declarator":
                self.declare(node)
            elif type_name == "GlobalProperty" and declarator.type == "array_declarator":
                name = self.text(declarator.child_by_field_name("declarator"))
                function.arrays[name] = self.entries(value, cond)
            elif value is not None:
                while declarator.type != "identifier" and declarator.child_by_field_name(
                    "declarator"
                ):
                    declarator = declarator.child_by_field_name("declarator")
                    if declarator.type == "parenthesized_declarator":
                        declarator = declarator.named_children[0]
                name = self.text(declarator)
                if value.type == "initializer_list":
                    function.locals[name] = [
                        self.evaluator.evaluate(c) for c in value.named_children
                    ]
                else:
                    function.locals[name] = self.evaluator.evaluate(value)

    def call(self, function, node, where, cond) -> None:
        callee = self.text(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments").named_children
        if callee == "compat_props_add" and len(args) >= 2:
            function.stmts.append(
                Stmt("compat", where, cond, self.text(node), callee=self.text(args[1]))
            )
            return
        function.stmts.append(Stmt("call", where, cond, self.text(node), callee=callee, args=args))

    def lvalue(self, node) -> str | None:
        """m->smp_props.prefer_sockets, with the variable named by its struct
        type (mc-> and m-> are both m->); a plain global stays as it is."""
        if node.type == "identifier":
            return self.text(node)
        path = []
        while node.type in ("field_expression", "subscript_expression"):
            if node.type == "subscript_expression":
                path.append(f"[{self.text(node.child_by_field_name('index'))}]")
                node = node.child_by_field_name("argument")
                continue
            operator_node = node.child_by_field_name("operator")
            operator = self.text(operator_node) if operator_node is not None else "->"
            path.append(f"{operator}{self.text(node.child_by_field_name('field'))}")
            node = node.child_by_field_name("argument")
        if node.type != "identifier" or not path:
            return None
        var = self.vars.get(self.text(node), self.text(node))
        return var + "".join(reversed(path))


def expand_defines(cfile: CFile, macros: Macros, program: Program, reader: Reader, skip: set[str]):
    """Expand every top-level DEFINE_* line with pcpp (one run for the whole
    file) and read the C each becomes, located at its DEFINE line."""
    lines, places = [], []
    for node, cond in walk_conditional(cfile, cfile.root.children):
        if node.type != "expression_statement" or not node.named_children:
            continue
        call = node.named_children[0]
        if call.type != "call_expression":
            continue
        name = cfile.text(call.child_by_field_name("function"))
        if not name.startswith("DEFINE_") or not macros.get(name):
            continue
        lines.append(f"int __mtc_define_{len(places)};")
        lines.append(" ".join(cfile.text(node).split()))
        places.append((cfile.location(node), cond))
    if not places:
        return
    root = parse_text(macros.expand_lines(lines, skip))
    chunks: list[list] = []
    for node in root.children:
        if node.type == "declaration" and "__mtc_define_" in node.text.decode():
            chunks.append([])
        elif chunks:
            chunks[-1].append(node)
    for (location, cond), nodes in zip(places, chunks):
        reader.read(program, nodes, location, cond)


def one_line(text: str) -> str:
    """A statement's text on one line, for messages."""
    return " ".join(text.split())
