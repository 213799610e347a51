"""Reading QEMU's C the way a reviewer does: tokens, top-level items and the
statements of a function, with comments and whitespace set aside.

Not a C parser: enough to find what mtc writes in QEMU's files (compat
arrays, their extern declarations, options functions, DEFINE_*_MACHINE
lines, the #if blocks around them) and to compare two spellings of a
function statement by statement.  Preprocessor lines are kept whole, since
QEMU's files are read before preprocessing.
"""

from __future__ import annotations

import re

from ..records import field, record

# One token: a preprocessor line (with its continuations), a comment, a
# string or character literal, a number, an identifier or a punctuator.
_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+|\n)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!=<>]=|\#\#|[^\s])
    """,
    re.S | re.X,
)
_DIRECTIVE_RE = re.compile(r"[ \t]*#(?:[^\n\\]|\\[\s\S])*")


class CSyntaxError(ValueError):
    """The text is not C this reader can follow (an unterminated comment,
    unbalanced brackets); the message says where."""


@record(frozen=True)
class Token:
    kind: str  # pp, comment, str, char, num, id, punct
    text: str
    line: int  # 1-based line of its first character
    end_line: int


def tokenize(text: str, path: str = "<text>") -> list[Token]:
    """Every token of `text`, comments included, whitespace left out."""
    tokens: list[Token] = []
    position, line = 0, 1
    at_line_start = True
    while position < len(text):
        if at_line_start:
            match = _DIRECTIVE_RE.match(text, position)
            if match and match.group(0).strip().startswith("#"):
                body = match.group(0)
                end_line = line + body.count("\n")
                tokens.append(
                    Token("pp", " ".join(body.replace("\\\n", " ").split()), line, end_line)
                )
                position, line = match.end(), end_line
                continue
        match = _TOKEN_RE.match(text, position)
        if match is None:
            if text.startswith("/*", position):
                raise CSyntaxError(f"{path}:{line}: unterminated comment")
            raise CSyntaxError(f"{path}:{line}: cannot read {text[position:position + 20]!r}")
        kind = match.lastgroup
        value = match.group(0)
        end_line = line + value.count("\n")
        if kind == "space":
            at_line_start = "\n" in value or at_line_start and not value.strip()
        else:
            tokens.append(Token(kind, value, line, end_line))
            at_line_start = False
        if value.endswith("\n"):
            at_line_start = True
        position, line = match.end(), end_line
    return tokens


def code(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind != "comment"]


def spelled(tokens: list[Token]) -> str:
    """Tokens joined by one space: the text compared, whatever the layout."""
    return " ".join(t.text for t in tokens)


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


@record
class Item:
    """A top-level piece of a file: a function definition, a declaration, a
    macro invocation written as a statement, or a preprocessor line.
    `tokens` excludes comments; `first_line`..`last_line` spans its text."""

    kind: str  # function, declaration, invocation, directive
    tokens: list[Token]
    first_line: int
    last_line: int
    name: str = ""  # a function's or a declared object's name; an invocation's macro
    body: list[Token] = field(default_factory=list)  # a function's, inside its braces

    @property
    def text(self) -> str:
        return spelled(self.tokens)

    def statements(self) -> list[str]:
        """A function's statements, each spelled as one line."""
        return [spelled(s) for s in split_statements(self.body)]


def _declared_name(tokens: list[Token]) -> str:
    """The name a declaration declares: the identifier before its first
    '[', '=', '(' or the end ('GlobalProperty hw_compat_9_2[] = ...')."""
    name = ""
    for token in tokens:
        if token.text in ("[", "=", "(", ";", ","):
            break
        if token.kind == "id":
            name = token.text
    return name


def items(text: str, path: str = "<text>") -> list[Item]:
    """The top-level items of a C file, in order."""
    tokens = code(tokenize(text, path))
    found: list[Item] = []
    current: list[Token] = []
    depth = 0
    index = 0

    def close(kind: str, name: str = "", body=None) -> None:
        found.append(
            Item(kind, current[:], current[0].line, current[-1].end_line, name, body or [])
        )
        current.clear()

    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.kind == "pp" and depth == 0:
            if current:
                raise CSyntaxError(f"{path}:{token.line}: a directive inside a declaration")
            current.append(token)
            close("directive", token.text.split()[0])
            continue
        current.append(token)
        if token.text in _OPEN:
            depth += 1
            if depth == 1 and token.text == "{" and len(current) > 1:
                if current[-2].text == ")" and _is_function_head(current[:-1]):
                    body_start = len(current)
                    end = _matching(tokens, index - 1, path)
                    current.extend(tokens[index : end + 1])
                    index = end + 1
                    depth = 0
                    close("function", _function_name(current), current[body_start:-1])
                    continue
        elif token.text in _CLOSE:
            depth -= 1
            if depth < 0:
                raise CSyntaxError(f"{path}:{token.line}: unbalanced '{token.text}'")
        elif token.text == ";" and depth == 0:
            if len(current) > 1 and _is_invocation(current[:-1]):
                close("invocation", current[0].text)
            else:
                close("declaration", _declared_name(current))
            continue
        if depth == 0 and current and _is_invocation(current) and index < len(tokens):
            following = tokens[index]
            if following.line > token.end_line and following.text not in (";", "{", ",", "="):
                close("invocation", current[0].text)
    if current and depth == 0 and _is_invocation(current):
        close("invocation", current[0].text)
    if current:
        raise CSyntaxError(f"{path}:{current[0].line}: unterminated declaration")
    return found


def _matching(tokens: list[Token], start: int, path: str) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        text = tokens[index].text
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth -= 1
            if depth == 0:
                return index
    raise CSyntaxError(f"{path}:{tokens[start].line}: unbalanced '{tokens[start].text}'")


def _is_invocation(tokens: list[Token]) -> bool:
    """NAME(...) and nothing else: a macro used as a statement."""
    if len(tokens) < 3 or tokens[0].kind != "id" or tokens[1].text != "(":
        return False
    if tokens[-1].text != ")":
        return False
    depth = 0
    for position, token in enumerate(tokens[1:], 1):
        if token.text in _OPEN:
            depth += 1
        elif token.text in _CLOSE:
            depth -= 1
            if depth == 0 and position != len(tokens) - 1:
                return False
    return depth == 0


def _is_function_head(tokens: list[Token]) -> bool:
    """TYPE NAME(PARAMS): at least one token before the name, no '='."""
    if any(t.text == "=" for t in tokens):
        return False
    return not _is_invocation(tokens) and any(t.text == "(" for t in tokens[1:])


def _function_name(tokens: list[Token]) -> str:
    for position, token in enumerate(tokens):
        if token.text == "(" and position > 0:
            return tokens[position - 1].text
    return ""


def split_statements(body: list[Token]) -> list[list[Token]]:
    """A function body's statements: ended by ';' outside brackets, a block
    ending in '}', or a preprocessor line (a statement of its own)."""
    statements: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for position, token in enumerate(body):
        if token.kind == "pp" and depth == 0:
            if current:
                statements.append(current)
                current = []
            statements.append([token])
            continue
        current.append(token)
        if token.text in _OPEN:
            depth += 1
        elif token.text in _CLOSE:
            depth -= 1
            nxt = body[position + 1].text if position + 1 < len(body) else ""
            if depth == 0 and token.text == "}" and nxt not in (";", ",", ")", "else"):
                if not any(t.text == "=" for t in current):
                    statements.append(current)
                    current = []
        elif token.text == ";" and depth == 0:
            statements.append(current)
            current = []
    if current:
        statements.append(current)
    return statements
