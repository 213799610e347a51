"""The release workflow: new-version, lifecycle, abi-check, diff and explain.

Each command is a module with NAME, add_parser(subparsers, common) and
run(args); cli.py registers every module listed in COMMANDS.
"""

from __future__ import annotations

from . import abi, diff, explain, lifecycle_report, newversion

COMMANDS = [newversion, lifecycle_report, abi, diff, explain]
