"""The release workflow: new-version, release, lifecycle, abi-check, diff,
explain, verify, and qemu-swap, which puts the generated C into a QEMU tree.

Each command is a module with NAME, add_parser(subparsers, common) and
run(args).  cli.py lists them from COMMANDS below and imports a module only
when its command runs, so `mtc build` does not pay for them.
"""

from __future__ import annotations

import importlib

# command -> (module, one-line help shown by `mtc --help`)
COMMANDS = {
    "new-version": ("newversion", "open release X.Y: its release line, compat sets and machines"),
    "release": ("release", "date a planned release: it is out"),
    "lifecycle": (
        "lifecycle_report",
        "what is deprecated and due for deletion at a release, and what comes next",
    ),
    "abi-check": (
        "abi",
        "fail when a released machine type changed against a base revision or tree",
    ),
    "diff": ("diff", "effective properties and options that differ between two machine types"),
    "explain": ("explain", "why a machine type has a compat property's (or option's) value"),
    "verify": ("verify", "compare a QEMU binary's machine types with machines/"),
    "qemu-swap": ("qemuswap", "swap parts of a QEMU source tree for the generated C"),
    # A package of its own (mtc.importc), beside the workflow commands.
    "import-c": (".importc", "import QEMU's C machine definitions into a machines/ tree"),
}


def load(command: str):
    """The module implementing `command`."""
    return importlib.import_module(f".{COMMANDS[command][0]}", __name__)
