"""The release workflow: new-version, lifecycle, abi-check, diff, explain, and
qemu-swap, which puts the generated C into a QEMU tree.

Each command is a module with NAME, add_parser(subparsers, common) and
run(args).  cli.py lists them from COMMANDS below and imports a module only
when its command runs, so `mtc build` does not pay for them.
"""

from __future__ import annotations

import importlib

# command -> (module, one-line help shown by `mtc --help`)
COMMANDS = {
    "new-version": ("newversion", "open release X.Y: its release line, compat sets and machines"),
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
    "qemu-swap": ("qemuswap", "swap parts of a QEMU source tree for the generated C"),
}


def load(command: str):
    """The module implementing `command`."""
    return importlib.import_module(f"{__name__}.{COMMANDS[command][0]}")
