"""The whole compiler, stage by stage:

    parse (parser.py) -> build (builder.py) -> check (checks.py, cchecks.py, qomcheck.py)
      -> resolve (resolve.py) -> check chains (qomcheck.py, platforms.py)
      -> emit (backends/*) -> write (output.py)

Each stage reports to one Diagnostics; the pipeline stops after the first
stage that found errors, so later stages only ever see a consistent model.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from .records import field, record
from . import builder, cchecks, checks, guards, overlay, parser, platforms, qomcheck, resolve
from .backends import merge_outputs
from .diagnostics import Diagnostics
from .model import Corpus

# Every backend: a package mtc.backends.NAME with emit(resolved, sources) ->
# {path: text}, each path below the backend's own folder (json/, libvirt/,
# c/).  Imported when a build emits: queries never pay for them.
BACKENDS = ("json", "libvirt", "c")


def backend(name: str):
    return importlib.import_module(f"{__package__}.backends.{name}")


class ConfigError(ValueError):
    """--config names a build option machines/ does not declare."""


@record
class Project:
    """A project: its root, machines/ below it, and any overlays."""

    root: Path
    # Vendor overlays layered on machines/ (overlay.py), in order.
    overlays: list[Path] = field(default_factory=list)

    @property
    def machines(self) -> Path:
        return self.root / "machines"

    @property
    def generated(self) -> Path:
        return self.root / "generated"


def load(project: Project, diags: Diagnostics) -> Corpus | None:
    """Parse and build every source; None if any of it failed."""
    parsed = []
    sources, registries = parser.find_sources(project.machines, project.root, diags)
    for path in sources:
        shown = parser.display_path(path, project.root)
        text = parser.read_source(path, shown, diags)
        if text is None:
            continue
        result = parser.parse_text(text, shown, diags)
        if result is not None:
            parsed.append(result)
    vendor_parsed, vendor_files = overlay.parse(project.overlays, project.root, diags)
    parsed += vendor_parsed
    if diags.has_errors:
        return None
    # Builder errors (duplicates, bad escapes) leave a consistent model behind,
    # so the checks still run and every problem is reported in one go.
    corpus = builder.build(parsed, diags)
    corpus.registry_files = [parser.display_path(p, project.root) for p in registries]
    corpus.vendor_files = vendor_files
    overlay.take_over(corpus)
    return corpus


def compile_project(
    project: Project,
    diags: Diagnostics,
    overrides: dict[str, bool] | None = None,
    registry: bool = True,
    entry_checks: bool = True,
) -> resolve.Resolved | None:
    """Everything up to the resolved model; None when any stage found errors.
    `overrides` changes build options (config.X) from their declared default.
    registry=False skips the QOM registries and their checks (mtc verify asks
    the binary itself, so a stale registry must not stop it).
    entry_checks=False loads the registries but does not check compat
    entries against them (the base side of a comparison: it is compared,
    not judged; its entries were checked when it was the working tree)."""
    corpus = load(project, diags)
    if corpus is None:
        return None
    config = guards.default_config(corpus)
    for name, value in (overrides or {}).items():
        if name not in config:
            known = ", ".join(sorted(config)) or "none declared"
            raise ConfigError(f"--config: unknown build option {name} (known: {known})")
        config[name] = value
    checks.check(corpus, diags)
    cchecks.check(corpus, diags)
    if registry:
        qomcheck.load_registries(corpus, project.root, diags)
        if entry_checks:
            qomcheck.check_entries(corpus, diags)
    if diags.has_errors:
        return None
    resolved = resolve.resolve(corpus, config)
    # Checks that need every machine's effective compat list.
    if registry and entry_checks:
        qomcheck.check_chains(resolved, diags)
    platforms.check(resolved, diags)
    if diags.has_errors:
        return None
    cchecks.warn_undescribed(corpus, diags)  # -E c-description makes them errors
    return None if diags.has_errors else resolved


def emit(resolved: resolve.Resolved, backends: list[str] | None = None) -> dict[str, str]:
    """Every generated file (of `backends`, default all), keyed by its path
    below generated/."""
    sources = resolved.corpus.files
    outputs: dict[str, str] = {}
    for name in BACKENDS:
        if backends is None or name in backends:
            merge_outputs(outputs, backend(name).emit(resolved, sources))
    return dict(sorted(outputs.items()))
