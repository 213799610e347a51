"""Each machine type's effective compat properties and options as plain
values, for abi-check: most released machine types are unchanged by an
edit, so comparing two tables must be cheap.

A machine type's table is its parent's with its own sets applied
(resolve.py builds its compat list the same way), so each chain is walked
once.  Only the keys whose values differ are turned into common.State
pairs, the form the rest of the workflow compares.
"""

from __future__ import annotations

import json

from ..resolve import ResolvedMachine
from . import common


class StateTable:
    def __init__(self, resolved_target):
        self.by_machine = {
            id(m.machine): m for m in [*resolved_target.machines, *resolved_target.gone]
        }
        # id(Machine) -> {(driver, property): ((value, optional) | None, guarded)}
        self._values: dict[int, dict] = {}
        # id(Machine) -> {(driver, property): (winner ResolvedProp | None, guarded props)}
        self._props: dict[int, dict] = {}
        self._options: dict[int, tuple] = {}

    def _build(self, machine: ResolvedMachine) -> None:
        key = id(machine.machine)
        parent = self.by_machine.get(id(machine.parent)) if machine.parent is not None else None
        if parent is not None and extends(machine.compat_props, parent.compat_props):
            values, props = dict(self.values(parent)), dict(self._props[id(parent.machine)])
            start = len(parent.compat_props)
        else:
            values, props, start = {}, {}, 0
        for prop in machine.compat_props[start:]:
            item = (prop.driver, prop.property)
            if prop.guard is None:
                values[item] = ((prop.value, prop.optional), ())
                props[item] = (prop, ())
            else:
                winner, guarded = values.get(item, (None, ()))
                values[item] = (winner, guarded + ((prop.value, prop.optional, str(prop.guard)),))
                winner_prop, guarded_props = props.get(item, (None, ()))
                props[item] = (winner_prop, guarded_props + (prop,))
        self._values[key] = values
        self._props[key] = props

    def values(self, machine: ResolvedMachine) -> dict:
        key = id(machine.machine)
        if key not in self._values:
            self._build(machine)
        return self._values[key]

    def state(self, machine: ResolvedMachine, item: tuple[str, str]) -> common.State:
        self.values(machine)
        winner, guarded = self._props[id(machine.machine)].get(item, (None, ()))
        return common.State(winner, guarded)

    def options(self, machine: ResolvedMachine) -> tuple:
        key = id(machine.machine)
        found = self._options.get(key)
        if found is None:
            found = self._options[key] = (
                {name: (plain(o.value), guard_text(o)) for name, o in machine.options.items()},
                tuple((o.name, plain(o.value), guard_text(o)) for o in machine.host_options),
            )
        return found

    def pinned_keys(self, machine: ResolvedMachine):
        """(driver, property) pairs set on every host."""
        return {item for item, (winner, _) in self.values(machine).items() if winner is not None}

    def delta(self, machine: ResolvedMachine, other: "StateTable", other_machine) -> common.Delta:
        """What differs between machine (here) and other_machine (in other)."""
        a, b = self.values(machine), other.values(other_machine)
        items = sorted({item for item, _ in a.items() ^ b.items()})
        props = [
            (item, self.state(machine, item), other.state(other_machine, item)) for item in items
        ]
        options = []
        if self.options(machine) != other.options(other_machine):
            options = common.delta_options(machine, other_machine)
        return common.Delta(props, options)


def plain(value):
    """A value as compared: its type counts (True is not 1), lists as tuples."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return (type(value).__name__, value)


def guard_text(option) -> str:
    return str(common.guard_of(option) or "")


def extends(props: list, parent: list) -> bool:
    """props starts with parent's list (the same objects, as resolve.py builds it)."""
    if len(props) < len(parent):
        return False
    return not parent or (props[0] is parent[0] and props[len(parent) - 1] is parent[-1])
