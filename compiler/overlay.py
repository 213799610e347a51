"""Vendor overlays: a distribution's own machine types, kept in a directory
of their own and layered on upstream's machines/.

    mtc build --overlay vendor/

An overlay holds ordinary .mtc files.  Its families and machines may inherit
upstream machines (`machine pc-q35-rhel 9.6.0 { inherits pc-q35 9.1 }`: the
upstream chain up to a pinned release) and apply upstream sets and its own.
What is different about them:

- they are numbered by the vendor: their versions and their sets' versions
  are not QEMU releases, and QEMU's chain rules (no gap between releases,
  every machine applies its release's hw_compat set) do not apply to them;
- an alias or the default a vendor machine takes is taken from upstream:
  in a vendor build, `q35` is pc-q35-rhel9.6.0 and pc-q35-10.0 has no alias;
- the JSON marks them vendor-specific: a guest of a vendor machine type
  cannot migrate to an upstream machine type (whatever its name suggests);
- `mtc abi-check --overlay DIR` checks them across an upstream rebase.
"""

from __future__ import annotations

from pathlib import Path

from . import parser
from .diagnostics import Diagnostics, Location
from .model import Corpus


def parse(overlays: list[Path], root: Path, diags: Diagnostics) -> tuple[list, set[str]]:
    """Every overlay's parsed files, and their display paths."""
    parsed, shown_files = [], set()
    for directory in overlays:
        sources, registries = parser.find_sources(directory, root, diags)
        for path in registries:
            diags.error(
                Location(parser.display_path(path, root), 1, 1),
                "an overlay holds .mtc files only: QOM registries belong to machines/",
            )
        for path in sources:
            shown = parser.display_path(path, root)
            text = parser.read_source(path, shown, diags)
            if text is None:
                continue
            result = parser.parse_text(text, shown, diags)
            if result is not None:
                parsed.append(result)
                shown_files.add(shown)
    return parsed, shown_files


def take_over(corpus: Corpus) -> None:
    """Vendor machines' aliases and default replace upstream's."""
    vendor = [m for m in corpus.machines if corpus.is_vendor(m.location)]
    if not vendor:
        return
    aliases = set()
    for machine in vendor:
        if machine.alias is not None:
            family = corpus.families.get(machine.family)
            aliases.add(machine.alias_name or (family.alias if family else None))
    has_default = any(m.default is not None for m in vendor)
    for machine in corpus.machines:
        if corpus.is_vendor(machine.location):
            continue
        if has_default:
            machine.default = None
        if machine.alias is not None:
            family = corpus.families.get(machine.family)
            name = machine.alias_name or (family.alias if family else None)
            if name in aliases:
                machine.alias = None
                machine.alias_name = None
    for name, family in corpus.families.items():
        if not corpus.is_vendor(family.location) and family.alias in aliases:
            family.alias = None


def is_vendor_machine(resolved_machine, corpus: Corpus) -> bool:
    return corpus.is_vendor(resolved_machine.machine.location)
