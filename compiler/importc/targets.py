"""Targets: each system emulator the kind's machines are for (binary, arch
and word size from the vocabulary), and its definitions of the
target-dependent macros the imported text uses as ${MACRO}."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import MACRO_RE
from . import model
from .cvalues import CStr, Evaluator, expression_of

if TYPE_CHECKING:
    from .extract import Importer


def add_target(imp: Importer, name: str, spec: dict) -> None:
    facts = imp.vocab["targets"][name]
    target = imp.out.targets.get(name)
    if target is None:
        target = imp.out.targets[name] = model.Target(
            name,
            facts["binary"],
            facts["arch"],
            facts["wordsize"],
            file=f"{spec['dir']}/targets.mtc",
        )
    used = set()
    for s in imp.out.sets.values():
        for entry in s.entries:
            used |= set(MACRO_RE.findall(entry.driver))
    for family in imp.out.families.values():
        for option in family.options:
            used |= set(MACRO_RE.findall(option.text))
    for machine in imp.out.machines:
        for option in machine.options:
            used |= set(MACRO_RE.findall(option.text))
    defined = set(facts["defined"])
    for macro in sorted(used):
        if macro in target.defines or not imp.macros.get(macro):
            continue
        definition = imp.macros.for_target(macro, defined)
        if definition is None:
            continue
        value = TargetEvaluator(imp.macros, defined).evaluate(expression_of(definition.body))
        if isinstance(value, CStr) and value.is_plain:
            target.defines[macro] = value.text


class TargetEvaluator(Evaluator):
    """Evaluates with one target's definitions of the target-dependent macros."""

    def __init__(self, macros, defined: set[str]):
        super().__init__(macros)
        self.defined = defined

    def macro_value(self, name, depth):
        definition = (
            self.macros.for_target(name, self.defined)
            if self.macros.is_target_dependent(name)
            else None
        )
        if definition is None:
            return super().macro_value(name, depth)
        return self.evaluate(expression_of(definition.body), {}, depth + 1)

    def evaluate(self, node, env=None, depth=0):
        if node is not None and node.type == "identifier":
            name = node.text.decode()
            if not (env and name in env) and self.macros.is_target_dependent(name):
                value = self.macro_value(name, depth)
                if value is not None:
                    return value
        return super().evaluate(node, env, depth)
