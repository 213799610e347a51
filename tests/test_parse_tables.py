"""The generated parser (parsegen.py -> parse_tables.py, run by lalr.py)
against Lark itself: the tables are current, and on the real corpus, every
golden case and thousands of mutated inputs, both give the same tree (with
every position) or the same error."""

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token as LarkToken
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from conftest import ROOT
from mtc import lalr
from mtc.parser import GRAMMAR, LARK_OPTIONS

SOURCES = sorted(
    p
    for folder in ("machines", "tests/golden/cases", "tests/fixtures")
    for p in (ROOT / folder).rglob("*.mtc")
)
TEXTS = [p.read_text(errors="replace") for p in SOURCES]


@pytest.fixture(scope="module")
def lark_parser():
    comments = []
    parser = Lark(GRAMMAR.read_text(), **LARK_OPTIONS, lexer_callbacks={"COMMENT": comments.append})
    return parser, comments


def shape(node):
    """A tree as plain data: names, values, every position."""
    if node is None:
        return None
    if isinstance(node, (LarkToken, lalr.Token)):
        return (
            node.type,
            str(node.value),
            node.line,
            node.column,
            node.end_line,
            node.end_column,
            node.start_pos,
            node.end_pos,
        )
    meta = node.meta
    where = None
    if not meta.empty:
        where = (
            meta.line,
            meta.column,
            meta.start_pos,
            meta.end_line,
            meta.end_column,
            meta.end_pos,
        )
    return (str(node.data), where, [shape(child) for child in node.children])


def with_lark(lark_parser, text):
    parser, comments = lark_parser
    comments.clear()
    try:
        tree = parser.parse(text)
    except UnexpectedToken as exc:
        token = exc.token
        return (
            "token",
            exc.line,
            exc.column,
            sorted(exc.accepts or exc.expected),
            token.type,
            str(token),
        )
    except UnexpectedCharacters as exc:
        return ("characters", exc.line, exc.column, sorted(exc.allowed))
    return shape(tree), [shape(c) for c in comments]


def with_lalr(text):
    comments = []
    try:
        tree = lalr.parse(text, comments)
    except lalr.ParseError as exc:
        if exc.kind == "characters":
            return ("characters", exc.line, exc.column, sorted(exc.expected))
        token = exc.token
        return (
            "token",
            exc.line,
            exc.column,
            sorted(exc.accepts or exc.expected),
            token.type,
            token.value,
        )
    return shape(tree), [shape(c) for c in comments]


def test_tables_are_generated_from_the_current_grammar():
    result = subprocess.run(
        [sys.executable, "-m", "mtc.parsegen", "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_tables_do_not_depend_on_string_hashing():
    outputs = set()
    for seed in ("1", "2"):
        code = "from mtc import parsegen; from mtc.parser import GRAMMAR; print(parsegen.render(GRAMMAR.read_text()))"
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("index", range(len(SOURCES)), ids=[p.name for p in SOURCES])
def test_same_result_as_lark_on_every_source(lark_parser, index):
    assert with_lalr(TEXTS[index]) == with_lark(lark_parser, TEXTS[index])


def test_build_never_imports_lark():
    code = (
        "import sys; from mtc import cli; rc = cli.main(['check', '--root', sys.argv[1]]); "
        "assert 'lark' not in sys.modules, 'lark imported'; sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# Pieces mutations insert: tokens of every kind, and characters no token has.
PIECES = [
    "{",
    "}",
    "(",
    ")",
    ",",
    ".",
    "=",
    "==",
    ">=",
    "#",
    "\n",
    " ",
    '"',
    "\\",
    "$",
    "${",
    "release",
    "machine",
    "compat",
    "family",
    "option",
    "if",
    "and",
    "or",
    "not",
    "optional",
    "hw",
    "pc-q35",
    "8.0",
    "10.0.1",
    "2023-04-20",
    "16GiB",
    "0x1f",
    "-3",
    "gen15.1",
    "TYPE_X",
    '"str"',
    "config.CONFIG_XEN",
    "host.os",
    "@",
    "\t",
    "é",
    "\x00",
    "alias",
    "default",
]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=3)))
        text = text[:start] + insert + text[end:]
    return text


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutated())
def test_same_result_as_lark_on_mutated_inputs(lark_parser, text):
    assert with_lalr(text) == with_lark(lark_parser, text)
