"""Generate compiler/parse_tables.py from grammar/mtc.lark.

    python3 -m mtc.parsegen            # rewrite the tables
    python3 -m mtc.parsegen --check    # exit 1 if they are out of date

Lark builds the LALR(1) automaton and the contextual lexer from the grammar;
this module writes what they computed as plain Python data, which lalr.py
runs.  A build then never builds tables (a third of a second) and never
imports Lark, and nothing is cached anywhere: the tables are part of mtc's
source, regenerated whenever the grammar changes (tests/test_parse_tables.py
fails until they are).

What is written reproduces Lark's behaviour exactly, as configured in
parser.py (lalr, contextual lexer, propagate_positions, maybe_placeholders):

- per parser state, the terminals its lexer tries, in Lark's order, and the
  keywords a regexp terminal turns into when it matches one exactly;
- per state, the shift, reduce and goto actions;
- per rule, how its tree is shaped: which children are kept, which inlined
  (_rule), where None stands for a missing [optional], whether a ?rule with
  one child is replaced by it, and the tree's name (its alias or origin).
"""

from __future__ import annotations

import pprint
import zlib
import sys
from pathlib import Path

from lark import Lark
from lark.lexer import PatternStr, _create_unless, _regexp_has_newline
from lark.parse_tree_builder import maybe_create_child_filter
from lark.parsers.lalr_analysis import Shift

from .parser import GRAMMAR, LARK_OPTIONS

try:  # the regexp parser Python's re module uses (sre_parse before 3.11)
    from re import _constants as sre_constants, _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse

TABLES = Path(__file__).resolve().parent / "parse_tables.py"
ASCII = [chr(c) for c in range(128)]


def grammar_digest(text: str) -> str:
    """What parser.py compares to tell the tables are the grammar's: a CRC,
    cheap to compute on every build (a stale table is a mistake, not an
    attack; the test of the tables compares them whole)."""
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def first_chars(regexp: str) -> str | None:
    """The ASCII characters a match of `regexp` can start with, or None when
    it can start with anything (or the pattern is beyond this analysis)."""
    try:
        parsed = sre_parse.parse(regexp)
    except Exception:  # pragma: no cover - every terminal compiled in Lark
        return None
    chars, nullable = _first(list(parsed))
    if chars is None or nullable:
        return None
    return "".join(sorted(chars))


def _first(items) -> tuple[set[str] | None, bool]:
    """(first characters, can be empty) of a sequence of sre items."""
    result: set[str] = set()
    for op, arg in items:
        chars, nullable = _first_one(op, arg)
        if chars is None:
            return None, False
        result |= chars
        if not nullable:
            return result, False
    return result, True


def _first_one(op, arg) -> tuple[set[str] | None, bool]:
    c = sre_constants
    if op is c.LITERAL:
        return {chr(arg)}, False
    if op is c.NOT_LITERAL or op is c.ANY:
        return None, False
    if op is c.IN:
        if any(o is c.NEGATE or o is c.CATEGORY for o, _ in arg):
            return None, False
        chars: set[str] = set()
        for o, a in arg:
            if o is c.LITERAL:
                chars.add(chr(a))
            elif o is c.RANGE:
                chars |= {chr(x) for x in range(a[0], a[1] + 1)}
            else:
                return None, False
        return chars, False
    if op is c.SUBPATTERN:
        return _first(list(arg[-1]))
    if op is c.BRANCH:
        chars = set()
        nullable = False
        for branch in arg[1]:
            b_chars, b_nullable = _first(list(branch))
            if b_chars is None:
                return None, False
            chars |= b_chars
            nullable |= b_nullable
        return chars, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, _high, sub = arg
        chars, nullable = _first(list(sub))
        if chars is None:
            return None, False
        return chars, nullable or low == 0
    if op is c.AT:
        return set(), True
    return None, False


def build_tables(grammar_text: str) -> dict:
    lark = Lark(grammar_text, **LARK_OPTIONS)
    frontend = lark.parser
    lexer = frontend.lexer
    table = frontend.parser.parser.parse_table
    lexer_conf = lark.lexer_conf
    terminals = {t.name: t for t in lark.terminals}
    ignore = sorted(lexer_conf.ignore)

    # The terminals: regexp, whether it can span lines, its literal text.
    terminal_rows = {}
    for name, term in sorted(terminals.items()):
        if term.pattern.flags:
            raise SystemExit(f"parsegen: terminal {name} has regexp flags; lalr.py has none")
        regexp = term.pattern.to_regexp()
        literal = term.pattern.value if isinstance(term.pattern, PatternStr) else None
        newline = _regexp_has_newline(regexp)
        terminal_rows[name] = (regexp, newline, literal, first_chars(regexp))

    # Lark numbers its states in an order that changes from run to run:
    # number them breadth-first from the start state instead, following
    # symbols in sorted order, so the same grammar gives the same file.
    (start,) = table.start_states
    order = [table.start_states[start]]
    number = {order[0]: 0}
    for state in order:
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action is Shift and arg not in number:
                number[arg] = len(order)
                order.append(arg)

    # One lexer per distinct set of terminals a state accepts, as Lark's
    # ContextualLexer makes them, in its order, with its keyword rewrites.
    lexers: list[tuple] = []
    lexer_index: dict[tuple, int] = {}
    state_lexer = []
    for state in order:
        basic = lexer.lexers[state]
        ordered, unless = _create_unless(basic.terminals, 0, basic.re, False)
        keywords = {
            n: {t.pattern.value: t.name for t in c.scanner.terminals} for n, c in unless.items()
        }
        key = (tuple(t.name for t in ordered), repr(sorted(keywords.items())))
        if key not in lexer_index:
            lexer_index[key] = len(lexers)
            lexers.append((key[0], keywords))
        state_lexer.append(lexer_index[key])

    ordered, unless = _create_unless(lexer.root_lexer.terminals, 0, lexer.root_lexer.re, False)
    keywords = {
        n: {t.pattern.value: t.name for t in c.scanner.terminals} for n, c in unless.items()
    }
    root_lexer = (tuple(t.name for t in ordered), keywords)

    # Rules and how their trees are shaped (parse_tree_builder.py).
    rules = list(lark.rules)
    rule_index = {id(rule): i for i, rule in enumerate(rules)}
    rule_rows = []
    for rule in rules:
        options = rule.options
        child_filter = maybe_create_child_filter(
            rule.expansion, options.keep_all_tokens, False, options.empty_indices
        )
        size = len(rule.expansion)
        if child_filter is None:
            include = tuple((i, False, 0) for i in range(size))
            trailing = 0
        elif child_filter.func.__name__ == "ChildFilterLALR_NoPlaceholders":
            include = tuple((i, expand, 0) for i, expand in child_filter.args[0])
            trailing = 0
        else:
            include = tuple(child_filter.args[0])
            trailing = child_filter.args[1]
        name = rule.alias or options.template_source or rule.origin.name
        expand1 = bool(options.expand1 and not rule.alias)
        rule_rows.append((str(rule.origin.name), size, str(name), expand1, include, trailing))

    # Actions: a shift or goto is the next state (>= 0), a reduce is
    # -1 - the rule's index.
    actions = []
    for state in order:
        row = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            row[str(symbol)] = number[arg] if action is Shift else -1 - rule_index[id(arg)]
        actions.append(row)

    return {
        "TERMINALS": terminal_rows,
        "IGNORE": tuple(ignore),
        "LEXERS": lexers,
        "ROOT_LEXER": root_lexer,
        "STATE_LEXER": state_lexer,
        "ACTIONS": actions,
        "RULES": rule_rows,
        "START_STATE": 0,
        "END_STATE": number[table.end_states[start]],
    }


def render(grammar_text: str) -> str:
    tables = build_tables(grammar_text)
    lines = [
        "# Generated by `python3 -m mtc.parsegen` from grammar/mtc.lark; do not edit.",
        "# The LALR(1) tables and contextual lexer Lark computes for the grammar,",
        "# as plain data for lalr.py (see parsegen.py).",
        "# fmt: off",
        f"GRAMMAR_CRC32 = {grammar_digest(grammar_text)!r}",
    ]
    for name, value in tables.items():
        lines.append(f"{name} = {pprint.pformat(value, width=100, compact=True, sort_dicts=True)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render(GRAMMAR.read_text(encoding="utf-8"))
    current = TABLES.read_text(encoding="utf-8") if TABLES.exists() else None
    if "--check" in argv:
        if current != text:
            print(f"{TABLES.name} is out of date: run 'python3 -m mtc.parsegen'", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TABLES.write_text(text, encoding="utf-8")
        print(f"  GEN     {TABLES.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
