"""Reading C tables: the static arrays of a file, their elements with the
#if condition and comments each sits under, entries written with a macro
(CPUDEF_INIT(...), FEAT_GROUP_INIT(...)) expanded with pcpp from the file's
own definitions, and designated initializers as fields.

The file is parsed with its conditional directives blanked out
(csource.parse_flat): tree-sitter cannot parse a table with an #if inside,
and the table's entries keep their conditions from the lines they are on."""

from __future__ import annotations


from ..records import field, record
from ..diagnostics import Location
from .csource import CFile, Cond, Macros, parse_flat, parse_text
from .cvalues import Evaluator
from .program import comment_text


@record
class Element:
    node: object  # tree_sitter.Node
    cond: Cond | None
    location: Location
    comment: str | None = None  # the comment lines just above it


@record
class TableFile:
    """One C file of tables: its arrays, functions and macros."""

    cfile: CFile  # parsed flat
    macros: Macros
    evaluator: Evaluator
    arrays: dict[str, object] = field(default_factory=dict)  # name -> initializer node
    array_locations: dict[str, Location] = field(default_factory=dict)
    functions: dict[str, object] = field(default_factory=dict)  # name -> definition node

    @classmethod
    def read(cls, cfile: CFile) -> "TableFile":
        macros = Macros()
        macros.add_file(cfile)
        flat = parse_flat(cfile)
        table = cls(flat, macros, Evaluator(macros))
        for node in flat.root.children:
            if node.type == "declaration":
                for name, value in array_declarations(node):
                    table.arrays[name] = value
                    table.array_locations[name] = flat.location(node)
            elif node.type == "function_definition":
                declarator = node.child_by_field_name("declarator")
                while declarator is not None and declarator.type != "function_declarator":
                    declarator = declarator.child_by_field_name("declarator")
                if declarator is not None:
                    name = flat.text(declarator.child_by_field_name("declarator"))
                    table.functions[name] = node
        return table

    def location(self, node) -> Location:
        return self.cfile.location(node)

    def text(self, node) -> str:
        return self.cfile.text(node)

    def elements(self, initializer) -> list[Element]:
        """The entries of an initializer list, with their conditions and
        the comments above them."""
        out: list[Element] = []
        pending: list[str] = []
        for child in initializer.named_children:
            if child.type == "comment":
                pending.append(comment_text(self.text(child)))
                continue
            comment = " ".join(pending) if pending else None
            pending = []
            cond = self.cfile.condition_at(child)
            out.append(Element(child, cond, self.location(child), comment))
        return out

    def expand(self, elements: list[Element], macros: Macros | None = None) -> list[object]:
        """Each element written with a macro, expanded from this file's
        definitions (or those given) and parsed as an initializer entry
        (None where that fails)."""
        texts = [self.text(e.node) for e in elements]
        out = []
        for expanded in (macros or self.macros).expand_each(texts):
            root = parse_text(f"static int __mtc_entry[] = {{ {expanded} }};")
            declaration = root.named_children[0] if root.named_children else None
            values = array_declarations(declaration) if declaration is not None else []
            items = values[0][1].named_children if values else []
            out.append(items[0] if len(items) == 1 else None)
        return out


def array_declarations(node) -> list[tuple[str, object]]:
    """(name, initializer) of each array a declaration defines."""
    out = []
    for init in node.children_by_field_name("declarator"):
        if init.type != "init_declarator":
            continue
        declarator = init.child_by_field_name("declarator")
        value = init.child_by_field_name("value")
        if declarator.type == "array_declarator" and value is not None:
            if value.type == "initializer_list":
                name = declarator.child_by_field_name("declarator")
                out.append((name.text.decode(), value))
    return out


def designated(node) -> dict[str, object]:
    """The fields of a designated initializer; those of a nested one as
    'outer.inner' ({ .bits = { .data = x } } gives 'bits.data')."""
    fields: dict[str, object] = {}
    if node is None or node.type != "initializer_list":
        return fields
    for pair in node.named_children:
        if pair.type != "initializer_pair":
            continue
        key = ".".join(
            d.text.decode().lstrip(".") for d in pair.children_by_field_name("designator")
        )
        value = pair.child_by_field_name("value")
        nested = value is not None and value.type == "initializer_list"
        if nested and any(c.type == "initializer_pair" for c in value.named_children):
            for inner, inner_value in designated(value).items():
                fields[f"{key}.{inner}"] = inner_value
        else:
            fields[key] = value
    return fields


def local_arrays(function) -> dict[str, object]:
    """(name -> initializer) of the arrays and structures a function declares
    with an initializer list (static const S390FeatInit x = { ... })."""
    out = {}

    def visit(node):
        for child in node.named_children:
            if child.type == "declaration":
                for init in child.children_by_field_name("declarator"):
                    value = init.child_by_field_name("value")
                    if init.type != "init_declarator" or value is None:
                        continue
                    if value.type != "initializer_list":
                        continue
                    declarator = init.child_by_field_name("declarator")
                    while declarator.child_by_field_name("declarator") is not None:
                        declarator = declarator.child_by_field_name("declarator")
                    out[declarator.text.decode()] = value
            elif child.type == "compound_statement":
                visit(child)

    body = function.child_by_field_name("body")
    if body is not None:
        visit(body)
    return out


def calls(node, name: str) -> list[object]:
    """Every call of `name` under a node, in source order."""
    found = []

    def visit(n):
        if n.type == "call_expression":
            function = n.child_by_field_name("function")
            if function is not None and function.text.decode() == name:
                found.append(n)
        for child in n.named_children:
            visit(child)

    visit(node)
    return found


def arguments(call) -> list[object]:
    return list(call.child_by_field_name("arguments").named_children)
