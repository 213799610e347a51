"""mtc's command line.  Exit status: 0 success, 1 errors in the input, 2 usage."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__, workflow
from .files import OutputError

BACKEND_NAMES = ("c", "json", "libvirt")

MESON_EPILOG = """\
in QEMU's meson build, like qapi-gen (outputs of a single backend go directly
in @OUTDIR@, which custom_target needs):

  machine_types_c = custom_target('machine-types',
    output: ['compat.h', 'hw_compat.c', 'pc_compat.c', ...],
    input: files('machines/hw.mtc', ...),
    depfile: 'machine-types.d',
    command: [mtc, 'build', '--root', meson.current_source_dir(),
              '-o', '@OUTDIR@', '--backend', 'c', '--depfile', '@DEPFILE@'])
"""

# pipeline (and with it lark and the backends) is imported only when a
# command compiles: a cached build or `--help` does without it.

DESCRIPTION = """\
mtc compiles declarative QEMU machine-type definitions (machines/*.mtc) into
QEMU-style C compat tables, libvirt capability XML and JSON (generated/).
The project root is the nearest ancestor of the working directory that holds
machines/, or --root DIR."""

EPILOG = """\
exit status: 0 success, 1 errors in the input (or generated/ out of date for
'check'), 2 usage errors, 3 an internal error (a bug in mtc).  Run 'mtc COMMAND --help' for a command's options."""


class UsageError(Exception):
    pass


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; `command` is the subcommand about to run."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root",
        metavar="DIR",
        type=Path,
        help="project root holding machines/ (default: found from the working directory)",
    )
    common.add_argument(
        "--overlay",
        dest="overlays",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="layer a vendor overlay (a directory of .mtc files) on machines/",
    )
    common.add_argument(
        "-W",
        dest="warn",
        action="append",
        default=[],
        metavar="CHECK",
        help="report CHECK as a warning; -Wno-CHECK silences it; -Werror makes every "
        "warning an error, -Werror=CHECK only that one (-Wno-error=CHECK exempts it)",
    )
    common.add_argument(
        "-E",
        dest="error",
        action="append",
        default=[],
        metavar="CHECK",
        help="report CHECK as an error (the same as -Werror=CHECK)",
    )
    common.add_argument(
        "--config",
        metavar="KEY=on|off",
        action="append",
        default=[],
        help="describe a binary built with a different build option, e.g. "
        "CONFIG_XEN=on (default: each option's declared default)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only, no warnings or progress"
    )
    common.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diagnostics as gcc does (auto: on a terminal, unless NO_COLOR is set; "
        "FORCE_COLOR forces it)",
    )

    parser = argparse.ArgumentParser(
        prog="mtc",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mtc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "build",
        parents=[common],
        help="compile machines/ and write generated/",
        description="Compile machines/ and write generated/ (or -o DIR).  Nothing is\n"
        "written unless every check passed, and only files whose content changed, as\n"
        "one transaction: a build killed at any moment leaves the old files or a\n"
        "journal 'mtc check' reports, and the next build completes it.  Stale files\n"
        "are removed from generated/ only if its .mtc-manifest says mtc wrote them;\n"
        "nothing is written through a symbolic link.  An I/O error names the path\n"
        "(exit 1).",
        epilog=MESON_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        type=Path,
        help="write the outputs below DIR instead of generated/ (the source tree is left "
        "untouched; nothing stale is removed)",
    )
    p.add_argument(
        "--backend",
        action="append",
        choices=BACKEND_NAMES,
        help="emit only this backend's files (repeatable; default: all).  With one backend "
        "its files go directly in the output directory, not in a c/, json/ or libvirt/ "
        "subdirectory",
    )
    p.add_argument(
        "--depfile",
        metavar="FILE",
        type=Path,
        help="write a Makefile-syntax depfile naming every output and every input file "
        "the build read (for meson and ninja)",
    )
    p.add_argument(
        "--list-checks",
        action="store_true",
        help="list every check -W/-E accept, with its default severity, and exit",
    )
    p.add_argument(
        "--at",
        metavar="X.Y",
        help="the outputs of an earlier release machines/ holds, as its QEMU had them "
        "(machine types, aliases, defaults, compat sets of then), e.g. the C for a stable "
        "branch; needs -o DIR, generated/ is the current release's",
    )
    add_platform_commands(sub, common)
    p = sub.add_parser(
        "check",
        parents=[common],
        help="fail when generated/ is not what 'build' would write",
        description="Compile machines/ in memory and compare with generated/. "
        "Exit 0 when up to date, else 1 with a unified diff; an interrupted build, "
        "temporaries, symbolic links and files mtc did not write there fail it too.  The "
        "one command CI and pre-commit need.",
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        help="files that changed (as pre-commit passes them); the whole project is "
        "checked, found from the first FILE when --root is not given",
    )

    p = sub.add_parser(
        "list",
        parents=[common],
        help="list machine types per target",
        description="List every machine type of every target.",
    )
    p.add_argument("--target", metavar="T", help="only this target")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    add_at_argument(p)
    p = sub.add_parser(
        "show",
        parents=[common],
        help="show one machine type, fully resolved",
        description="Show a machine type's options and compat properties in "
        "application order, each with where it comes from.",
    )
    p.add_argument("machine", metavar="MACHINE", help="machine name or alias")
    p.add_argument("--target", metavar="T", help="target binary (default: the first that has it)")
    p.add_argument("--json", action="store_true", help="print the JSON backend's object")
    p.add_argument(
        "--device",
        metavar="DRIVER",
        help="list every property of QOM type DRIVER with its value in MACHINE: set by a "
        "compat entry (for DRIVER or an ancestor) or the default the QOM registry gives",
    )
    add_at_argument(p)
    import_help = "import a QEMU binary's QOM registry (types, properties, defaults)"
    if command == "import-qom":  # the module starts QEMU: imported only to run
        from . import qomimport

        p = sub.add_parser(
            "import-qom",
            help=import_help,
            description=qomimport.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        qomimport.add_arguments(p)
        p.add_argument("--root", metavar="DIR", type=Path, help="project root (default: found)")
    else:
        sub.add_parser("import-qom", help=import_help, add_help=False)
    # The workflow commands: only the one being run is imported and given its
    # full parser; the others are listed by name and help.
    for name, (_, help_text) in workflow.COMMANDS.items():
        if name == command:
            workflow.load(name).add_parser(sub, common)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def add_at_argument(parser) -> None:
    # As workflow.common.add_at_argument, which would import the pipeline.
    parser.add_argument(
        "--at",
        metavar="X.Y",
        help="describe release X.Y as its QEMU had it (machine types, aliases, defaults, "
        "deprecation and compat sets of then; default: the newest release)",
    )


def at_release(resolved, args):
    """resolved as of --at X.Y (machines/ as that release's QEMU had it)."""
    at = getattr(args, "at", None)
    if at is None:
        return resolved
    from .workflow import common

    return common.view_at(resolved, at)


def add_platform_commands(sub, common) -> None:
    sub.add_parser(
        "platforms",
        parents=[common],
        help="list the host platforms machines/ defines",
        description="List every platform: OS, kernel, accelerators (the first is the one "
        "a guest runs with) and host features, with what each inherits.",
    ).add_argument("--json", action="store_true", help="print the platforms as JSON")
    p = sub.add_parser(
        "migrate-check",
        parents=[common],
        help="can a guest of MACHINE migrate between two platforms?",
        description="Resolve MACHINE on both platforms and list every driver.property "
        "whose guest-visible value differs, with where each value comes from.  Exit 1 "
        "when migration can break, 0 when it cannot.  --matrix checks every machine "
        "against every ordered pair of platforms.",
    )
    p.add_argument("machine", metavar="MACHINE", nargs="?", help="machine name or alias")
    p.add_argument("--from", dest="source", metavar="P1", help="source platform")
    p.add_argument("--to", dest="destination", metavar="P2", help="destination platform")
    p.add_argument("--matrix", action="store_true", help="every machine x platform pair")
    p.add_argument("--target", metavar="T", help="target binary (default: the first)")
    p.add_argument("--accel", metavar="A", help="accelerator the guest runs with")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")


def diagnostics_for(args):
    """The Diagnostics of a run, with -W/-E applied; a misspelt check is a
    usage error."""
    from .checklist import CHECKS, suggest
    from .diagnostics import Diagnostics

    diags = Diagnostics()

    def known(name: str, flag: str) -> str:
        if name not in CHECKS:
            close = suggest(name)
            hint = f"; did you mean '{flag}{close}'?" if close else ""
            raise UsageError(
                f"unknown check '{name}' in {flag}{name}{hint} (see 'mtc build --list-checks')"
            )
        return name

    for flag in args.warn:
        if flag == "error":
            diags.warnings_are_errors = True
        elif flag.startswith("error="):
            diags.severity_overrides[known(flag[6:], "-Werror=")] = "error"
        elif flag.startswith("no-error="):
            diags.not_errors.add(known(flag[9:], "-Wno-error="))
        elif flag.startswith("no-"):
            diags.severity_overrides[known(flag[3:], "-Wno-")] = "ignore"
        else:
            diags.severity_overrides[known(flag, "-W")] = "warning"
    for name in args.error:
        diags.severity_overrides[known(name, "-E")] = "error"
    return diags


def use_color(args, stream) -> bool:
    """--color, then FORCE_COLOR and NO_COLOR, then whether stream is a tty."""
    choice = getattr(args, "color", "auto")
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def print_diagnostics(diags, args) -> None:
    sys.stderr.write(
        diags.render(color=use_color(args, sys.stderr), quiet=getattr(args, "quiet", False))
    )


def find_root(start: Path) -> Path | None:
    """The nearest ancestor of `start` (itself included) holding machines/."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / "machines").is_dir():
            return directory
    return None


def project_for(args):
    from .pipeline import Project

    overlays = [path.resolve() for path in getattr(args, "overlays", [])]
    for given, path in zip(getattr(args, "overlays", []), overlays):
        if not path.is_dir():
            raise UsageError(f"--overlay {given}: no such directory")
    if args.root is not None:
        if not (args.root / "machines").is_dir():
            raise UsageError(f"--root {args.root}: no machines/ directory there")
        return Project(args.root.resolve(), overlays)
    root = find_root(Path.cwd())
    if root is None:
        raise UsageError("no machines/ directory here or in any parent (use --root DIR)")
    return Project(root, overlays)


def parse_config(items: list[str]) -> dict[str, bool]:
    config = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or value not in ("on", "off", "y", "n", "yes", "no"):
            raise UsageError(f"--config {item}: expected KEY=on or KEY=off")
        config[key] = value in ("on", "y", "yes")
    return config


def compile_or_report(args, registry: bool = True):
    """(project, resolved); registry=False for a query that reads no QOM
    registry (list, show): it answers from machines/ alone, and leaves
    checking compat entries against the registries to build and check."""
    project = project_for(args)
    diags = diagnostics_for(args)
    config = parse_config(getattr(args, "config", []))
    resolved = compile_checked(project, diags, config, registry)
    # Warnings are for the commands that compile; queries show only failures.
    if resolved is None or args.command in ("build", "check"):
        print_diagnostics(diags, args)
    return project, resolved


def compile_checked(project, diags, config, registry: bool = True):
    """pipeline.compile_project, with an unknown --config name a usage error."""
    from . import pipeline

    try:
        return pipeline.compile_project(project, diags, config, registry=registry)
    except pipeline.ConfigError as exc:
        raise UsageError(str(exc)) from None


def build_outputs(args, backends=None):
    """(project, input files read, outputs or None): compile and emit, with
    every diagnostic printed."""
    from . import pipeline
    from .backends import BackendError
    from .diagnostics import Location

    project = project_for(args)
    diags = diagnostics_for(args)
    config = parse_config(getattr(args, "config", []))
    resolved = compile_checked(project, diags, config)
    outputs, inputs = None, []
    if resolved is not None:
        inputs = resolved.corpus.files + resolved.corpus.registry_files
        try:
            outputs = pipeline.emit(at_release(resolved, args), backends)
        except BackendError as exc:
            location = exc.location or Location(inputs[0] if inputs else "machines", 1, 1)
            if exc.line_only:
                location = diags.at_line_start(location)
            diags.error(location, str(exc))
    print_diagnostics(diags, args)
    return project, inputs, outputs


def cmd_build(args) -> int:
    from . import output

    if args.list_checks:
        from .checklist import listing

        sys.stdout.write(listing())
        return 0
    if args.at is not None and args.output_dir is None:
        raise UsageError("--at needs -o DIR: generated/ holds the current release's outputs")
    backends = list(dict.fromkeys(args.backend)) if args.backend else None
    project, inputs, outputs = build_outputs(args, backends)
    if outputs is None:
        where = args.output_dir or "generated/"
        print(f"mtc: errors found; {where} left untouched", file=sys.stderr)
        return 1
    if backends is not None and len(backends) == 1:
        prefix = backends[0] + "/"
        outputs = {rel.removeprefix(prefix): text for rel, text in outputs.items()}
    build_dir = args.output_dir is not None
    target = args.output_dir if build_dir else project.generated
    shown = (str(args.output_dir) if build_dir else "generated").rstrip("/") or "/"
    result = output.write_outputs(target, outputs, build_dir, shown)
    if not args.quiet:
        for rel in result.written:
            print(f"  GEN     {shown}/{rel}")
        for rel in result.removed:
            print(f"  RM      {shown}/{rel}")
        for rel in result.foreign:
            print(
                f"{shown}/{rel}: warning: not written by mtc, left in place "
                "('mtc check' fails while it is there)",
                file=sys.stderr,
            )
    if args.depfile is not None:
        output.write_depfile(
            args.depfile,
            [target / rel for rel in outputs],
            [project.root / rel for rel in inputs],
        )
    return 0


def cmd_check(args) -> int:
    from . import output

    if args.root is None and args.files:
        root = find_root(Path(args.files[0]).parent)
        if root is not None:
            args.root = root
    project, _, outputs = build_outputs(args)
    if outputs is None:
        return 1
    problems, diff = output.check_outputs(project.generated, outputs)
    for problem in problems:
        path, _, message = problem.partition(": ")
        print(f"{path}: error: {message}", file=sys.stderr)
    if diff:
        sys.stdout.write(diff)
    if problems or diff:
        print("mtc: generated/ is out of date; run 'mtc build'", file=sys.stderr)
        return 1
    return 0


def cmd_list(args) -> int:
    _, resolved = compile_or_report(args, registry=False)
    if resolved is None:
        return 1
    resolved = at_release(resolved, args)
    targets = select_targets(resolved, args.target)
    if args.json:
        report = {
            name: {
                "binary": resolved.targets[name].target.binary,
                "machines": [list_entry(m) for m in resolved.targets[name].machines],
            }
            for name in targets
        }
        print(json.dumps({"targets": report}, indent=2, ensure_ascii=False))
        return 0
    for name in targets:
        machines = resolved.targets[name].machines
        print(f"{name} ({resolved.targets[name].target.binary}):")
        width = max((len(m.name) for m in machines), default=0)
        for machine in machines:
            entry = list_entry(machine)
            notes = [f"alias {machine.alias}"] if machine.alias else []
            notes += [flag for flag in ("default", "deprecated", "unstable") if entry[flag]]
            extra = f"  ({', '.join(notes)})" if notes else ""
            print(f"  {machine.name:<{width}}  cpu-max {entry['cpu-max'] or '?'}{extra}")
    return 0


def list_entry(machine) -> dict:
    return {
        "name": machine.name,
        "alias": machine.alias,
        "default": machine.is_default,
        "deprecated": machine.deprecated,
        "unstable": machine.machine.unstable is not None,
        "cpu-max": machine.query_value("cpu-max"),
    }


def select_targets(resolved, target: str | None) -> list[str]:
    if target is None:
        return list(resolved.targets)
    if target not in resolved.targets:
        raise UsageError(f"unknown target '{target}' (known: {', '.join(resolved.targets)})")
    return [target]


def find_machine(resolved, name: str, target: str | None):
    for target_name in select_targets(resolved, target):
        machine = resolved.targets[target_name].find(name)
        if machine is not None:
            return machine
    where = f" for target {target}" if target else ""
    for target_name in select_targets(resolved, target):
        for machine in getattr(resolved.targets[target_name], "gone", ()):
            if machine.name == name:
                raise UsageError(
                    f"machine {name} is not in the build: {machine.absent} "
                    "(--at X.Y shows an earlier release)"
                )
    raise UsageError(f"unknown machine '{name}'{where} (see 'mtc list')")


def cmd_show(args) -> int:
    _, resolved = compile_or_report(args, registry=args.device is not None)
    if resolved is None:
        return 1
    resolved = at_release(resolved, args)
    machine = find_machine(resolved, args.machine, args.target)
    if args.device is not None:
        from .workflow import explain

        return explain.show_device(resolved, machine, args.device, args.json)
    if args.json:
        from .backends import json as json_backend

        print(json.dumps(json_backend.machine_json(machine), indent=2, ensure_ascii=False))
        return 0
    print(f"{machine.name} ({machine.target.name}, family {machine.family.name})")
    if machine.alias:
        print(f"  alias: {machine.alias}")
    print(f"  default: {'yes' if machine.is_default else 'no'}")
    parent = machine.parent.name if machine.parent else "none"
    print(f"  inherits: {parent}")
    if machine.deprecated:
        print(f"  deprecated: {machine.deprecation_reason}")
    print("  options:")
    for name, option in sorted(machine.options.items()):
        loc = option.assign.location
        print(
            f"    {name} = {json.dumps(option.value)}    ({option.set_by}, {loc.file}:{loc.line})"
        )
    effective = machine.effective()
    print(f"  compat properties ({len(machine.compat_props)}, in application order):")
    for prop in machine.compat_props:
        winner = effective[(prop.driver, prop.property)] is prop
        mark = "" if winner else "  [overridden later]"
        opt = " optional" if prop.optional else ""
        loc = prop.provenance.location
        print(
            f'    {prop.driver}.{prop.property} = "{prop.value}"{opt}    '
            f"({prop.provenance.set_name}, {loc.file}:{loc.line}){mark}"
        )
    return 0


def cmd_import_qom(args) -> int:
    from . import qomimport

    return qomimport.run(args, args.root or find_root(Path.cwd()))


def cmd_platforms(args) -> int:
    _, resolved = compile_or_report(args)
    if resolved is None:
        return 1
    platforms = resolved.corpus.platforms.values()
    if args.json:
        report = {}
        for platform in platforms:
            facts = platform.effective()
            report[platform.name] = {
                "extends": platform.extends,
                "desc": platform.desc or None,
                "os": facts.os,
                "kernel": str(facts.kernel) if facts.kernel else None,
                "accels": facts.accels,
                "features": sorted(facts.features),
            }
        print(json.dumps({"platforms": report}, indent=2, ensure_ascii=False))
        return 0
    for platform in platforms:
        facts = platform.effective()
        parent = f" (extends {platform.extends})" if platform.extends else ""
        print(f"{platform.name}{parent}: {platform.desc}" if platform.desc else platform.name)
        print(
            f"    os {facts.os}, kernel {facts.kernel or '-'}, accel {', '.join(facts.accels) or '-'}"
        )
        print(f"    features: {', '.join(sorted(facts.features)) or 'none'}")
    return 0


def platform_facts(resolved, name: str | None, option: str):
    if name is None:
        raise UsageError(f"{option} PLATFORM is required (see 'mtc platforms')")
    platform = resolved.corpus.platforms.get(name)
    if platform is None:
        known = ", ".join(resolved.corpus.platforms) or "none"
        raise UsageError(f"unknown platform '{name}' (known: {known})")
    return platform.effective()


def cmd_migrate_check(args) -> int:
    from . import platforms

    _, resolved = compile_or_report(args)
    if resolved is None:
        return 1
    corpus = resolved.corpus
    if args.matrix:
        return migrate_matrix(resolved, args)
    if args.machine is None:
        raise UsageError("give a MACHINE, or --matrix")
    machine = find_machine(resolved, args.machine, args.target)
    source = platform_facts(resolved, args.source, "--from")
    destination = platform_facts(resolved, args.destination, "--to")
    report = {"machine": machine.name, "from": source.name, "to": destination.name}
    # A machine that cannot start on one of the hosts is refused, with the
    # reason and nothing else: there is no guest to migrate.
    refused = {
        host.name: missing
        for host in (source, destination)
        if (missing := platforms.missing_requirements(machine, host))
    }
    if refused:
        report.update(verdict="cannot-run", requires=refused)
        if args.json:
            print(json.dumps(report, indent=2, ensure_ascii=False))
        for host, missing in refused.items():
            if not args.json:
                print(f"{machine.name} cannot run on {host}: it requires {', '.join(missing)}")
        return 1
    differences = platforms.migrate(machine, source, destination, corpus, args.accel)
    breaking = [d for d in differences if d.breaks]
    verdict = "can-break" if breaking else "safe" if differences else "same-abi"
    if args.json:
        report.update(
            verdict=verdict,
            differences=[
                {
                    "property": f"{d.driver}.{d.property}",
                    "breaks": d.breaks,
                    "from": {"value": d.source.value, "why": d.source.why},
                    "to": {"value": d.destination.value, "why": d.destination.why},
                }
                for d in differences
            ],
        )
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 1 if breaking else 0
    for diff in differences:
        note = "" if diff.breaks else "  [destination only offers more: not negotiated]"
        print(f"{diff.driver}.{diff.property}:{note}")
        print(f"    {source.name}: {diff.source.value}    ({diff.source.why})")
        print(f"    {destination.name}: {diff.destination.value}    ({diff.destination.why})")
    route = f"migration from {source.name} to {destination.name}"
    if breaking:
        count = len(breaking)
        print(
            f"{machine.name}: {route} can break "
            f"({count} guest-visible difference{'s' if count != 1 else ''})"
        )
        return 1
    if differences:
        print(f"{machine.name}: {route} is safe")
        return 0
    print(f"{machine.name}: the guest sees the same ABI on {source.name} and {destination.name}")
    return 0


def migrate_matrix(resolved, args) -> int:
    from . import platforms

    corpus = resolved.corpus
    names = list(corpus.platforms)
    pairs = [(a, b) for a in names for b in names if a != b]
    facts = {name: corpus.platforms[name].effective() for name in names}
    target = select_targets(resolved, args.target)[0]
    machines = resolved.targets[target].machines
    width = max((len(m.name) for m in machines), default=7)
    print(
        f"target {target}; columns: source -> destination; 'x' migration can break, "
        "'~' the destination offers more, '.' same ABI"
    )
    for index, (a, b) in enumerate(pairs):
        print(f"  [{index + 1}] {a} -> {b}")
    header = " ".join(f"{i + 1:>3}" for i in range(len(pairs)))
    print(f"{'machine':<{width}}  {header}")
    broken_any = False
    for machine in machines:
        cells = []
        for a, b in pairs:
            differences = platforms.migrate(machine, facts[a], facts[b], corpus, args.accel)
            broken = bool(
                platforms.missing_requirements(machine, facts[a])
                or platforms.missing_requirements(machine, facts[b])
                or any(d.breaks for d in differences)
            )
            broken_any |= broken
            cells.append("  x" if broken else "  ~" if differences else "  .")
        print(f"{machine.name:<{width}}  {' '.join(cells)}")
    return 1 if broken_any else 0


COMMANDS = {
    "build": cmd_build,
    "check": cmd_check,
    "list": cmd_list,
    "show": cmd_show,
    "import-qom": cmd_import_qom,
    "platforms": cmd_platforms,
    "migrate-check": cmd_migrate_check,
}


def entry() -> NoReturn:
    """The `mtc` command and `python -m mtc`.  mtc runs once and exits: what
    it allocates lives until then, and the cyclic collector would only cost
    time (a tenth of a build) finding nothing to free.

    For the same reason it leaves without tearing the interpreter down: by
    the time main() returns every file mtc wrote is closed and renamed into
    place, and what remains is freeing the model object by object and one
    last full collection -- another tenth of a build for memory the kernel
    takes back anyway."""
    gc.disable()
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader left (mtc list | head): not an error
        pass
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    # A build allocates millions of small objects and frees them by reference
    # counting; with the default thresholds the cyclic collector rescans them
    # all again and again, which makes big inputs take super-linear time
    # (5 MB: 14 s instead of 5).  Collect rarely while mtc runs; a caller in
    # the same process (the tests) gets its own thresholds back.
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 50)
    try:
        return run(argv)
    finally:
        gc.set_threshold(*thresholds)


def run(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = make_parser(command)
    args = parser.parse_args(argv)
    try:
        if args.command in workflow.COMMANDS:
            return workflow.load(args.command).run(args)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"mtc {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:  # the output directory, not the input, is at fault
        print(f"{exc.path}: error: {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in mtc, never the input's fault
        if os.environ.get("MTC_DEBUG"):
            raise
        print(
            f"mtc {args.command}: internal error: {exc.__class__.__name__}: {exc}\n"
            "  this is a bug in mtc; rerun with MTC_DEBUG=1 for a traceback and report it",
            file=sys.stderr,
        )
        return 3
