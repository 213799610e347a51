"""Stage 1: read machines/ and parse every file with the LALR grammar.

Returns one syntax tree per file plus the comments found in it (the builder
attaches them to compat entries).  Every failure becomes a located diagnostic.

The grammar is grammar/mtc.lark; parsegen.py turns it, with Lark, into the
tables in parse_tables.py that lalr.py runs, so a build neither builds
tables nor imports Lark.  Should the grammar and the tables ever disagree (a
grammar edited without 'python3 -m mtc.parsegen'), the tables are rebuilt in
memory from the grammar, which is slower but never wrong.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

from .records import field, record
from . import lalr
from .diagnostics import Diagnostics, Location
from .lalr import Token, Tree


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
    "PLANNED": "'planned'",
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


# How Lark builds the tables parsegen.py writes to parse_tables.py.
LARK_OPTIONS = dict(
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    maybe_placeholders=True,
)


@record
class ParsedFile:
    """One source file's parse tree, with its comments."""

    path: str  # as shown in diagnostics: relative to the project root
    tree: Tree
    # line -> (column, text) of each comment, in source order.
    comments: dict[int, tuple[int, str]] = field(default_factory=dict)


_tables_checked = False


def _ensure_tables() -> None:
    """Use the generated tables, unless the grammar has changed since."""
    global _tables_checked
    if _tables_checked:
        return
    _tables_checked = True
    text = GRAMMAR.read_text(encoding="utf-8")
    if f"{zlib.crc32(text.encode('utf-8')):08x}" != lalr.T.GRAMMAR_CRC32:
        from . import parsegen

        lalr.use_tables(parsegen.build_tables(text))


# A file name every output can carry: the banners of C, XML and JSON and the
# depfile name the sources.  No control characters, nothing XML 1.0 lacks.
_BAD_NAME_CHAR_RE = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


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
        bad = _BAD_NAME_CHAR_RE.search(str(rel))
        if bad is not None:
            surrogate = "\ud800" <= bad.group() <= "\udfff"
            what = "is not UTF-8" if surrogate else "holds a character outputs cannot carry"
            diags.error(
                Location(display_path(path, root), 1, 1),
                f"file name {what}: rename it (every output names its source files)",
            )
            continue
        if not path.is_file():
            diags.error(
                Location(display_path(path, root), 1, 1),
                "not a regular file (a FIFO, socket or device): mtc reads only files",
            )
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
    """path as diagnostics and outputs show it: relative to the project root,
    taken lexically (machines/ may be a symlink into a build directory whose
    absolute path must never reach an output)."""
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:  # an overlay beside the project: ../vendor/x.mtc
        shown = Path(os.path.relpath(path, root)).as_posix()
    # A name that is not UTF-8 or holds control characters is shown with
    # \xNN escapes: a diagnostic must print, on one line.
    if _BAD_NAME_CHAR_RE.search(shown):
        shown = os.fsencode(shown).decode("utf-8", "backslashreplace")
        shown = _BAD_NAME_CHAR_RE.sub(_escaped, shown)
    return shown


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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
    _ensure_tables()
    comments: list[Token] = []
    try:
        tree = lalr.parse(text, comments)
    except lalr.ParseError as exc:
        diags.error(Location(shown, exc.line, exc.column), _syntax_message(exc, text))
        return None
    except RecursionError:  # pragma: no cover - the parser does not recurse
        diags.error(Location(shown, 1, 1), "cannot parse: nested too deeply")
        return None
    parsed = ParsedFile(shown, tree)
    for tok in comments:
        parsed.comments[tok.line] = (tok.column, tok.value[1:].strip())
    return parsed


def _syntax_message(exc: lalr.ParseError, text: str) -> str:
    if exc.kind == "characters":
        expected_terminals = exc.expected
        found = repr(text[exc.pos]) if exc.pos < len(text) else "?"
        found = f"character {found}"
    else:
        expected_terminals = exc.accepts or exc.expected
        found = "end of file" if exc.token.type == "$END" else f"'{exc.token.value}'"
    expected = sorted({TERMINAL_NAMES.get(t, _literal(t)) for t in expected_terminals if t})
    message = f"syntax error: unexpected {found}"
    if expected:
        if len(expected) > 8:
            expected = expected[:8] + ["..."]
        message += "; expected " + ", ".join(expected)
    return message


def _literal(terminal: str) -> str:
    """Anonymous terminals ('{', 'release', ...) are shown as their text."""
    entry = lalr.T.TERMINALS.get(terminal)
    if entry is None or entry[2] is None:
        return terminal
    return f"'{entry[2]}'"
