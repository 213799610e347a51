"""tests/fixtures/qemu-8.0: QEMU 8.0's x86 machine types in the DSL, checked
against the facts they were transcribed from (qemu-x86-compat.json)."""

import json
import re

import pytest

from conftest import REFERENCE, ROOT

from mtc import pipeline
from mtc.diagnostics import Diagnostics

FIXTURE = ROOT / "tests" / "fixtures" / "qemu-8.0"
TARGETS = {"x86_64": "x86_64-cpu", "i386": "i386-cpu"}
# Family-level MachineClass fields the corpus does not model (here or in 10.0).
UNMODELED = {
    "m->family",
    "m->desc",
    "m->units_per_default_bus",
    "m->default_machine_opts",
    "m->default_display",
    "m->no_floppy",
    "m->deprecation_reason",
}


@pytest.fixture(scope="module")
def reference():
    return json.loads((REFERENCE / "qemu-x86-compat.json").read_text())


@pytest.fixture(scope="module")
def resolved():
    diags = Diagnostics()
    result = pipeline.compile_project(pipeline.Project(FIXTURE), diags)
    assert result is not None, diags.render()
    assert not [d for d in diags.items if d.severity == "error"]
    return result


def chain(machines, name):
    nodes, node = [], machines[name]
    while node is not None:
        nodes.append(node)
        node = machines[node["inherits"]] if node["inherits"] else None
    return nodes[::-1]


def expand(entry, target):
    driver = entry["driver"]
    if entry["driver_macro"] and "TYPE_X86_CPU" in entry["driver_macro"]:
        driver = driver.removesuffix("x86_64-cpu") + TARGETS[target]
    return driver


def c_value(text):
    if text in ("true", "false"):
        return text == "true"
    if text == "CPU_VERSION_LEGACY":
        return 0
    if text.startswith('"'):
        return text[1:-1]
    return int(text, 0)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("family", ["pc-i440fx", "pc-q35"])
def test_fixture_equals_the_qemu_8_0_facts(reference, resolved, family, target):
    facts = {m["name"]: m for m in reference["families"][family]["machines"]}
    lvalues = {d.c_lvalue: name for name, d in resolved.corpus.options.items()}
    machines = {m.name: m for m in resolved.targets[target].machines if m.family.name == family}
    assert set(machines) == set(facts)
    for name, fact in facts.items():
        machine = machines[name]
        sets = [s for node in chain(facts, name) for s in node["compat_sets"]]
        expected = [
            (expand(e, target), e["property"], e["value"], e["optional"])
            for s in sets
            for e in reference["compat_sets"][s]["entries"]
        ]
        got = [(p.driver, p.property, p.value, p.optional) for p in machine.compat_props]
        assert got == expected, name
        options = dict(reference["families"][family]["base_options"])
        for node in chain(facts, name):
            options.update(node["options"])
        for lvalue, text in options.items():
            if lvalue in UNMODELED:
                continue
            assert machine.option(lvalues[lvalue]) == c_value(text), (name, lvalue)
        assert machine.alias == fact["alias"], name
        assert machine.is_default == fact["is_default"], name
        assert machine.deprecation_reason == fact["deprecation_reason"], name
        parent = machine.parent.name if machine.parent else None
        assert parent == fact["inherits"], name


def test_fixture_declares_no_lifecycle_policy_and_stops_at_8_0(resolved):
    corpus = resolved.corpus
    assert corpus.lifecycle is None  # MACHINE_VER_* came with 9.1
    assert str(corpus.current_release) == "8.0"
    text = (FIXTURE / "machines" / "x86" / "pc.mtc").read_text()
    assert re.search(r'^option default-nic str c "pcmc->default_nic_model"$', text, re.M)
