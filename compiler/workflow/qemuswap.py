"""mtc qemu-swap: put the generated C into a QEMU source tree.

Each generated file replaces one part of a QEMU file (machines/' c-scope
and c-file declarations say which), and the swap is mechanical: the part
becomes one #include of the file, copied beside it.  A part is found by
what it holds, not by line numbers, so the swap applies to any QEMU tree
whose layout matches:

- a c-scope's tables: from the first to the last top-level declaration of
  <scope>_compat_X_Y[] or <scope>_compat_X_Y_len in its QEMU .c file;
  its declarations: the same, `extern`, in its QEMU header;
- a c-file: from the first to the last top-level options function,
  instance options function or DEFINE line of the families it lists (as
  their c-family templates spell them), with the comment right above the
  first and the #if blocks it opens closed.

Anything else inside a part (QEMU code mtc does not write) ends it: a
c-file with a `split` has two parts, each replaced by its own file
(hw/ppc/spapr.c keeps phb_placement_4_0() between them); anywhere else it
is an error, as is a part not found.  Every part replaced is reported with
its lines and what starts and ends it, and what QEMU's part defined that the
generated file does not (a machine machines/ no longer has) is listed.
A tree swapped before is recognized by its #include lines; the copies are
refreshed.  host.h and host_features.c are mtc's own and are not copied.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..records import field, record
from ..files import atomic_write, write_if_changed
from ..model import Corpus
from . import common
from .csource import CSyntaxError, Item, items, tokenize

NAME = "qemu-swap"

_CONDITIONAL_OPEN = ("#if", "#ifdef", "#ifndef")
_CONDITIONAL = (*_CONDITIONAL_OPEN, "#else", "#elif", "#endif")


class SwapError(Exception):
    """The tree does not have the layout the c-* declarations describe:
    where (path[:line]) and why."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: error: {message}")


@record
class Part:
    """What one generated file replaces in one QEMU file."""

    generated: str  # file name, as in generated/c
    text: str  # its content
    matches: object  # Item -> bool: is this item one the generated file writes


@record
class Region:
    first_line: int
    last_line: int
    first_text: str  # the first line of its first item
    last_text: str
    items: list[Item] = field(default_factory=list)
    comment_above: bool = False  # the comment right above the first item is part of it


@record
class Swap:
    """One QEMU file and the parts of it the generated files replace."""

    qemu_file: str  # relative to the QEMU tree
    parts: list[Part]
    regions: list[Region] = field(default_factory=list)
    already: bool = False  # swapped before: only the copies are refreshed
    missing: list[str] = field(default_factory=list)  # QEMU's, not generated


def _template_regex(template: str) -> re.Pattern:
    pattern = re.escape(template).replace(re.escape("{version}"), r"\d+(?:_\d+)*")
    return re.compile(pattern + r"\Z")


def _macro_of(template: str) -> str:
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", template)
    return match.group(1) if match else ""


def plan(corpus: Corpus, outputs: dict[str, str]) -> list[Swap]:
    """The swaps machines/' c-* declarations describe, one per QEMU file,
    with the generated files' texts from `outputs` (paths below generated/)."""
    swaps: dict[str, Swap] = {}

    def part(qemu_file: str, generated: str, matches) -> None:
        text = outputs[f"c/{generated}"]
        swaps.setdefault(qemu_file, Swap(qemu_file, [])).parts.append(
            Part(generated, text, matches)
        )

    for scope in corpus.c_scopes.values():
        names = re.compile(rf"{re.escape(scope.scope)}_compat_\d+(?:_\d+)*(?:_len)?\Z")

        def table(item, names=names, extern=False):
            is_extern = bool(item.tokens) and item.tokens[0].text == "extern"
            return item.kind == "declaration" and names.match(item.name) and is_extern == extern

        if scope.tables is not None:
            part(scope.tables.qemu_file, scope.tables.file, table)
        if scope.declarations is not None:
            part(
                scope.declarations.qemu_file,
                scope.declarations.file,
                lambda item, table=table: table(item, extern=True),
            )
    for cfile in corpus.c_files.values():
        functions, macros = [], set()
        for name, _ in cfile.families:
            cfamily = corpus.c_families.get(name)
            if cfamily is None:
                continue
            for function in (cfamily.function, cfamily.instance_function):
                if function is not None:
                    functions.append(_template_regex(function.template))
            macros.update(_macro_of(d.template) for d in cfamily.defines)

        def machine_item(item, functions=functions, macros=macros):
            if item.kind == "function":
                return any(f.match(item.name) for f in functions)
            return item.kind == "invocation" and item.name in macros

        if cfile.replaces is None:
            continue
        names = [cfile.name] + ([cfile.split.file] if cfile.split is not None else [])
        for generated in names:
            part(cfile.replaces, generated, machine_item)
    return list(swaps.values())


def _comment_starts(text: str, path: str) -> dict[int, int]:
    """end line -> first line of each run of comment lines (for the comment
    right above an item)."""
    starts: dict[int, int] = {}
    previous_end = None
    for token in tokenize(text, path):
        if token.kind != "comment":
            previous_end = None
            continue
        first = starts.get(previous_end, token.line) if previous_end == token.line - 1 else None
        starts[token.end_line] = first if first is not None else token.line
        previous_end = token.end_line
    return starts


def find_regions(text: str, path: str, matches, count: int) -> list[Region]:
    """The `count` regions of `text` holding what `matches` selects."""
    found = items(text, path)
    selected = [i for i, item in enumerate(found) if matches(item)]
    if not selected:
        raise SwapError(path, "none of what the generated file replaces is there")
    groups: list[list[Item]] = [[]]
    stray: list[Item] = []
    for item in found[selected[0] : selected[-1] + 1]:
        neutral = item.kind == "directive" and item.name in _CONDITIONAL
        if matches(item) or neutral:
            if stray and groups[-1]:
                groups.append([])
            stray = []
            groups[-1].append(item)
        else:
            stray.append(item)
            if len(groups) >= count or not groups[-1]:
                raise SwapError(
                    f"{path}:{item.first_line}",
                    f"QEMU's {item.name or item.kind} sits inside the part the generated "
                    "file replaces (its c-file can split the machines around it)",
                )
    if len(groups) != count:
        raise SwapError(path, f"the generated files replace {count} parts, found {len(groups)}")
    comment_starts = _comment_starts(text, path)
    lines = text.split("\n")
    regions = []
    for group in groups:
        while group and group[-1].kind == "directive" and group[-1].name in _CONDITIONAL_OPEN:
            group.pop()  # an #if the next part opens
        depth = 0
        for item in group:
            if item.kind == "directive" and item.name in _CONDITIONAL_OPEN:
                depth += 1
            elif item.kind == "directive" and item.name == "#endif":
                depth -= 1
                if depth < 0:
                    raise SwapError(
                        f"{path}:{item.first_line}",
                        "the part starts inside an #if it does not close",
                    )
        position = found.index(group[-1]) + 1
        while depth > 0:
            item = found[position] if position < len(found) else None
            if item is None or item.kind != "directive" or item.name not in _CONDITIONAL:
                where = item.first_line if item is not None else len(lines)
                raise SwapError(f"{path}:{where}", "an #if opened in the part is not closed")
            depth += 1 if item.name in _CONDITIONAL_OPEN else -1 if item.name == "#endif" else 0
            group.append(item)
            position += 1
        item_line = group[0].first_line
        first = comment_starts.get(item_line - 1, item_line)
        last = group[-1].last_line
        regions.append(
            Region(
                first,
                last,
                lines[item_line - 1].strip(),
                lines[last - 1].strip(),
                group,
                first != item_line,
            )
        )
    return regions


def _include(generated: str) -> str:
    return f'#include "{generated}"'


def prepare(swap: Swap, qemu_dir: Path) -> None:
    """Find the swap's regions in the QEMU tree (or that it is swapped)."""
    path = qemu_dir / swap.qemu_file
    for part in swap.parts:
        if '#include "host.h"' in part.text:
            raise SwapError(
                part.generated,
                "machines/ has compat entries under host guards, whose tables need mtc's "
                "host.h and host_features.c: QEMU's build has neither, so the swap leaves "
                "them out",
            )
    try:
        text = path.read_text()
    except OSError as exc:
        raise SwapError(swap.qemu_file, f"cannot read it: {exc.strerror}") from None
    includes = [_include(p.generated) for p in swap.parts]
    lines = [line.strip() for line in text.split("\n")]
    if all(line in lines for line in includes):
        swap.already = True
        return
    try:
        swap.regions = find_regions(text, swap.qemu_file, swap.parts[0].matches, len(swap.parts))
    except CSyntaxError as exc:
        where, _, message = str(exc).partition(": ")
        raise SwapError(where, message) from None
    generated = set()
    for part in swap.parts:
        for item in items(part.text, part.generated):
            generated.add(_key(item))
    source_lines = text.split("\n")
    for region in swap.regions:
        for item in region.items:
            if item.kind != "directive" and _key(item) not in generated:
                shown = (
                    f"{item.name}()"
                    if item.kind == "function"
                    else (source_lines[item.first_line - 1].strip().rstrip(";"))
                )
                swap.missing.append(f"{swap.qemu_file}:{item.first_line}: {shown}")


def _key(item: Item) -> str:
    """What an item defines: a function's name, a DEFINE line's text."""
    if item.kind == "invocation":
        return item.text.rstrip(" ;")
    return item.name


def apply(swap: Swap, qemu_dir: Path) -> None:
    """The copies beside the QEMU file, then the file with its parts
    replaced; each written whole (a file is either QEMU's or swapped)."""
    path = qemu_dir / swap.qemu_file
    for part in swap.parts:
        write_if_changed(path.parent / part.generated, part.text.encode())
    if swap.already:
        return
    lines = path.read_text().split("\n")
    for region, part in reversed(list(zip(swap.regions, swap.parts))):
        lines[region.first_line - 1 : region.last_line] = [_include(part.generated)]
    atomic_write(path, "\n".join(lines).encode(), path.stat().st_mode & 0o777)


def report(swap: Swap) -> list[str]:
    if swap.already:
        names = ", ".join(p.generated for p in swap.parts)
        return [f"{swap.qemu_file}: already swapped; refreshed {names}"]
    out = []
    for region, part in zip(swap.regions, swap.parts):
        above = " (and the comment above it)" if region.comment_above else ""
        out.append(
            f"{swap.qemu_file}:{region.first_line}-{region.last_line}: replaced "
            f"'{region.first_text}'{above} .. '{region.last_text}' by "
            f"{_include(part.generated)}"
        )
    out += [f"{line}: note: QEMU's, not in the generated file" for line in swap.missing]
    return out


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="swap parts of a QEMU source tree for the generated C",
        description="Compile machines/ and put its C into the QEMU source tree QEMU_DIR: "
        "each part of a QEMU file that a generated file stands for (machines/' c-scope "
        "and c-file declarations say which: the compat arrays of hw/core/machine.c, "
        "the versioned machines of hw/i386/pc_q35.c, ...) is replaced by one #include "
        "of that file, copied beside it.  Each part is found by what it holds and "
        "reported with its lines; anything of QEMU's inside a part is an error, and "
        "what QEMU's part defines that the generated file does not is listed.  A tree "
        "swapped before only gets fresh copies.  Exit 1 when a part is not found.",
    )
    p.add_argument("qemu_dir", metavar="QEMU_DIR", type=Path, help="a QEMU source tree")
    p.add_argument(
        "--dry-run", action="store_true", help="report what would be replaced, change nothing"
    )
    p.add_argument(
        "--at",
        metavar="X.Y",
        help="swap in the C of release X.Y as machines/ holds it (default: the release "
        "of QEMU_DIR's VERSION when machines/ declares it, else the newest): a QEMU 10.0 "
        "tree gets 10.0's machine types after machines/ has opened 10.1",
    )


def tree_release(resolved, qemu_dir: Path) -> str | None:
    """The release of the QEMU tree (VERSION 10.0.2 -> 10.0), when machines/
    declares it; None otherwise (a development tree, 10.0.50, is the next
    release's: machines/' newest)."""
    try:
        parts = (qemu_dir / "VERSION").read_text().strip().split(".")
    except OSError:
        return None
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    if len(parts) > 2 and parts[2].isdigit() and int(parts[2]) >= 50:
        return None
    release = f"{int(parts[0])}.{int(parts[1])}"
    declared = {str(v) for v in resolved.corpus.releases}
    return release if release in declared else None


def run(args) -> int:
    from ..backends import BackendError
    from ..backends import c as c_backend

    if not (args.qemu_dir / "hw").is_dir():
        raise common.usage_error(f"{args.qemu_dir}: not a QEMU source tree (no hw/ there)")
    try:
        _, resolved = common.load_current(args)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    resolved = common.view_at(resolved, args.at or tree_release(resolved, args.qemu_dir))
    try:
        outputs = c_backend.emit(resolved, resolved.corpus.files)
    except BackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    swaps = plan(resolved.corpus, outputs)
    if not swaps:
        print(f"mtc {NAME}: error: machines/ declares no c-scope or c-file", file=sys.stderr)
        return 1
    failed = False
    for swap in swaps:
        try:
            prepare(swap, args.qemu_dir)
        except SwapError as exc:
            print(exc, file=sys.stderr)
            failed = True
    if failed:
        print(f"mtc {NAME}: {args.qemu_dir} left untouched", file=sys.stderr)
        return 1
    for swap in swaps:
        if not args.dry_run:
            apply(swap, args.qemu_dir)
        for line in report(swap):
            print(line)
    return 0
