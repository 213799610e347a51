"""Reading QEMU's C: tree-sitter syntax trees, preprocessor conditions,
macro definitions and the expansion of the DEFINE_*_MACHINE lines.

tree-sitter-c parses C as written, macros and #ifdef blocks included (each
block is a node), and recovers from what it cannot parse; the importer walks
those trees and never matches text with regular expressions.  The
DEFINE_*_MACHINE lines are expanded with pcpp, a C99 preprocessor, from the
macro definitions of the file and its headers, so QEMU 7.x's token-pasting
macros and 9.1+'s MACHINE_VER_* macros come out as the C a compiler sees.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..records import field, record
from ..diagnostics import Location
from . import ImportFailure, load_parser

# A preprocessor condition: ("defined", NAME), ("not", c), ("and", a, b),
# ("or", a, b), ("int", N) or ("ident", NAME) for a bare macro in #if.
Cond = tuple


@record
class MacroDef:
    name: str
    params: list[str] | None  # None for an object-like macro
    body: str
    location: Location
    condition: Cond | None  # the #if nesting it is defined under


@record
class CFile:
    path: Path
    shown: str  # project-relative path for diagnostics
    source: bytes
    root: object  # tree_sitter.Node
    # parse_flat(): the #if condition of each line (its directives blanked).
    line_conditions: list | None = None

    def condition_at(self, node) -> Cond | None:
        if self.line_conditions is None:
            return None
        return self.line_conditions[node.start_point.row]

    def location(self, node) -> Location:
        return Location(self.shown, node.start_point.row + 1, node.start_point.column + 1)

    def text(self, node) -> str:
        return node.text.decode("utf-8", "replace")


def parse_file(path: Path, shown: str) -> CFile:
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(f"{shown}: cannot read: {exc.strerror}") from None
    tree = load_parser().parse(source)
    return CFile(path, shown, source, tree.root_node)


def node_text(node) -> str:
    return node.text.decode("utf-8", "replace")


def parse_text(text: str):
    """The syntax tree of a piece of C (a macro body, an expansion)."""
    return load_parser().parse(text.encode()).root_node


# ---- preprocessor conditions ---------------------------------------------------


def condition_of(node) -> Cond:
    """The condition of an #if/#elif node's 'condition' field."""
    kind = node.type
    if kind == "preproc_defined":
        name = [c for c in node.named_children if c.type == "identifier"]
        return ("defined", node_text(name[0]) if name else "")
    if kind == "identifier":
        return ("ident", node_text(node))
    if kind == "number_literal":
        try:
            return ("int", int(node_text(node).rstrip("uUlL"), 0))
        except ValueError:
            return ("int", 1)
    if kind == "parenthesized_expression":
        return condition_of(node.named_children[0])
    if kind == "unary_expression" and node_text(node.child_by_field_name("operator")) == "!":
        return ("not", condition_of(node.child_by_field_name("argument")))
    if kind == "binary_expression":
        op = node_text(node.child_by_field_name("operator"))
        if op in ("&&", "||"):
            return (
                "and" if op == "&&" else "or",
                condition_of(node.child_by_field_name("left")),
                condition_of(node.child_by_field_name("right")),
            )
    return ("unknown", node_text(node))


def negate(cond: Cond) -> Cond:
    return cond[1] if cond[0] == "not" else ("not", cond)


def conjoin(a: Cond | None, b: Cond | None) -> Cond | None:
    if a is None:
        return b
    if b is None:
        return a
    return ("and", a, b)


def branches(cfile: CFile, node, outer: Cond | None):
    """(condition, children) of each branch of an #if/#ifdef node."""
    if node.type == "preproc_ifdef":
        name = cfile.text(node.child_by_field_name("name"))
        cond: Cond = ("defined", name)
        if cfile.text(node.children[0]).strip() == "#ifndef":
            cond = ("not", cond)
    else:
        cond = condition_of(node.child_by_field_name("condition"))
    body = []
    alternative = node.child_by_field_name("alternative")
    for child in node.named_children:
        if child == alternative or child.type in ("identifier",):
            continue
        if node.child_by_field_name("condition") is not None and child == node.child_by_field_name(
            "condition"
        ):
            continue
        if node.type == "preproc_ifdef" and child == node.child_by_field_name("name"):
            continue
        body.append(child)
    yield conjoin(outer, cond), body
    taken = cond
    while alternative is not None:
        if alternative.type == "preproc_elif":
            alt_cond = condition_of(alternative.child_by_field_name("condition"))
            kids = [
                c
                for c in alternative.named_children
                if c != alternative.child_by_field_name("condition")
                and c != alternative.child_by_field_name("alternative")
            ]
            yield conjoin(outer, conjoin(negate(taken), alt_cond)), kids
            taken = ("or", taken, alt_cond)
            alternative = alternative.child_by_field_name("alternative")
        else:  # preproc_else
            yield conjoin(outer, negate(taken)), list(alternative.named_children)
            alternative = None


PREPROC_IFS = ("preproc_if", "preproc_ifdef")


def walk_conditional(cfile: CFile, nodes, outer: Cond | None = None):
    """Every node of `nodes` with the condition it sits under, #if blocks
    flattened (their branches' nodes come with the branch's condition)."""
    for node in nodes:
        if node.type in PREPROC_IFS:
            for cond, body in branches(cfile, node, outer):
                yield from walk_conditional(cfile, body, cond)
        else:
            yield node, outer


def evaluate_condition(cond: Cond | None, defined: set[str]) -> bool | None:
    """The condition's value when exactly `defined` are defined (None:
    it depends on something else)."""
    if cond is None:
        return True
    kind = cond[0]
    if kind == "defined" or kind == "ident":
        return cond[1] in defined
    if kind == "int":
        return bool(cond[1])
    if kind == "not":
        inner = evaluate_condition(cond[1], defined)
        return None if inner is None else not inner
    if kind in ("and", "or"):
        a = evaluate_condition(cond[1], defined)
        b = evaluate_condition(cond[2], defined)
        if kind == "and":
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    return None


def symbols_of(cond: Cond | None) -> set[str]:
    if cond is None:
        return set()
    if cond[0] in ("defined", "ident"):
        return {cond[1]}
    if cond[0] in ("not", "and", "or"):
        out: set[str] = set()
        for part in cond[1:]:
            out |= symbols_of(part)
        return out
    return set()


def apply_directive(text: str, stack: list) -> bool:
    """Track one #ifdef/#ifndef/#if/#elif/#else/#endif on a stack of
    (taken so far, current) conditions, innermost last; False for a
    directive it cannot read."""
    body = text.lstrip("#").strip()
    word = body[: len(body) - len(body.lstrip("abcdefghijklmnopqrstuvwxyz"))]
    rest = body[len(word) :].strip()
    if word in ("ifdef", "ifndef"):
        cond: Cond = ("defined", rest.split()[0] if rest else "")
        cond = cond if word == "ifdef" else ("not", cond)
        stack.append((cond, cond))
    elif word in ("if", "elif"):
        parsed = parse_text(f"#if {rest}\n#endif\n").named_children
        condition = parsed[0].child_by_field_name("condition") if parsed else None
        cond = condition_of(condition) if condition is not None else ("unknown", rest)
        if word == "if":
            stack.append((cond, cond))
        elif stack:
            taken, _ = stack.pop()
            stack.append((("or", taken, cond), conjoin(negate(taken), cond)))
    elif word == "else" and stack:
        taken, _ = stack.pop()
        stack.append((taken, negate(taken)))
    elif word == "endif" and stack:
        stack.pop()
    else:
        return False
    return True


CONDITIONALS = ("if", "ifdef", "ifndef", "elif", "else", "endif")


def parse_flat(cfile: CFile) -> CFile:
    """The file parsed again with its #if/#ifdef/.../#endif lines blanked
    out, so that a table with #if lines inside (s390_cpu_defs[]) parses as
    the C it is; each line's condition is kept (CFile.condition_at).  The
    directive lines are found among the lines tree-sitter did not take for
    comments; bytes and lines keep their places, and so do locations."""
    comments: list[tuple[int, int]] = []

    def visit(node):
        for child in node.children:
            if child.type == "comment":
                comments.append((child.start_byte, child.end_byte))
            elif child.child_count:
                visit(child)

    visit(cfile.root)
    source = bytearray(cfile.source)
    lines = cfile.source.split(b"\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    conditions: list[Cond | None] = []
    stack: list = []
    row = 0
    while row < len(lines):
        indent = len(lines[row]) - len(lines[row].lstrip(b" \t"))
        first = starts[row] + indent
        if not is_conditional(lines[row]) or any(a <= first < b for a, b in comments):
            conditions.append(current_condition(stack))
            row += 1
            continue
        # A directive continued with backslashes spans several lines.
        last = row
        while lines[last].rstrip().endswith(b"\\") and last + 1 < len(lines):
            last += 1
        text = b" ".join(line.rstrip().rstrip(b"\\") for line in lines[row : last + 1])
        conditions += [current_condition(stack)] * (last + 1 - row)
        apply_directive(text.decode("utf-8", "replace").strip(), stack)
        for blank in range(row, last + 1):
            source[starts[blank] : starts[blank] + len(lines[blank])] = b" " * len(lines[blank])
        row = last + 1
    root = load_parser().parse(bytes(source)).root_node
    return CFile(cfile.path, cfile.shown, bytes(source), root, conditions)


def is_conditional(line: bytes) -> bool:
    """Whether a line is an #if, #ifdef, #ifndef, #elif, #else or #endif."""
    stripped = line.lstrip(b" \t")
    if not stripped.startswith(b"#"):
        return False
    word = stripped[1:].lstrip(b" \t").split(b"(")[0].split()
    return bool(word) and word[0].decode("ascii", "replace") in CONDITIONALS


def current_condition(stack: list) -> Cond | None:
    cond = None
    for _, inner in stack:
        cond = conjoin(cond, inner)
    return cond


# ---- macros --------------------------------------------------------------------


class Macros:
    """The #define's of a set of files (a machine file and its headers)."""

    def __init__(self):
        self.defs: dict[str, list[MacroDef]] = {}
        self.order: list[MacroDef] = []
        self._preprocessors: dict[frozenset, object] = {}

    def add_file(self, cfile: CFile) -> None:
        # Every #define, wherever it sits: inside #if blocks (with their
        # condition) and inside what tree-sitter could not parse (ERROR nodes).
        def visit(nodes, cond):
            for node, node_cond in walk_conditional(cfile, nodes, cond):
                if node.type in ("preproc_def", "preproc_function_def"):
                    self.add(cfile, node, node_cond)
                elif node.type not in ("function_definition", "comment") and node.child_count:
                    visit(node.children, node_cond)

        visit(cfile.root.children, None)

    def add(self, cfile: CFile, node, cond) -> None:
        name = cfile.text(node.child_by_field_name("name"))
        value = node.child_by_field_name("value")
        body = cfile.text(value).strip() if value is not None else ""
        params = None
        if node.type == "preproc_function_def":
            plist = node.child_by_field_name("parameters")
            params = [
                cfile.text(p) if p.type == "identifier" else "..." for p in plist.named_children
            ]
            if "..." in cfile.text(plist) and "..." not in params:
                params.append("...")
        macro = MacroDef(name, params, body, cfile.location(node), cond)
        self._preprocessors.clear()  # they have not read this one
        self.defs.setdefault(name, []).append(macro)
        self.order.append(macro)

    def get(self, name: str) -> list[MacroDef]:
        return self.defs.get(name, [])

    def is_target_dependent(self, name: str) -> bool:
        """Defined differently per target (under #if TARGET_...)."""
        return any(
            any(sym.startswith("TARGET_") for sym in symbols_of(m.condition))
            for m in self.get(name)
        )

    def for_target(self, name: str, defined: set[str]) -> MacroDef | None:
        for macro in self.get(name):
            if evaluate_condition(macro.condition, defined) is True:
                return macro
        return None

    def expand_each(self, texts: list[str]) -> list[str]:
        """Each piece of C expanded, from one run of pcpp (a marker line
        before each tells their expansions apart)."""
        lines = []
        for index, text in enumerate(texts):
            lines.append(f"int __mtc_piece_{index};")
            lines.append(text.replace("\\\n", " ").replace("\n", " "))
        rest = self.expand_lines(lines, set())
        out = []
        for index in reversed(range(len(texts))):
            rest, _, piece = rest.rpartition(f"int __mtc_piece_{index};")
            out.append(piece.strip())
        return out[::-1]

    def expand_lines(self, lines: list[str], skip: set[str]) -> str:
        """Run lines of C through pcpp with every definition but `skip`."""
        pp = self.preprocessor(frozenset(skip))
        pp.parse("\n".join(lines) + "\n")
        out = io.StringIO()
        pp.write(out)
        return out.getvalue()

    def preprocessor(self, skip: frozenset):
        """A pcpp preprocessor that has read every definition but `skip`,
        kept for the next expansion (reading the thousands of #defines of a
        machine file's headers is most of what an expansion costs)."""
        cached = self._preprocessors.get(skip)
        if cached is not None:
            return cached
        from pcpp import Preprocessor

        defs = []
        seen = set()
        for macro in self.order:
            if macro.name in skip or macro.name in seen:
                continue
            seen.add(macro.name)
            head = (
                macro.name if macro.params is None else f"{macro.name}({', '.join(macro.params)})"
            )
            body = macro.body.replace("\\\n", " ").replace("\n", " ")
            defs.append(f"#define {head} {body}")
        pp = Preprocessor()
        pp.line_directive = None
        pp.on_error = lambda *args: None  # unknown includes and the like: not ours
        pp.parse("\n".join(defs) + "\n")
        pp.write(io.StringIO())
        self._preprocessors[skip] = pp
        return pp


# ---- includes --------------------------------------------------------------------


def includes(cfile: CFile) -> list[str]:
    """The quoted #include's of a file, wherever they sit."""
    found = []

    def visit(node):
        for child in node.children:
            if child.type == "preproc_include":
                path = child.child_by_field_name("path")
                if path is not None and path.type == "string_literal":
                    found.append(cfile.text(path).strip('"'))
            elif child.type in PREPROC_IFS or child.type in ("preproc_else", "preproc_elif"):
                visit(child)

    visit(cfile.root)
    return found


@record
class SourceTree:
    """A QEMU source tree: parsed files, cached, and their headers."""

    root: Path
    shown_root: str
    files: dict[Path, CFile] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        return str(Path(self.shown_root) / path.relative_to(self.root))

    def parse(self, relative: str) -> CFile:
        path = self.root / relative
        cached = self.files.get(path)
        if cached is None:
            cached = self.files[path] = parse_file(path, self.shown(path))
        return cached

    def exists(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def macros_for(self, relatives: list[str], include_dirs: list[str]) -> Macros:
        """The definitions of these files and every header they include,
        transitively, found along include_dirs (project-relative)."""
        macros = Macros()
        done: set[Path] = set()
        queue = [Path(os.path.normpath(self.root / r)) for r in relatives]
        while queue:
            path = queue.pop(0)
            if path in done or not path.is_file():
                continue
            done.add(path)
            cfile = self.files.get(path) or parse_file(path, self.shown(path))
            self.files[path] = cfile
            macros.add_file(cfile)
            for name in includes(cfile):
                for base in [path.parent] + [self.root / d for d in include_dirs]:
                    candidate = Path(os.path.normpath(base / name))
                    if candidate.is_file():
                        queue.append(candidate)
                        break
        return macros
