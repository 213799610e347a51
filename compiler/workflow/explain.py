"""mtc explain: why a machine type has the value it has for one compat
property (DRIVER.PROPERTY) or option (NAME): the value in effect and every
entry along the chain that set it, in application order, with set, release,
file:line, the machine that applied it and its guard."""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass

from .. import values
from ..resolve import ResolvedMachine
from . import common

NAME = "explain"


@dataclass
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


def run(args) -> int:
    try:
        _, resolved = common.load_current(args)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    machine = common.find_machine(resolved, args.machine, args.target)
    is_option = "." not in args.subject
    if is_option:
        if args.subject not in resolved.corpus.options:
            raise common.usage_error(
                f"'{args.subject}' is neither DRIVER.PROPERTY nor a declared option"
                + hint(difflib.get_close_matches(args.subject, resolved.corpus.options, n=3))
            )
        steps = explain_option(machine, args.subject, resolved.corpus)
    else:
        driver, _, prop = args.subject.partition(".")
        steps = explain_property(machine, driver, prop, resolved.corpus)
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
        print(f"{head} is not set by any {what} of its chain: the type's own default applies")
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
    return 0


def hint(close: list[str]) -> str:
    return f"; did you mean {' or '.join(close)}?" if close else ""
