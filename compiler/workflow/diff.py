"""mtc diff: the effective compat properties and options that differ between
machine types, like QEMU's scripts/compare-machine-types.py, from source,
without QEMU.

Two machine types (or one type at two revisions, --base): each difference
with where each side's value comes from, grouped by driver.  Several (A B
C ..., or --all FAMILY for every machine type of a family), or any
--format: compare-machine-types.py's table, one row per driver.property
and option whose values differ, one column per machine type; a property no
entry sets shows the default the QOM registry gives, in parentheses.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from itertools import groupby

from ..qomvalues import same_value
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


# ---- the table of several machine types ------------------------------------------


class Table:
    """compare-machine-types.py's table: rows of driver.property (and
    options) whose values differ, a column per machine type."""

    def __init__(self, resolved, machines: list[ResolvedMachine], raw: bool = False):
        self.resolved = resolved
        self.machines = machines
        self.target = machines[0].target.name
        states = [common.prop_states(m) for m in machines]
        keys = sorted({key for state in states for key in state})
        self.rows = []  # (driver, property, cells); a cell is (value, is_default, guarded)
        for key in keys:
            cells = [self.cell(key, state.get(key, common.State())) for state in states]
            if raw or not all(self.same(key, cells[0], cell) for cell in cells[1:]):
                self.rows.append((key[0], key[1], cells))
        options = [common.option_states(m) for m in machines]
        names = sorted({name for state in options for name in state})
        self.options = []
        for name in names:
            cells = [option_cell(state.get(name, common.State())) for state in options]
            if raw or len(set(cells)) > 1:
                self.options.append((name, cells))

    def cell(self, key, state: common.State):
        guarded = [f"{p.value} if {common.guard_of(p)}" for p in state.guarded]
        if state.winner is not None:
            return (state.winner.value, False, tuple(guarded))
        default = common.property_default(self.resolved, self.target, *key)
        value = default.value if default is not None else None
        return (value, value is not None, tuple(guarded))

    def same(self, key, a, b) -> bool:
        if a[2] != b[2]:
            return False
        if a[0] == b[0]:
            return True
        registry = self.resolved.corpus.registries.get(self.target)
        found = registry.find_property(key[0], key[1]) if registry is not None else None
        return same_value(found.qom_type if found else None, a[0], b[0])

    def names(self) -> list[str]:
        return [m.name for m in self.machines]

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "machines": self.names(),
            "properties": [
                {
                    "driver": driver,
                    "property": prop,
                    "values": [
                        {"value": value, "default": is_default, "if-host": list(guarded)}
                        for value, is_default, guarded in cells
                    ],
                }
                for driver, prop, cells in self.rows
            ],
            "options": [
                {"name": name, "values": [json.loads(c) if c != "-" else None for c in cells]}
                for name, cells in self.options
            ],
        }

    def text_cells(self) -> list[list[str]]:
        rows = []
        for driver, prop, cells in self.rows:
            rows.append([driver, prop, *(cell_text(c) for c in cells)])
        for name, cells in self.options:
            rows.append(["(option)", name, *cells])
        return rows

    def render(self) -> str:
        header = ["driver", "property", *self.names()]
        rows = self.text_cells()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        out = [
            f"target {self.target}: {len(self.machines)} machine types, {len(self.rows)} "
            f"properties and {len(self.options)} options differ"
        ]
        for row in [header, *rows]:
            out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if any(c[1] for _, _, cells in self.rows for c in cells):
            out.append("(value): no compat entry sets it; the default of the QOM registry")
        return "\n".join(out) + "\n"

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["driver", "property", *self.names()])
        for driver, prop, cells in self.rows:
            writer.writerow([driver, prop, *("" if c[0] is None else c[0] for c in cells)])
        for name, cells in self.options:
            writer.writerow(["(option)", name, *("" if c == "-" else c for c in cells)])
        return buffer.getvalue()


def cell_text(cell) -> str:
    value, is_default, guarded = cell
    text = "-" if value is None else f"({value})" if is_default else value
    return "; ".join([text, *guarded]) if guarded else text


def option_cell(state: common.State) -> str:
    item = state.winner
    text = "-" if item is None else json.dumps(item.value, ensure_ascii=False)
    for option in state.guarded:
        text += f"; {json.dumps(option.value)} if {common.guard_of(option)}"
    return text


def family_machines(resolved, family: str, target: str | None) -> list[ResolvedMachine]:
    """Every machine type of `family` on the target (default: the first
    that has any), oldest first."""
    if family not in resolved.corpus.families:
        known = ", ".join(f for f, v in resolved.corpus.families.items() if not v.abstract)
        raise common.usage_error(f"--all: unknown family '{family}' (families: {known})")
    for name in common.targets_with(resolved, [], target):
        found = [m for m in resolved.targets[name].machines if m.family.name == family]
        if found:
            return sorted(found, key=lambda m: m.machine.version or common.Version(()))
    raise common.usage_error(f"--all: family {family} has no machine type on that target")


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="effective properties and options that differ between machine types",
        description="Compare the effective compat properties and options of machine types. "
        "Two (A B): grouped by driver, each value with where it comes from; with --base "
        "(or --base-dir), A is taken from the base and B (default: A) from the working "
        "tree: one machine type at two revisions.  Several (A B C ...), --all FAMILY or "
        "--format: a table like QEMU's scripts/compare-machine-types.py, one row per "
        "driver.property or option whose values differ, one column per machine type; "
        "'(on)' is a default no entry sets.  Exit 0 either way.",
    )
    p.add_argument("machines", metavar="MACHINE", nargs="*", help="machine names or aliases")
    p.add_argument(
        "--all",
        metavar="FAMILY",
        action="append",
        help="every machine type of FAMILY (repeatable), oldest first",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        help="print the comparison as a table (default for several machine types), JSON " "or CSV",
    )
    p.add_argument(
        "--raw", action="store_true", help="in a table, list every property, not only differences"
    )
    p.add_argument("--target", metavar="T", help="target binary (default: the first that has all)")
    p.add_argument("--json", action="store_true", help="print the two-machine diff as JSON")
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
    names = list(args.machines)
    table = args.all or args.format is not None or len(names) > 2
    try:
        project, current = common.load_current(args, entry_checks=False)
        current = common.view_at(current, args.at)
        if table:
            if args.base is not None or args.base_dir is not None:
                raise common.usage_error(
                    "--base compares one or two machine types; a table compares machine "
                    "types of one tree"
                )
            if args.json:
                raise common.usage_error("--json is the two-machine diff's: use --format json")
            return emit_table(args, current, names)
        if args.base is None and args.base_dir is None:
            if len(names) != 2:
                raise common.usage_error("give two machines A B, or one with --base REV")
            target = pick_target(current, current, names[0], names[1], args.target)
            a = common.find_machine(current, names[0], target)
            b = common.find_machine(current, names[1], target)
            return emit(args, Side(current, a, a.name), Side(current, b, b.name))
        if not names:
            raise common.usage_error("give the machine to compare with the base")
        with common.base_tree(args, project) as (label, base, _):
            base = common.view_at(base, args.at)
            b_name = names[1] if len(names) > 1 else names[0]
            target = pick_target(base, current, names[0], b_name, args.target)
            a = common.find_machine(base, names[0], target)
            b = common.find_machine(current, b_name, target)
            return emit(
                args,
                Side(base, a, f"{a.name} at {label}"),
                Side(current, b, f"{b.name} in the working tree"),
            )
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1


def emit_table(args, resolved, names: list[str]) -> int:
    machines: list[ResolvedMachine] = []
    target = args.target
    for family in args.all or []:
        found = family_machines(resolved, family, target)
        target = found[0].target.name
        machines += found
    if names:
        chosen = common.targets_with(resolved, names, target)
        if not chosen:
            for name in names:
                common.find_machine(resolved, name, target)  # says which is unknown
            raise common.usage_error(f"no target has all of {', '.join(names)}")
        target = chosen[0]
        machines += [common.find_machine(resolved, name, target) for name in names]
    if len(machines) < 2:
        raise common.usage_error("a table compares two or more machine types")
    if len({m.target.name for m in machines}) > 1:
        raise common.usage_error("--all and the machines named are on different targets")
    table = Table(resolved, machines, raw=args.raw)
    if args.format == "json":
        print(json.dumps(table.to_json(), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(table.csv())
    else:
        sys.stdout.write(table.render())
    return 0


def emit(args, a: Side, b: Side) -> int:
    if args.json:
        print(json.dumps(diff_json(a, b), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(a, b))
    return 0
