"""Releases and the life-cycle policy: the releases the sets and machines
name (their dates come from the vocabulary: the C does not hold them), and
QEMU's deprecation and deletion of old versioned machines
(MACHINE_VER_DEPRECATION_MAJOR and friends, include/hw/boards.h)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..diagnostics import Location
from ..versions import Version
from .csource import parse_text
from .cvalues import CInt, CStr

if TYPE_CHECKING:
    from .extract import Importer


def add_releases(imp: Importer) -> None:
    out = imp.out
    versions = {s.version for s in out.sets.values() if s.version is not None}
    versions |= {m.version.release for m in out.machines if m.version is not None}
    versions.add(imp.current)
    for text, date in imp.vocab["releases"].items():
        version = Version.parse(text)
        if version <= imp.current:
            out.releases[version] = date
    for version in sorted(versions):
        if version not in out.releases:
            imp.diags.error(
                Location(str(Path(imp.source.shown_root) / "VERSION")),
                f"no date known for QEMU release {version} (vocabulary.json 'releases')",
            )
    if any(not f.manual_lifecycle for f in out.families.values() if not f.abstract):
        out.lifecycle = lifecycle_policy(imp)


def lifecycle_policy(imp: Importer) -> dict:
    """From the macros of include/hw/boards.h (those of the last kind read:
    every kind includes it)."""
    values = {}
    for key, macro in (
        ("deprecate-after", "MACHINE_VER_DEPRECATION_MAJOR"),
        ("delete-after", "MACHINE_VER_DELETION_MAJOR"),
    ):
        value = imp.evaluator.macro_value(macro, 0)
        if isinstance(value, CInt):
            values[key] = value.value
    # stringify() needs the preprocessor's '#': let pcpp expand it.
    expanded = imp.macros.expand_lines(["MACHINE_VER_DEPRECATION_MSG;"], set())
    nodes = parse_text(expanded).named_children
    statement = nodes[-1] if nodes else None
    reason = None
    if statement is not None and statement.named_children:
        reason = imp.evaluator.evaluate(statement.named_children[0])
    if isinstance(reason, CStr):
        values["reason"] = reason.text
    values["removal-notice"] = imp.vocab["lifecycle"]["removal-notice"]
    return values
