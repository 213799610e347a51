"""What the workflow commands share: loading trees (the working tree, a second
tree, a git revision), comparing two resolved machines, and showing where a
value comes from.

Everything here reads the resolved model (resolve.py); nothing re-derives
inheritance.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path

from ..records import record
from .. import pipeline
from ..diagnostics import Diagnostics
from ..resolve import Resolved, ResolvedMachine, ResolvedOption, ResolvedProp
from ..versions import Version


class Failure(Exception):
    """An error in the input (exit 1); the message is fit for the user."""


def usage_error(message: str) -> Exception:
    """cli.UsageError (exit 2); imported late, cli imports this package."""
    from ..cli import UsageError

    return UsageError(message)


def parse_version(text: str, what: str, parts: tuple[int, ...] = (2,)) -> Version:
    """A version given on the command line; a usage error if it is malformed."""
    pieces = text.split(".")
    if len(pieces) not in parts or not all(p.isdigit() for p in pieces):
        shapes = " or ".join(".".join("XYZ"[:n]) for n in parts)
        raise usage_error(f"{what} must look like {shapes}, got '{text}'")
    try:
        return Version.parse(text)
    except ValueError:
        raise usage_error(
            f"{what}: '{text}' is not a version (decimal parts without leading zeros)"
        ) from None


# ---- loading trees -------------------------------------------------------------


def compile_tree(
    root: Path,
    label: str,
    args=None,
    show_warnings: bool = False,
    overlays=None,
    config=None,
    entry_checks: bool = True,
):
    """Resolve the project at root, with the overlays and --config options
    args names (the same on both sides of a comparison); None (diagnostics
    on stderr) on errors."""
    diags = Diagnostics()
    if args is not None:
        from ..cli import diagnostics_for

        diags = diagnostics_for(args)
    if overlays is None:
        overlays = getattr(args, "overlays", [])
    overlays = [Path(p).resolve() for p in overlays]
    if config is None:
        config = {}
        if args is not None:
            from ..cli import parse_config

            config = parse_config(getattr(args, "config", []))
    try:
        resolved = pipeline.compile_project(
            pipeline.Project(root, overlays), diags, config, entry_checks=entry_checks
        )
    except pipeline.ConfigError as exc:
        raise usage_error(str(exc)) from None
    if resolved is None or show_warnings:
        from ..cli import use_color

        color = use_color(args, sys.stderr) if args is not None else False
        text = diags.render(color=color, quiet=getattr(args, "quiet", False))
        if text and label:
            sys.stderr.write(f"In {label}:\n")
        sys.stderr.write(text)
    return resolved


def load_current(args, entry_checks: bool = True):
    """(project, resolved) for the working tree, or Failure.  A query that
    only reads (diff, explain) passes entry_checks=False: checking compat
    entries against the registries is build's and check's, as list and show
    leave it."""
    from ..cli import project_for

    project = project_for(args)
    # Like mtc's other queries: warnings are build's and check's to show.
    resolved = compile_tree(project.root, "", args, entry_checks=entry_checks)
    if resolved is None:
        raise Failure("errors found in machines/")
    return project, resolved


def git(cwd: Path, *argv: str, binary: bool = False):
    import subprocess  # only --base runs git: queries do without the import

    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *argv], capture_output=True, text=not binary, check=False
        )
    except FileNotFoundError:
        raise usage_error("--base needs git, which is not installed") from None


@contextlib.contextmanager
def tree_at_revision(root: Path, rev: str):
    """Yield (project root, short commit) of machines/ as it was at rev.

    The repository is the one holding root (the project may sit in a
    subdirectory of it); machines/ is extracted with 'git archive' into a
    temporary directory, so diagnostics show the same paths as the working tree.
    """
    top = git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise usage_error(f"--base: {root} is not in a git repository")
    prefix = git(root, "rev-parse", "--show-prefix").stdout.strip()
    commit = git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise usage_error(f"--base: unknown revision '{rev}'")
    sha = commit.stdout.strip()
    archive = git(
        Path(top.stdout.strip()),
        "archive",
        "--format=tar",
        sha,
        "--",
        f"{prefix}machines",
        binary=True,
    )
    if archive.returncode != 0:
        raise usage_error(f"--base: revision '{rev}' has no {prefix}machines/ directory")
    import io
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mtc-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            try:
                tar.extractall(tmp, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(tmp)  # noqa: S202 - git archive output
        yield Path(tmp) / prefix, sha[:12]


@contextlib.contextmanager
def base_tree(args, project):
    """Yield (label, resolved, root) for --base REV or --base-dir DIR, built
    with the same --config options as the working tree, or Failure."""
    from ..cli import parse_config

    config = parse_config(getattr(args, "config", []))
    if args.base is not None and args.base_dir is not None:
        raise usage_error("give --base or --base-dir, not both")
    if args.base_dir is not None:
        root = Path(args.base_dir)
        if not (root / "machines").is_dir():
            raise usage_error(f"--base-dir {root}: no machines/ directory there")
        label = str(root)
        resolved = compile_tree(
            root.resolve(),
            f"the base tree {label}",
            overlays=args.overlays,
            config=config,
            entry_checks=False,
        )
        if resolved is None:
            raise Failure(f"the base tree {label} does not compile")
        yield label, resolved, root.resolve()
        return
    with tree_at_revision(project.root, args.base) as (root, sha):
        label = f"{args.base} ({sha})" if not sha.startswith(args.base) else args.base
        resolved = compile_tree(
            root,
            f"the base revision {label}",
            overlays=args.overlays,
            config=config,
            entry_checks=False,
        )
        if resolved is None:
            raise Failure(f"machines/ at {label} does not compile")
        yield label, resolved, root


def find_machine(resolved: Resolved, name: str, target: str | None) -> ResolvedMachine:
    from ..cli import find_machine as cli_find

    return cli_find(resolved, name, target)


def targets_with(resolved: Resolved, names: list[str], target: str | None) -> list[str]:
    from ..cli import select_targets

    chosen = select_targets(resolved, target)
    return [t for t in chosen if all(resolved.targets[t].find(n) for n in names)]


# ---- provenance ------------------------------------------------------------------


def spans(names: list[str]) -> str:
    """pc-q35-2.4 .. pc-q35-8.1 (24), isapc: per family, oldest first."""
    families: dict[str, list[tuple]] = {}
    for name in dict.fromkeys(names):
        match = re.match(r"(.*)-(\d+(?:\.\d+)+)\Z", name)
        family, version = (match.group(1), match.group(2)) if match else (name, "")
        key = tuple(int(p) for p in version.split(".")) if version else ()
        families.setdefault(family, []).append((key, name))
    parts = []
    for members in families.values():
        members.sort()
        if len(members) <= 3:
            parts.append(", ".join(name for _, name in members))
        else:
            parts.append(f"{members[0][1]} .. {members[-1][1]} ({len(members)})")
    return ", ".join(parts)


def where(location) -> str:
    return f"{location.file}:{location.line}"


def guard_of(item):
    """The guard a compat entry or option assignment carries, or None."""
    guard = getattr(item, "guard", None)  # ResolvedProp.guard: its entry's
    if guard is None:
        guard = getattr(getattr(item, "assign", None), "guard", None)
    return guard


def host_guard(item):
    """The guard if it is a host condition: the item applies on some hosts only.
    A build-time guard that let the item into this binary always holds here."""
    guard = guard_of(item)
    if guard is None or getattr(guard, "is_build_time", False):
        return None
    return guard


def prop_json(prop: ResolvedProp | None) -> dict | None:
    if prop is None:
        return None
    obj = {
        "value": prop.value,
        "optional": prop.optional,
        "set": prop.provenance.set_name,
        "release": prop.provenance.release,
        "location": where(prop.provenance.location),
    }
    guard = guard_of(prop)
    if guard is not None:
        obj["guard"] = str(guard)
    return obj


def option_json(option: ResolvedOption | None) -> dict | None:
    if option is None:
        return None
    obj = {
        "value": option.value,
        "set-by": option.set_by,
        "location": where(option.assign.location),
    }
    guard = guard_of(option)
    if guard is not None:
        obj["guard"] = str(guard)
    return obj


def prop_text(prop: ResolvedProp | None) -> str:
    if prop is None:
        return "(not set)"
    release = f", release {prop.provenance.release}" if prop.provenance.release else ""
    guard = guard_of(prop)
    value = f"{json.dumps(prop.value, ensure_ascii=False)}{' optional' if prop.optional else ''}"
    value = f"{value} if {guard}" if guard is not None else value
    return f"{value}  ({prop.provenance.set_name}{release}, {where(prop.provenance.location)})"


def option_text(option: ResolvedOption | None) -> str:
    if option is None:
        return "(not set)"
    guard = guard_of(option)
    value = json.dumps(option.value)
    value = f"{value} if {guard}" if guard is not None else value
    return f"{value}  ({option.set_by}, {where(option.assign.location)})"


# ---- property defaults -------------------------------------------------------------


@record(frozen=True)
class Default:
    """What a property is where no compat entry sets it, per the QOM
    registry of the machine's target."""

    value: str | None  # None: the registry knows no default
    binary: str  # "qemu-system-x86_64 10.0.2 (...)", for saying where from
    has_type: bool = True  # False: the target's binary has no such type

    def text(self) -> str:
        if not self.has_type:
            return f"(not set; {self.binary.split(' ')[0]} has no such type)"
        if self.value is None:
            return "(not set)"
        return f"(default) {self.value}"

    def to_json(self) -> dict:
        found = {"value": self.value, "default": True, "registry": self.binary}
        if not self.has_type:
            found["no-such-type"] = True
        return found


def property_default(resolved: Resolved, target: str, driver: str, prop: str) -> Default | None:
    """The default of driver.prop (driver expanded for target) in target's
    QOM registry; None without a registry."""
    from ..qomcheck import registry_for

    registry = registry_for(resolved.corpus, target)
    if registry is None:
        return None
    if driver not in registry.types:
        return Default(None, registry.binary, has_type=False)
    return Default(registry.default_of(driver, prop), registry.binary)


# ---- comparing two machines ------------------------------------------------------


@record(frozen=True)
class State:
    """One (driver, property) or option of a machine: the value in effect on
    every host (winner, None if unset) and the host-guarded values applied
    after it, each in effect where its guard holds."""

    winner: object = None
    guarded: tuple = ()

    def signature(self, kind: str) -> tuple:
        items = ((self.winner,) if self.winner is not None else (None,)) + self.guarded
        if kind == "property":
            return tuple(
                None if p is None else (p.value, p.optional, str(guard_of(p) or "")) for p in items
            )
        return tuple(
            None if o is None else (json.dumps(o.value), str(guard_of(o) or "")) for o in items
        )

    @property
    def is_set(self) -> bool:
        return self.winner is not None or bool(self.guarded)

    def to_json(self, kind: str) -> dict | None:
        render = prop_json if kind == "property" else option_json
        if not self.guarded:
            return render(self.winner)
        obj = render(self.winner) or {"value": None}
        obj["if-host"] = [render(item) for item in self.guarded]
        return obj

    def lines(self, kind: str) -> list[str]:
        render = prop_text if kind == "property" else option_text
        out = [render(self.winner)] if self.winner is not None or not self.guarded else []
        return out + [render(item) for item in self.guarded]


def prop_states(machine: ResolvedMachine) -> dict[tuple[str, str], State]:
    states: dict[tuple[str, str], State] = {}
    for prop in machine.compat_props:
        key = (prop.driver, prop.property)
        if host_guard(prop) is None:
            states[key] = State(prop)
        else:
            old = states.get(key, State())
            states[key] = State(old.winner, old.guarded + (prop,))
    return states


def option_states(machine: ResolvedMachine) -> dict[str, State]:
    states = {name: State(option) for name, option in machine.options.items()}
    for option in getattr(machine, "host_options", ()):
        old = states.get(option.name, State())
        states[option.name] = State(old.winner, old.guarded + (option,))
    return states


@record
class Delta:
    """Two machines' effective compat properties and options that differ:
    (key, state in a, state in b), sorted by driver and property / by name."""

    props: list[tuple[tuple[str, str], State, State]]
    options: list[tuple[str, State, State]]

    def __bool__(self) -> bool:
        return bool(self.props or self.options)


def delta(a: ResolvedMachine, b: ResolvedMachine) -> Delta:
    """What differs between a and b: value, optional flag, guard or presence."""
    pa, pb = prop_states(a), prop_states(b)
    props = [
        (key, pa.get(key, State()), pb.get(key, State()))
        for key in sorted(set(pa) | set(pb))
        if pa.get(key, State()).signature("property") != pb.get(key, State()).signature("property")
    ]
    return Delta(props, delta_options(a, b))


def delta_options(a: ResolvedMachine, b: ResolvedMachine) -> list:
    oa, ob = option_states(a), option_states(b)
    return [
        (name, oa.get(name, State()), ob.get(name, State()))
        for name in sorted(set(oa) | set(ob))
        if oa.get(name, State()).signature("option") != ob.get(name, State()).signature("option")
    ]


def add_base_arguments(parser, what: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--base",
        metavar="REV",
        help=f"{what} machines/ at git revision REV of the repository holding the project",
    )
    group.add_argument(
        "--base-dir",
        metavar="DIR",
        help=f"{what} a second project tree (a directory holding machines/)",
    )


# ---- machines/ as of an earlier release --------------------------------------------


def add_at_argument(parser) -> None:
    parser.add_argument(
        "--at",
        metavar="X.Y",
        help="describe release X.Y as its QEMU had it (machine types, aliases, defaults, "
        "deprecation and compat sets of then; default: the newest release)",
    )


def view_at(resolved: Resolved, at: str | None) -> Resolved:
    """resolved as of release `at` (asof.py); a usage error for a release
    machines/ does not declare."""
    if at is None:
        return resolved
    from .. import asof

    try:
        return asof.resolve_at(resolved, asof.parse_release(resolved.corpus, at))
    except asof.AsOfError as exc:
        raise usage_error(f"--at: {exc}") from None
