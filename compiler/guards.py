"""Evaluating guards: against a build configuration, or against a host.

Build-time guards (config.X, target == T) decide what one configured binary
contains; host guards (host.os, host.kernel, accel, feature) decide what a
guest sees on one host, and are kept as conditions in the outputs.
"""

from __future__ import annotations

import operator

from .model import Corpus, Guard, HostFacts, Target
from .versions import Version

_COMPARE = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


def default_config(corpus: Corpus) -> dict[str, bool]:
    return {name: symbol.default for name, symbol in corpus.config.items()}


def evaluate(guard: Guard, atom_value) -> bool:
    """Evaluate with atom_value(atom) -> bool for the leaves."""
    if guard.kind == "and":
        return all(evaluate(arg, atom_value) for arg in guard.args)
    if guard.kind == "or":
        return any(evaluate(arg, atom_value) for arg in guard.args)
    if guard.kind == "not":
        return not evaluate(guard.args[0], atom_value)
    return atom_value(guard)


def build_true(guard: Guard | None, config: dict[str, bool], target: Target) -> bool:
    """Whether a build-time guard holds for this binary (None always holds)."""
    if guard is None or not guard.is_build_time:
        return True

    def atom(leaf: Guard) -> bool:
        if leaf.kind == "config":
            return config.get(leaf.value, False)
        return leaf.value == target.name

    return evaluate(guard, atom)


def host_true(guard: Guard | None, host: HostFacts, accel: str | None = None) -> bool:
    """Whether a host guard holds on a host running a guest with `accel`
    (default: the host's first accelerator)."""
    if guard is None or guard.is_build_time:
        return True
    running = accel or (host.accels[0] if host.accels else None)

    def atom(leaf: Guard) -> bool:
        if leaf.kind == "os":
            return host.os == leaf.value
        if leaf.kind == "kernel":
            if host.kernel is None:
                return False
            return _COMPARE[leaf.compare](host.kernel, Version.parse(leaf.value))
        if leaf.kind == "accel":
            return running == leaf.value
        if leaf.kind == "feature":
            return leaf.value in host.features
        return True

    return evaluate(guard, atom)
