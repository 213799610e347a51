"""mtc import-c: read QEMU's own C and write a machines/ tree in mtc's language.

    read (csource.py: tree-sitter trees, macros, DEFINE expansions)
      -> interpret (program.py: what each machine type's class_init does)
      -> extract (extract.py and one module per stage: machine types,
         options, families, machines, compat sets, targets, releases)
      -> write (writer.py: the .mtc files)

Needs the 'import-c' extra (pip install 'mtc[import-c]'): tree-sitter and
tree-sitter-c parse the C, pcpp expands the DEFINE_*_MACHINE lines.  They
are imported only when the command runs.
"""

from __future__ import annotations

NAME = "import-c"


class ImportFailure(Exception):
    """The import cannot go on (a missing file, a missing dependency)."""


_parser = None


def load_parser():
    """The tree-sitter parser for C, or ImportFailure naming the extra."""
    global _parser
    if _parser is None:
        try:
            import tree_sitter_c
            from tree_sitter import Language, Parser
            import pcpp  # noqa: F401 - checked here, used by csource
        except ImportError as exc:
            raise ImportFailure(
                f"mtc import-c needs the 'import-c' extra ({exc.name} is missing): "
                "pip install 'mtc[import-c]'"
            ) from None
        _parser = Parser(Language(tree_sitter_c.language()))
    return _parser


def add_parser(subparsers, common_parser) -> None:
    from .command import add_parser as add

    add(subparsers, common_parser)


def run(args) -> int:
    from .command import run as run_command

    return run_command(args)
