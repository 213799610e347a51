"""mtc diff: the effective compat properties and options that differ between
two machine types (or one type at two revisions), grouped by driver, with
provenance: scripts/compare-machine-types.py, from source, without QEMU."""

from __future__ import annotations

import json
import sys
from itertools import groupby

from ..resolve import ResolvedMachine
from . import common

NAME = "diff"


class Side:
    """One side of a diff: its machine and the tree it was resolved in, whose
    QOM registry gives the defaults of what no entry sets."""

    def __init__(self, resolved, machine: ResolvedMachine, label: str):
        self.resolved = resolved
        self.machine = machine
        self.label = label

    def default(self, driver: str, prop: str):
        return common.property_default(self.resolved, self.machine.target.name, driver, prop)

    def prop_json(self, key: tuple[str, str], state: common.State):
        if not state.is_set:
            default = self.default(*key)
            if default is not None:
                return default.to_json()
        return state.to_json("property")

    def prop_lines(self, key: tuple[str, str], state: common.State) -> list[str]:
        if not state.is_set:
            default = self.default(*key)
            if default is not None:
                return [default.text()]
        return state.lines("property")


def diff_json(a: Side, b: Side) -> dict:
    found = common.delta(a.machine, b.machine)
    properties: dict[str, dict] = {}
    for key, before, after in found.props:
        properties.setdefault(key[0], {})[key[1]] = {
            "a": a.prop_json(key, before),
            "b": b.prop_json(key, after),
        }
    return {
        "a": a.label,
        "b": b.label,
        "target": a.machine.target.name,
        "properties": properties,
        "options": {
            name: {"a": before.to_json("option"), "b": after.to_json("option")}
            for name, before, after in found.options
        },
    }


def render(a: Side, b: Side) -> str:
    found = common.delta(a.machine, b.machine)
    out = [f"--- {a.label}", f"+++ {b.label}"]
    drivers = {driver for (driver, _), _, _ in found.props}
    out.append(
        f"target {a.machine.target.name}: {len(found.props)} properties of {len(drivers)} "
        f"drivers and {len(found.options)} options differ"
    )
    for driver, items in groupby(found.props, key=lambda item: item[0][0]):
        out.append(f"{driver}")
        for key, before, after in items:
            out.append(f"  {key[1]}")
            out.extend(f"    - {line}" for line in a.prop_lines(key, before))
            out.extend(f"    + {line}" for line in b.prop_lines(key, after))
    if found.options:
        out.append("options")
        for name, before, after in found.options:
            out.append(f"  {name}")
            out.extend(f"    - {line}" for line in before.lines("option"))
            out.extend(f"    + {line}" for line in after.lines("option"))
    return "\n".join(out) + "\n"


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="effective properties and options that differ between two machine types",
        description="Compare the effective compat properties and options of machine A "
        "and machine B, grouped by driver, each with where it comes from.  With --base "
        "(or --base-dir), A is taken from the base and B (default: A) from the working "
        "tree: one machine type at two revisions.  Exit 0 either way.",
    )
    p.add_argument("a", metavar="A", help="machine name or alias")
    p.add_argument("b", metavar="B", nargs="?", help="machine name or alias")
    p.add_argument("--target", metavar="T", help="target binary (default: the first that has both)")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    common.add_at_argument(p)
    common.add_base_arguments(p, "take A from")


def pick_target(resolved_a, resolved_b, a: str, b: str, target: str | None) -> str:
    if target is not None:
        for resolved in (resolved_a, resolved_b):
            common.find_machine(resolved, a if resolved is resolved_a else b, target)
        return target
    both = [
        t
        for t in resolved_b.targets
        if t in resolved_a.targets
        and resolved_a.targets[t].find(a) is not None
        and resolved_b.targets[t].find(b) is not None
    ]
    if not both:
        # Let find_machine say which one is unknown.
        common.find_machine(resolved_a, a, None)
        common.find_machine(resolved_b, b, None)
        raise common.usage_error(f"no target has both {a} and {b}")
    return both[0]


def run(args) -> int:
    try:
        project, current = common.load_current(args)
        current = common.view_at(current, args.at)
        if args.base is None and args.base_dir is None:
            if args.b is None:
                raise common.usage_error("give two machines A B, or one with --base REV")
            target = pick_target(current, current, args.a, args.b, args.target)
            a = common.find_machine(current, args.a, target)
            b = common.find_machine(current, args.b, target)
            return emit(args, Side(current, a, a.name), Side(current, b, b.name))
        with common.base_tree(args, project) as (label, base, _):
            base = common.view_at(base, args.at)
            b_name = args.b or args.a
            target = pick_target(base, current, args.a, b_name, args.target)
            a = common.find_machine(base, args.a, target)
            b = common.find_machine(current, b_name, target)
            return emit(
                args,
                Side(base, a, f"{a.name} at {label}"),
                Side(current, b, f"{b.name} in the working tree"),
            )
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1


def emit(args, a: Side, b: Side) -> int:
    if args.json:
        print(json.dumps(diff_json(a, b), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(a, b))
    return 0
