"""mtc's command line.  Exit status: 0 success, 1 errors in the input, 2 usage."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import output, pipeline
from .backends import json as json_backend
from .diagnostics import Diagnostics

DESCRIPTION = """\
mtc compiles declarative QEMU machine-type definitions (machines/*.mtc) into
QEMU-style C compat tables, libvirt capability XML and JSON (generated/).
The project root is the nearest ancestor of the working directory that holds
machines/, or --root DIR."""

EPILOG = """\
exit status: 0 success, 1 errors in the input (or generated/ out of date for
'check'), 2 usage errors.  Run 'mtc COMMAND --help' for a command's options."""


class UsageError(Exception):
    pass


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", metavar="DIR", type=Path,
        help="project root holding machines/ (default: found from the working directory)",
    )
    common.add_argument(
        "-W", dest="warn", action="append", default=[], metavar="CHECK",
        help="report CHECK as a warning; -Wno-CHECK silences it",
    )
    common.add_argument(
        "-E", dest="error", action="append", default=[], metavar="CHECK",
        help="report CHECK as an error",
    )

    parser = argparse.ArgumentParser(
        prog="mtc", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser(
        "build", parents=[common],
        help="compile machines/ and write generated/",
        description="Compile machines/ and write generated/.  Nothing is written "
        "unless every check passed; files are replaced atomically and only when "
        "their content changed; stale files are removed.",
    )
    sub.add_parser(
        "check", parents=[common],
        help="fail when generated/ is not what 'build' would write",
        description="Compile machines/ in memory and compare with generated/. "
        "Exit 0 when up to date, else 1 with a unified diff.",
    )
    p = sub.add_parser(
        "list", parents=[common], help="list machine types per target",
        description="List every machine type of every target.",
    )
    p.add_argument("--target", metavar="T", help="only this target")
    p = sub.add_parser(
        "show", parents=[common], help="show one machine type, fully resolved",
        description="Show a machine type's options and compat properties in "
        "application order, each with where it comes from.",
    )
    p.add_argument("machine", metavar="MACHINE", help="machine name or alias")
    p.add_argument("--target", metavar="T", help="target binary (default: the first that has it)")
    p.add_argument("--json", action="store_true", help="print the JSON backend's object")
    p = sub.add_parser(
        "import-qom",
        help="turn a QEMU QOM dump into the registry under machines/registry/",
        description="Turn a QOM dump into a registry file.  Produce the dump from a "
        "QEMU build with QMP: 'qom-list-types' with abstract=true, then "
        "'qom-list-properties' with typename=T for every type T (see README).",
    )
    p.add_argument("dump", metavar="DUMP.json", help="the dump to import")
    p.add_argument("--release", metavar="X.Y", help="its QEMU release (default: from the dump)")
    p.add_argument(
        "-o", "--output", metavar="OUT",
        help="default: machines/registry/qemu-<release>-<arch>.qom.json below the project root",
    )
    p.add_argument("--check", action="store_true", help="only report whether OUT is up to date")
    p.add_argument("--root", metavar="DIR", type=Path, help="project root (default: found)")
    return parser


def diagnostics_for(args) -> Diagnostics:
    diags = Diagnostics()
    for name in args.warn:
        if name.startswith("no-"):
            diags.severity_overrides[name[3:]] = "ignore"
        else:
            diags.severity_overrides[name] = "warning"
    for name in args.error:
        diags.severity_overrides[name] = "error"
    return diags


def project_for(args) -> pipeline.Project:
    if args.root is not None:
        if not (args.root / "machines").is_dir():
            raise UsageError(f"--root {args.root}: no machines/ directory there")
        return pipeline.Project(args.root.resolve())
    root = pipeline.find_root(Path.cwd())
    if root is None:
        raise UsageError("no machines/ directory here or in any parent (use --root DIR)")
    return pipeline.Project(root)


def compile_or_report(args):
    project = project_for(args)
    diags = diagnostics_for(args)
    resolved = pipeline.compile_project(project, diags)
    sys.stderr.write(diags.render())
    return project, resolved


def cmd_build(args) -> int:
    project, resolved = compile_or_report(args)
    if resolved is None:
        print("mtc: errors found; generated/ left untouched", file=sys.stderr)
        return 1
    outputs = pipeline.emit(resolved)
    written, removed = output.write_outputs(project.generated, outputs)
    for rel in written:
        print(f"  GEN     generated/{rel}")
    for rel in removed:
        print(f"  RM      generated/{rel}")
    return 0


def cmd_check(args) -> int:
    project, resolved = compile_or_report(args)
    if resolved is None:
        return 1
    diff = output.diff_outputs(project.generated, pipeline.emit(resolved))
    if diff:
        sys.stdout.write(diff)
        print("mtc: generated/ is out of date; run 'mtc build'", file=sys.stderr)
        return 1
    return 0


def cmd_list(args) -> int:
    _, resolved = compile_or_report(args)
    if resolved is None:
        return 1
    targets = select_targets(resolved, args.target)
    for name in targets:
        machines = resolved.targets[name].machines
        print(f"{name} ({resolved.targets[name].target.binary}):")
        width = max((len(m.name) for m in machines), default=0)
        for machine in machines:
            notes = []
            if machine.alias:
                notes.append(f"alias {machine.alias}")
            if machine.is_default:
                notes.append("default")
            if machine.deprecated:
                notes.append("deprecated")
            if machine.machine.unstable is not None:
                notes.append("unstable")
            cpus = machine.query_value("cpu-max", "?")
            extra = f"  ({', '.join(notes)})" if notes else ""
            print(f"  {machine.name:<{width}}  cpu-max {cpus}{extra}")
    return 0


def select_targets(resolved, target: str | None) -> list[str]:
    if target is None:
        return list(resolved.targets)
    if target not in resolved.targets:
        raise UsageError(
            f"unknown target '{target}' (known: {', '.join(resolved.targets)})"
        )
    return [target]


def find_machine(resolved, name: str, target: str | None):
    for target_name in select_targets(resolved, target):
        machine = resolved.targets[target_name].find(name)
        if machine is not None:
            return machine
    where = f" for target {target}" if target else ""
    raise UsageError(f"unknown machine '{name}'{where} (see 'mtc list')")


def cmd_show(args) -> int:
    _, resolved = compile_or_report(args)
    if resolved is None:
        return 1
    machine = find_machine(resolved, args.machine, args.target)
    if args.json:
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
        print(f"    {name} = {json.dumps(option.value)}    ({option.set_by}, {loc.file}:{loc.line})")
    effective = machine.effective()
    print(f"  compat properties ({len(machine.compat_props)}, in application order):")
    for prop in machine.compat_props:
        winner = effective[(prop.driver, prop.property)] is prop
        mark = "" if winner else "  [overridden later]"
        opt = " optional" if prop.optional else ""
        loc = prop.provenance.location
        print(
            f"    {prop.driver}.{prop.property} = \"{prop.value}\"{opt}    "
            f"({prop.provenance.set_name}, {loc.file}:{loc.line}){mark}"
        )
    return 0


def cmd_import_qom(args) -> int:
    from . import qom

    argv = [args.dump]
    if args.release:
        argv += ["--release", args.release]
    if args.output:
        argv += ["--output", args.output]
    if args.check:
        argv.append("--check")
    root = args.root or pipeline.find_root(Path.cwd())
    return qom.main_import_qom(argv, root)


COMMANDS = {
    "build": cmd_build,
    "check": cmd_check,
    "list": cmd_list,
    "show": cmd_show,
    "import-qom": cmd_import_qom,
}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"mtc {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
