"""Stage 1: read machines/ and parse every file with the LALR grammar.

Returns one syntax tree per file plus the comments found in it (the builder
attaches them to compat entries).  Every failure becomes a located diagnostic.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import lark

from lark import Lark, Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from .buildcache import cache_dir
from .files import atomic_write
from .diagnostics import Diagnostics, Location


def _grammar_file() -> Path:
    """Installed, the grammar is package data (mtc/grammar/); in a source
    checkout it is the top-level grammar/ folder beside compiler/."""
    here = Path(__file__).resolve().parent
    installed = here / "grammar" / "mtc.lark"
    return installed if installed.is_file() else here.parent / "grammar" / "mtc.lark"


GRAMMAR = _grammar_file()
SOURCE_SUFFIX = ".mtc"
REGISTRY_SUFFIX = ".qom.json"

# What a terminal means, for "expected ..." messages.
TERMINAL_NAMES = {
    "VERSION": "a version such as 8.0",
    "DATE": "a date such as 2023-04-20",
    "STRING": 'a "string"',
    "NAME": "a name",
    "TYPENAME": "a QOM type name",
    "MACRO": "a C macro name",
    "TYPEREF": "a ${MACRO} reference",
    "INT": "an integer",
    "SIZE": "a size such as 16GiB",
    "OPTION_TYPE": "an option type (bool, int, str, size, typename, enum)",
    "OPTIONAL": "'optional'",
    "GEN_GA": "a CPU generation and GA such as gen15.1",
    "CPU_NAME": "a CPU model or feature name",
    "QOM_TYPE": "a QOM property type (bool, uint32, OnOffAuto, ...)",
    "PLATFORM_NAME": "a platform name",
    "CONFIG_REF": "config.CONFIG_X",
    "COMPARE": "a comparison (>=, <=, ==, !=, >, <)",
    "CSYMBOL": "a C symbol",
    "CEXPR": "a `C expression`",
    "MACRO_REF": "a ${MACRO} reference",
    "C_DEFINE_KIND": "latest or bugfix",
    "C_TRAILING_COMMA": "trailing-comma",
    "ON_OFF": "on or off",
    "$END": "end of file",
}


@dataclass
class ParsedFile:
    path: str  # as shown in diagnostics: relative to the project root
    tree: Tree
    # line -> (column, text) of each comment, in source order.
    comments: dict[int, tuple[int, str]] = field(default_factory=dict)


_parser: Lark | None = None
_comments: list[Token] = []


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        _parser = Lark(
            GRAMMAR.read_text(encoding="utf-8"),
            parser="lalr",
            lexer="contextual",
            propagate_positions=True,
            maybe_placeholders=True,
            lexer_callbacks={"COMMENT": _comments.append},
            cache=_cache_path(),
        )
    return _parser


_grammar_digest: str | None = None


def grammar_digest() -> str:
    """Changes whenever the grammar or the Lark that builds its trees does."""
    global _grammar_digest
    if _grammar_digest is None:
        data = GRAMMAR.read_bytes() + b"\0lark " + lark.__version__.encode()
        _grammar_digest = hashlib.sha256(data).hexdigest()[:20]
    return _grammar_digest


def _cache_path() -> str | bool:
    """Lark stores the compiled LALR tables here, keyed by the grammar's hash."""
    directory = cache_dir()
    if directory is None:
        return False
    return os.path.join(directory, f"grammar-{grammar_digest()}.lark.cache")


def _tree_cache_file(text: str) -> str | None:
    directory = cache_dir()
    if directory is None:
        return None
    key = hashlib.sha256(grammar_digest().encode() + b"\0" + text.encode("utf-8")).hexdigest()
    return os.path.join(directory, "trees", key[:2], key[2:] + ".pickle")


def _load_tree(path: str | None):
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            tree, comments = pickle.load(handle)
    except Exception:  # missing, truncated or from another version: parse again
        return None
    return tree, comments


def _store_tree(path: str | None, tree: Tree, comments: dict) -> None:
    if path is None:
        return
    try:
        data = pickle.dumps((tree, comments), protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(path, data, 0o600)
    except (OSError, pickle.PicklingError, RecursionError):
        pass  # a cache that cannot be written only costs time


def find_sources(
    machines_dir: Path, root: Path, diags: Diagnostics
) -> tuple[list[Path], list[Path]]:
    """Every *.mtc and *.qom.json below machines/, sorted; anything else is
    an error."""
    sources, registries = [], []
    for path in sorted(machines_dir.rglob("*")):
        rel = path.relative_to(machines_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue  # editor swap files, .gitkeep
        if path.is_dir():
            continue
        if path.name.endswith(SOURCE_SUFFIX):
            sources.append(path)
        elif path.name.endswith(REGISTRY_SUFFIX):
            registries.append(path)
        else:
            diags.error(
                Location(display_path(path, root), 1, 1),
                f"unexpected file in machines/: only *{SOURCE_SUFFIX} sources "
                f"and *{REGISTRY_SUFFIX} registries belong here",
            )
    return sources, registries


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def read_source(path: Path, shown: str, diags: Diagnostics) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        diags.error(Location(shown), f"cannot read file: {exc.strerror}")
        return None
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        diags.error(Location(shown, line, 1), "binary file: NUL byte in a source file")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start]
        line = prefix.count(b"\n") + 1
        column = exc.start - (prefix.rfind(b"\n") + 1) + 1
        diags.error(
            Location(shown, line, column),
            f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x}",
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    diags.add_source(shown, text)
    return text


def parse_text(text: str, shown: str, diags: Diagnostics) -> ParsedFile | None:
    """Parse one file; the tree of a text parsed before comes from the cache."""
    cache_file = _tree_cache_file(text)
    cached = _load_tree(cache_file)
    if cached is not None:
        return ParsedFile(shown, cached[0], cached[1])
    parser = _get_parser()
    _comments.clear()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        diags.error(Location(shown, exc.line, exc.column), _syntax_message(exc, text))
        return None
    except (LarkError, RecursionError) as exc:  # pragma: no cover - defensive
        diags.error(Location(shown, 1, 1), f"cannot parse: {exc.__class__.__name__}")
        return None
    parsed = ParsedFile(shown, tree)
    for tok in _comments:
        parsed.comments[tok.line] = (tok.column, tok.value[1:].strip())
    _store_tree(cache_file, parsed.tree, parsed.comments)
    return parsed


def _syntax_message(exc: UnexpectedInput, text: str) -> str:
    expected = sorted({TERMINAL_NAMES.get(t, _literal(t)) for t in _expected(exc) if t})
    if isinstance(exc, UnexpectedEOF):
        found = "end of file"
    elif isinstance(exc, UnexpectedToken):
        found = "end of file" if exc.token.type == "$END" else f"'{exc.token.value}'"
    elif isinstance(exc, UnexpectedCharacters):
        found = repr(text[exc.pos_in_stream]) if exc.pos_in_stream < len(text) else "?"
        found = f"character {found}"
    else:
        found = "input"
    message = f"syntax error: unexpected {found}"
    if expected:
        if len(expected) > 8:
            expected = expected[:8] + ["..."]
        message += "; expected " + ", ".join(expected)
    return message


def _expected(exc: UnexpectedInput) -> set[str]:
    if isinstance(exc, UnexpectedToken):
        return set(exc.accepts or exc.expected)
    return set(getattr(exc, "allowed", None) or getattr(exc, "expected", None) or ())


def _literal(terminal: str) -> str:
    """Anonymous terminals ('{', 'release', ...) are shown as their text."""
    try:
        pattern = _get_parser().get_terminal(terminal).pattern
    except (KeyError, AttributeError):
        return terminal
    return f"'{pattern.value}'" if pattern.type == "str" else terminal
