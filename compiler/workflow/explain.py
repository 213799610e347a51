"""mtc explain: why a machine type has the value it has for one compat
property (DRIVER.PROPERTY) or option (NAME): the value in effect and every
entry along the chain that set it, in application order, with set, release,
file:line, the machine that applied it and its guard."""

from __future__ import annotations

import difflib
import json
import sys

from ..records import record
from .. import values
from ..model import expand_macros
from ..resolve import ResolvedMachine
from . import common

NAME = "explain"


@record
class Step:
    value: object
    origin: str  # hw_compat_4_2, or the family/machine that assigned an option
    release: str | None
    location: str
    applied_by: str
    guard: str | None
    in_effect: bool
    optional: bool = False
    kind: str = "property"

    def to_json(self) -> dict:
        obj = {
            "value": self.value,
            "set" if self.kind == "property" else "set-by": self.origin,
            "release": self.release,
            "location": self.location,
            "applied-by": self.applied_by,
            "in-effect": self.in_effect,
        }
        if self.optional:
            obj["optional"] = True
        if self.guard is not None:
            obj["guard"] = self.guard
        return obj


def appliers(machine: ResolvedMachine, corpus) -> list[str]:
    """For each of machine.compat_props, the family or machine that applied
    its set (the resolver's order: family sets, then the chain newest first)."""
    chain = machine.machine.chain()
    root = chain[0]
    expected = []
    root_family = corpus.families[root.family]
    for member in root_family.lineage():
        for ref in member.compat:
            expected.append((f"family {member.name}", corpus.compat_sets[ref.key]))
    for node in chain:
        for ref in node.compat:
            expected.append((node.name, corpus.compat_sets[ref.key]))
    result: list[str] = []
    index = 0
    for prop in machine.compat_props:
        while index < len(expected) and expected[index][1] is not prop.compat:
            index += 1
        result.append(expected[index][0] if index < len(expected) else "?")
    return result


def explain_property(machine: ResolvedMachine, driver: str, prop: str, corpus) -> list[Step]:
    states = common.prop_states(machine)
    in_effect = set()
    for state in states.values():
        if state.winner is not None:
            in_effect.add(id(state.winner))
        in_effect.update(id(p) for p in state.guarded)
    steps = []
    for item, applied_by in zip(machine.compat_props, appliers(machine, corpus)):
        if item.property != prop or driver not in (item.driver, item.entry.driver):
            continue
        guard = common.guard_of(item)
        steps.append(
            Step(
                value=item.value,
                origin=item.provenance.set_name,
                release=item.provenance.release,
                location=common.where(item.provenance.location),
                applied_by=applied_by,
                guard=str(guard) if guard is not None else None,
                in_effect=id(item) in in_effect,
                optional=item.optional,
            )
        )
    return steps


def explain_option(machine: ResolvedMachine, name: str, corpus) -> list[Step]:
    chain = machine.machine.chain()
    sources = [
        (f"family {member.name}", member.options)
        for member in corpus.families[chain[0].family].lineage()
    ]
    sources += [(node.name, node.options) for node in chain]
    state = common.option_states(machine).get(name, common.State())
    in_effect = set()
    if state.winner is not None:
        in_effect.add(id(state.winner.assign))
    in_effect.update(id(o.assign) for o in state.guarded)
    resolved = {id(o.assign): o for o in (state.winner, *state.guarded) if o is not None}
    steps = []
    for set_by, assigns in sources:
        for assign in assigns:
            if assign.name != name:
                continue
            option = resolved.get(id(assign))
            guard = getattr(assign, "guard", None)
            decl = corpus.options[name]
            value = values.json_value(decl, assign.value, corpus.consts, machine.target)
            steps.append(
                Step(
                    value=option.value if option is not None else value,
                    origin=set_by,
                    release=None,
                    location=common.where(assign.location),
                    applied_by=set_by,
                    guard=str(guard) if guard is not None else None,
                    in_effect=id(assign) in in_effect,
                    kind="option",
                )
            )
    return steps


def suggestions(machine: ResolvedMachine, subject: str, is_option: bool) -> list[str]:
    if is_option:
        names = list(machine.options) + [o.name for o in getattr(machine, "host_options", [])]
    else:
        names = sorted({f"{p.driver}.{p.property}" for p in machine.compat_props})
    return difflib.get_close_matches(subject, names, n=3, cutoff=0.6)


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="why a machine type has a compat property's (or option's) value",
        description="Show the value in effect of DRIVER.PROPERTY (a compat property; the "
        "driver as in generated/ or as written, ${MACRO} and all) or of an option NAME, and "
        "every entry along the machine's chain that set it, in application order: set, "
        "release, file:line, the family or machine that applied it, and its guard.",
    )
    p.add_argument("machine", metavar="MACHINE", help="machine name or alias")
    p.add_argument("subject", metavar="DRIVER.PROPERTY|OPTION")
    p.add_argument("--target", metavar="T", help="target binary (default: the first that has it)")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    common.add_at_argument(p)


def run(args) -> int:
    try:
        _, resolved = common.load_current(args, entry_checks=False)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    resolved = common.view_at(resolved, args.at)
    machine = common.find_machine(resolved, args.machine, args.target)
    is_option = "." not in args.subject
    if is_option:
        if args.subject not in resolved.corpus.options:
            raise common.usage_error(
                f"'{args.subject}' is neither DRIVER.PROPERTY nor a declared option"
                + hint(difflib.get_close_matches(args.subject, resolved.corpus.options, n=3))
            )
        steps = explain_option(machine, args.subject, resolved.corpus)
        default = None
    else:
        driver, _, prop = args.subject.partition(".")
        steps = explain_property(machine, driver, prop, resolved.corpus)
        expanded = expand_macros(driver, machine.target.defines)
        default = common.property_default(resolved, machine.target.name, expanded, prop)
    effective = [s for s in steps if s.in_effect]
    if args.json:
        print(
            json.dumps(
                {
                    "machine": machine.name,
                    "target": machine.target.name,
                    "subject": args.subject,
                    "kind": "option" if is_option else "property",
                    "value": effective[0].value if effective and not effective[0].guard else None,
                    "default": default.to_json() if default is not None else None,
                    "steps": [s.to_json() for s in steps],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    head = f"{machine.name} ({machine.target.name}): {args.subject}"
    if not steps:
        what = "option" if is_option else "compat property"
        applies = "the type's own default applies"
        if default is not None and default.value is not None:
            applies += f": {default.value}"
        print(f"{head} is not set by any {what} of its chain: {applies}")
        if default is not None:
            print(f"  {default_line(default)}")
        close = suggestions(machine, args.subject, is_option)
        if close:
            print("did you mean " + " or ".join(close) + "?")
        return 0
    for step in effective:
        cond = f" if {step.guard}" if step.guard else ""
        print(f"{head} = {json.dumps(step.value, ensure_ascii=False)}{cond}")
        if step.kind == "option":
            print(f"  set by {step.applied_by}, {step.location}")
        else:
            release = f", release {step.release}" if step.release else ""
            print(f"  from {step.origin}{release}, {step.location}, applied by {step.applied_by}")
    if not effective:
        print(f"{head}: no entry is in effect")
    print("every entry that sets it, in application order (the last one wins):")
    width = max(len(json.dumps(s.value, ensure_ascii=False)) for s in steps)
    for number, step in enumerate(steps, 1):
        value = json.dumps(step.value, ensure_ascii=False)
        release = f"  release {step.release}" if step.release else ""
        origin = "" if step.origin == step.applied_by else f"  {step.origin}"
        guard = f"  if {step.guard}" if step.guard else ""
        mark = "  <- in effect" if step.in_effect else ""
        verb = "set by" if step.kind == "option" else "applied by"
        print(
            f"  {number}. {value:<{width}}{origin}{release}  {step.location}  "
            f"{verb} {step.applied_by}{guard}{mark}"
        )
    if default is not None:
        print(default_line(default))
    return 0


def default_line(default: common.Default) -> str:
    if not default.has_type:
        return f"{default.binary} has no such QOM type: the entries match nothing there"
    value = default.value if default.value is not None else "none reported"
    return f"the type's default, per the QOM registry of {default.binary}: {value}"


def hint(close: list[str]) -> str:
    return f"; did you mean {' or '.join(close)}?" if close else ""


# ---- mtc show MACHINE --device DRIVER ---------------------------------------------


@record
class DeviceValue:
    """One property of a device as a machine type has it."""

    name: str
    qom_type: str
    value: str | None  # None: no entry sets it and QEMU reports no default
    prop: object | None = None  # the winning ResolvedProp; None for the default
    guarded: tuple = ()  # host-guarded entries applied after it

    def to_json(self) -> dict:
        found: dict = {"type": self.qom_type, "value": self.value}
        if self.prop is not None:
            found["set"] = common.prop_json(self.prop)
        else:
            found["default"] = True
        if self.guarded:
            found["if-host"] = [common.prop_json(p) for p in self.guarded]
        return found


def device_values(resolved, machine: ResolvedMachine, driver: str) -> list[DeviceValue]:
    """Every property of QOM type `driver` with the value it has in machine:
    the last compat entry for it whose driver is the type or an ancestor (as
    QEMU applies them), else the type's default.  A usage error when the
    target has no registry or the registry no such type."""
    from ..qomcheck import registry_for

    registry = registry_for(resolved.corpus, machine.target.name)
    if registry is None:
        raise common.usage_error(
            f"no QOM registry for target {machine.target.name}: see 'mtc import-qom'"
        )
    driver = expand_macros(driver, machine.target.defines)
    if driver not in registry.types:
        close = registry.suggest_types(driver)
        raise common.usage_error(
            f"{registry.binary} has no QOM type '{driver}'" + hint([f"'{c}'" for c in close])
        )
    ancestors = set(registry.ancestors(driver))
    found = {
        name: DeviceValue(name, prop.qom_type, prop.default)
        for name, prop in sorted(registry.properties_of(driver).items())
    }
    for prop in machine.compat_props:
        row = found.get(prop.property)
        if row is None or prop.driver not in ancestors:
            continue
        if common.host_guard(prop) is not None:
            row.guarded += (prop,)
        else:
            row.value, row.prop, row.guarded = prop.value, prop, ()
    return list(found.values())


def show_device(resolved, machine: ResolvedMachine, driver: str, as_json: bool) -> int:
    from ..qomcheck import registry_for

    rows = device_values(resolved, machine, driver)
    registry = registry_for(resolved.corpus, machine.target.name)
    expanded = expand_macros(driver, machine.target.defines)
    if as_json:
        doc = {
            "machine": machine.name,
            "target": machine.target.name,
            "device": expanded,
            "registry": registry.binary,
            "properties": {row.name: row.to_json() for row in rows},
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    print(f"{machine.name} ({machine.target.name}): {expanded}, {len(rows)} properties")
    print(f"  types and defaults: the QOM registry of {registry.binary}")
    name_width = max((len(r.name) for r in rows), default=0)
    type_width = max((len(r.qom_type) for r in rows), default=0)
    value_width = max((len(r.value or "-") for r in rows), default=0)
    for row in rows:
        value = f"{'-' if row.value is None else row.value:<{value_width}}"
        if row.prop is not None:
            where = f"{row.prop.provenance.set_name}, {common.where(row.prop.provenance.location)}"
            if row.prop.driver != expanded:
                where += f", on {row.prop.driver}"
        else:
            where = "default" if row.value is not None else "no default reported"
        line = f"  {row.name:<{name_width}}  {row.qom_type:<{type_width}}  {value}  ({where})"
        for prop in row.guarded:
            line += f"; {prop.value} if {common.guard_of(prop)}"
        print(line)
    return 0
