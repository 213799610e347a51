"""The LALR(1) parser that runs the tables parsegen.py generates.

It behaves exactly as Lark would with parser.py's options (the tables are
Lark's own): the same tokens, the same trees (Tree, Token and meta with
Lark's attribute names, so the builder reads them as it would read Lark's),
the same positions, the same errors.  What it saves is Lark's generic
machinery: building the tables on every run, wrapper chains per reduction,
one regexp per lexer state compiled on first use.

Lexing is contextual, as in Lark: in each parser state only the terminals
that state accepts are tried, in Lark's order (the first that matches wins,
as in Lark's alternation), and a regexp terminal that matches a keyword
exactly becomes that keyword.  Candidates are narrowed by the first
character, which each terminal's regexp decides (parse_tables.TERMINALS).
A string terminal is matched as the string it is, not as a regexp: most
terminals are keywords, and compiling a regexp for each cost every run more
than matching them.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from . import parse_tables as T


class Token:
    __slots__ = ("type", "value", "line", "column", "end_line", "end_column", "start_pos")

    def __init__(self, type_, value, line, column, end_line, end_column, start_pos):
        self.type = type_
        self.value = value
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.start_pos = start_pos

    @property
    def end_pos(self) -> int:
        return self.start_pos + len(self.value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


class Meta:
    """A tree's position: its own start and end (line, column) and the span
    of everything its rule consumed (container_*), as Lark's
    propagate_positions keeps them."""

    __slots__ = (
        "empty",
        "line",
        "column",
        "start_pos",
        "end_line",
        "end_column",
        "end_pos",
        "container_line",
        "container_column",
        "container_start_pos",
        "container_end_line",
        "container_end_column",
        "container_end_pos",
    )

    def __init__(self):
        self.empty = True


class Tree:
    __slots__ = ("data", "children", "meta")

    def __init__(self, data, children, meta):
        self.data = data
        self.children = children
        self.meta = meta

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"


class ParseError(Exception):
    """A syntax error, described as Lark describes it.  `kind` is 'token' (an
    unexpected `token`; `accepts` the terminals that would advance the parser,
    `expected` those the state lists) or 'characters' (no terminal matches at
    `pos`; `expected` the terminals that were tried)."""

    def __init__(self, kind, line, column, expected, token=None, pos=0, accepts=()):
        super().__init__(kind)
        self.kind = kind
        self.line = line
        self.column = column
        self.expected = expected
        self.accepts = set(accepts)
        self.token = token
        self.pos = pos


# ---- the lexer ----------------------------------------------------------------

_compiled: dict[str, re.Pattern] = {}
# (lexer, first character) -> the terminals to try, in order.
_candidates: dict[tuple[int, str], tuple] = {}
_ROOT_LEXER = -1  # every terminal: what the text is when the state takes none


def _pattern(name: str) -> re.Pattern:
    found = _compiled.get(name)
    if found is None:
        found = _compiled[name] = re.compile(T.TERMINALS[name][0])
    return found


def _candidates_for(lexer: int, char: str) -> tuple:
    """(name, regexp or None, literal or None, keywords, spans lines) of each
    terminal to try at `char` in `lexer`, in order."""
    key = (lexer, char)
    found = _candidates.get(key)
    if found is None:
        names, keywords = T.LEXERS[lexer] if lexer != _ROOT_LEXER else T.ROOT_LEXER
        found = tuple(
            (
                name,
                None if T.TERMINALS[name][2] is not None else _pattern(name),
                T.TERMINALS[name][2],
                keywords.get(name),
                T.TERMINALS[name][1],
            )
            for name in names
            if T.TERMINALS[name][3] is None or char in T.TERMINALS[name][3]
        )
        _candidates[key] = found
    return found


def _match(lexer: int, text: str, pos: int):
    """(type, value, spans lines) of the token at pos, or None."""
    for name, pattern, literal, keywords, newline in _candidates_for(lexer, text[pos]):
        if literal is not None:
            if not text.startswith(literal, pos):
                continue
            value = literal
        else:
            found = pattern.match(text, pos)
            if found is None:
                continue
            value = found.group()
        if keywords is not None:
            name = keywords.get(value, name)
        return name, value, newline
    return None


# ---- the parser ---------------------------------------------------------------

ACTIONS = T.ACTIONS
RULES = T.RULES
IGNORE = frozenset(T.IGNORE)


def use_tables(tables: dict) -> None:
    """Run other tables (parsegen.build_tables()' result) from now on."""
    global T, ACTIONS, RULES, IGNORE
    T = SimpleNamespace(**tables)
    ACTIONS, RULES, IGNORE = T.ACTIONS, T.RULES, frozenset(T.IGNORE)
    _compiled.clear()
    _candidates.clear()


def _reduce(rule, raw):
    """The tree (or inlined child) for `rule` over the values it consumed,
    with Lark's positions: a tree starts where the first value that has a
    position starts and ends where the last one ends (container_* keep
    that span; line/column stay what was set first)."""
    _origin, _size, name, expand1, include, trailing = rule
    children = []
    for index, expand, nones in include:
        if nones:
            children.extend([None] * nones)
        if expand:
            if children:
                children.extend(raw[index].children)
            else:
                # Take over the inlined tree's list, as Lark's ChildFilterLALR
                # does: a left-recursive item* then grows one list in place
                # instead of copying it at every item (quadratic).
                children = raw[index].children
        else:
            children.append(raw[index])
    if trailing:
        children.extend([None] * trailing)
    if expand1 and len(children) == 1:
        result = children[0]
        if result.__class__ is not Tree:
            return result
        meta = result.meta
    else:
        meta = Meta()
        result = Tree(name, children, meta)
    for child in raw:
        if child.__class__ is Token:
            first = (child.line, child.column, child.start_pos)
            break
        child_meta = child.meta
        if not child_meta.empty:
            first = (
                child_meta.container_line,
                child_meta.container_column,
                child_meta.container_start_pos,
            )
            break
    else:
        return result  # nothing with a position: the tree stays empty
    for child in reversed(raw):
        if child.__class__ is Token:
            last = (child.end_line, child.end_column, child.start_pos + len(child.value))
            break
        child_meta = child.meta
        if not child_meta.empty:
            last = (
                child_meta.container_end_line,
                child_meta.container_end_column,
                child_meta.container_end_pos,
            )
            break
    if meta.empty:
        meta.line, meta.column, meta.start_pos = first
        meta.end_line, meta.end_column, meta.end_pos = last
        meta.empty = False
    meta.container_line, meta.container_column, meta.container_start_pos = first
    meta.container_end_line, meta.container_end_column, meta.container_end_pos = last
    return result


def _feed(states, values, token, is_end=False, build=True):
    """Lark's feed_token: reduce as far as `token` asks, then shift it.
    Returns the tree when `is_end` reaches the end state."""
    while True:
        action = ACTIONS[states[-1]].get(token.type)
        if action is None:
            raise _unexpected(states, values, token)
        if action >= 0:
            if is_end:  # pragma: no cover - $END is never shifted
                raise _unexpected(states, values, token)
            states.append(action)
            values.append(token)
            return None
        rule = RULES[-1 - action]
        size = rule[1]
        if size:
            raw = values[-size:]
            del states[-size:]
            del values[-size:]
        else:
            raw = []
        values.append(_reduce(rule, raw) if build else None)
        states.append(ACTIONS[states[-1]][rule[0]])
        if is_end and states[-1] == T.END_STATE:
            return values[-1]


def _unexpected(states, values, token) -> ParseError:
    """The error for a token the current state cannot take, with the
    terminals that would advance the parser (Lark's `accepts`)."""
    choices = {t for t in ACTIONS[states[-1]] if t.isupper()}
    accepts = set()
    for choice in choices:
        probe = Token(choice, "", 0, 0, 0, 0, 0)
        try:
            _feed(list(states), list(values), probe, is_end=choice == "$END", build=False)
        except ParseError:
            continue
        accepts.add(choice)
    return ParseError("token", token.line, token.column, choices, token=token, accepts=accepts)


_BLANK = re.compile(r"[ \t\f\r\n]+")  # common.WS, which every lexer ignores


def parse(text: str, comments: list | None = None) -> Tree:
    """Parse a whole file; `comments` collects the COMMENT tokens skipped.

    The loop is _match() and _feed() written out, with white space skipped
    directly: it is half of all tokens and never part of another one."""
    states = [T.START_STATE]
    values: list = []
    state_lexer = T.STATE_LEXER
    actions, rules, ignore = ACTIONS, RULES, IGNORE
    candidates = _candidates
    blank = _BLANK.match
    pos, line, line_start = 0, 1, 0
    end = len(text)
    last = None
    while pos < end:
        char = text[pos]
        if char in " \t\n\r\f":
            gap = blank(text, pos).end()
            newlines = text.count("\n", pos, gap)
            if newlines:
                line += newlines
                line_start = text.rindex("\n", pos, gap) + 1
            pos = gap
            continue
        lexer = state_lexer[states[-1]]
        tries = candidates.get((lexer, char))
        if tries is None:
            tries = _candidates_for(lexer, char)
        for kind, pattern, literal, keywords, newline in tries:
            if literal is not None:
                if text.startswith(literal, pos):
                    value = literal
                    break
            else:
                found = pattern.match(text, pos)
                if found is not None:
                    value = found.group()
                    break
        else:
            _lex_error(states, values, text, pos, line, pos - line_start + 1, lexer)
        if keywords is not None:
            kind = keywords.get(value, kind)
        column = pos - line_start + 1
        if newline and "\n" in value:
            end_line = line + value.count("\n")
            end_column = len(value) - value.rfind("\n")
            next_start = pos + value.rfind("\n") + 1
        else:
            end_line, end_column, next_start = line, column + len(value), line_start
        token = Token(kind, value, line, column, end_line, end_column, pos)
        pos += len(value)
        line, line_start = end_line, next_start
        if kind in ignore:
            if comments is not None and kind == "COMMENT":
                comments.append(token)
            continue
        last = token
        while True:  # _feed(states, values, token)
            action = actions[states[-1]].get(kind)
            if action is None:
                raise _unexpected(states, values, token)
            if action >= 0:
                states.append(action)
                values.append(token)
                break
            rule = rules[-1 - action]
            size = rule[1]
            if size:
                raw = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                raw = []
            values.append(_reduce(rule, raw))
            states.append(actions[states[-1]][rule[0]])
    if last is not None:
        eof = Token("$END", "", last.line, last.column, last.end_line, last.end_column, 0)
    else:
        eof = Token("$END", "", 1, 1, 1, 1, 0)
    return _feed(states, values, eof, is_end=True)


def _lex_error(states, values, text, pos, line, column, lexer):
    """No terminal of the state matches at pos.  Lark then asks its root
    lexer what the text is, to say which token was unexpected rather than
    which character."""
    allowed = set(T.LEXERS[lexer][0]) - IGNORE
    other = _match(_ROOT_LEXER, text, pos)
    if other is not None:
        kind, value, _ = other
        token = Token(kind, value, line, column, line, column + len(value), pos)
        error = _unexpected(states, values, token)
        error.expected = allowed
        raise error
    raise ParseError("characters", line, column, allowed or {"<END-OF-FILE>"}, pos=pos)
