"""The ABI gate against single mutations of released machine types.

The base is the project's machines/ after `mtc new-version` of the next
release (10.1, planned): the state of a tree during QEMU's development
cycle.  Each mutation is
one edit a maintainer could make by mistake: a compat value changed, an
entry deleted, an entry moved to the neighbouring release's set, an option
changed, deleted, added or given a new family default, a property new in
the next release with a default and no pin, a default changed by a
re-imported registry.
Each must make `abi-check` fail without --strict.  Three kinds of correct
edits must pass: new-version itself, properties new in the next release
pinned in the previous release's set (hw_compat_10_0), and registry default
changes pinned the same way; so must the QEMU 8.0 tree of tests/fixtures
against machines/.

Whether an entry or option mutation changes a released machine type at all
is decided from the resolved machine types (the effective compat properties
and options the JSON backend writes), not by the gate under test; mutations
that change nothing are dropped before counting.  Every tree compiles in
this process; files that did not change are parsed (and registry files
read) once, which is what keeps some 250 compilations affordable.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT, date_open_release, open_next_release

from mtc import parser, pipeline, qomcheck, qomfiles
from mtc.diagnostics import Diagnostics
from mtc.workflow import abi

FIXTURE = ROOT / "tests" / "fixtures" / "qemu-8.0"
AS_OF = date.max  # every dated release is out; the planned one never is
XEN = {"CONFIG_XEN": True}
BOOL_FLIP = {"on": "off", "off": "on", "true": "false", "false": "true"}


@dataclass
class Mutation:
    kind: str
    what: str
    files: dict[str, str] = field(default_factory=dict)  # path below the root -> new text
    config: dict | None = None
    effect_by_construction: bool = False  # registry changes: JSON cannot show them


# ---- the trees -------------------------------------------------------------------------


class Trees:
    """The base tree on disk; mutations are written over it, compiled and
    undone.  Parsing is memoized per file text: most files never change."""

    def __init__(self, root: Path):
        self.root = root
        self.texts = {
            p.relative_to(root).as_posix(): p.read_text()
            for p in sorted((root / "machines").rglob("*"))
            if p.is_file()
        }
        self.parsed: dict[tuple[str, str], object] = {}

    def compile(self, files: dict[str, str] | None = None, config: dict | None = None):
        files = files or {}
        for rel, text in files.items():
            (self.root / rel).write_text(text)
        try:
            diags = Diagnostics()
            self.last_diagnostics = diags
            # None: the compiler itself refuses the tree (abi-check exits 1 then).
            return pipeline.compile_project(pipeline.Project(self.root), diags, config)
        finally:
            for rel in files:
                (self.root / rel).write_text(self.texts[rel])


@pytest.fixture(scope="module")
def trees(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("mutations") / "project"
    shutil.copytree(ROOT / "machines", root / "machines")
    date_open_release(root)  # the live tree may have opened 10.1 already
    before_resolved = Trees(root).compile()
    cycle = open_next_release(root)
    cache: dict = {}
    real = parser.parse_text

    def parse_text(text, shown, diags):
        key = (shown, text)
        if key not in cache:
            cache[key] = real(text, shown, diags)
        return cache[key]

    monkeypatch_module.setattr(pipeline.parser, "parse_text", parse_text)
    # A registry file's document is only read (each registry copies its
    # table of types), so one per file content serves every compilation.
    docs: dict = {}
    read_doc = qomfiles._read_registry_doc

    def read_registry_doc(path, shown):
        key = (str(path), Path(path).read_bytes())
        if key not in docs:
            docs[key] = read_doc(path, shown)
        return docs[key]

    monkeypatch_module.setattr(qomfiles, "_read_registry_doc", read_registry_doc)
    tree = Trees(root)
    tree.cycle = cycle
    base, base_xen = tree.compile(), tree.compile(config=XEN)
    assert None not in (before_resolved, base, base_xen)
    return tree, base, base_xen, before_resolved


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


# ---- the oracle: what a released machine type looks like -------------------------------


def released(resolved, target: str) -> dict:
    """name -> (effective compat properties on every host, options) of each
    released, stable machine type of the target."""
    out = {}
    current = resolved.corpus.current_release
    for machine in resolved.targets[target].machines:
        version = machine.machine.version
        if version is None or version.release > current or machine.machine.unstable:
            continue
        props = {key: (prop.value, prop.optional) for key, prop in machine.effective().items()}
        out[machine.name] = (props, {n: o.value for n, o in machine.options.items()})
    return out


def changes_a_released_machine(base, head) -> bool:
    for target in base.targets:
        before, after = released(base, target), released(head, target)
        if any(after.get(name) != state for name, state in before.items() if name in after):
            return True
    return False


# ---- generating the mutations ----------------------------------------------------------


def released_sets(resolved) -> dict:
    """compat set key -> (set, the released machine types whose own list has it)."""
    found: dict = {}
    current = resolved.corpus.current_release
    for resolved_target in resolved.targets.values():
        for machine in resolved_target.machines:
            m = machine.machine
            if m.version is None or m.version.release > current or m.unstable is not None:
                continue
            for ref in m.compat:
                compat = resolved.corpus.compat_sets[ref.key]
                found.setdefault(ref.key, (compat, set()))[1].add(machine.name)
    return found


def line_of(text: str, number: int) -> tuple[int, int]:
    """(start, end) offsets of a 1-based line, its newline excluded."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: number - 1])
    return start, start + len(lines[number - 1])


def entry_text(entry) -> str:
    optional = " optional" if entry.optional else ""
    return f"{entry.driver}.{entry.property} = {json.dumps(entry.value)}{optional}"


def every(items: list, count: int) -> list:
    """count items spread evenly over the list (all of them if fewer)."""
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def plain_entries(resolved) -> list:
    """(set, entry) of every unguarded entry of a set a released machine
    type applies, in source order."""
    out = []
    for compat, _ in released_sets(resolved).values():
        for entry in compat.entries:
            if entry.guard is None:
                out.append((compat, entry))
    return sorted(out, key=lambda item: (item[1].location.file, item[1].location.line))


def exists_in_registry(resolved, entry) -> bool:
    for name, registry in resolved.corpus.registries.items():
        driver = qomcheck.expand(entry.driver, resolved.corpus.targets[name])
        if driver not in registry.types:
            continue
        if registry.find_property(driver, entry.property):
            return True
        if registry.subtypes_with_property(driver, entry.property):
            return True
    return False


def value_changes(trees: Trees, resolved) -> list[Mutation]:
    out = []
    for compat, entry in plain_entries(resolved):
        flipped = BOOL_FLIP.get(entry.value)
        if flipped is None and re.fullmatch(r"[1-9][0-9]{0,6}", entry.value):
            flipped = str(int(entry.value) + 1)
        if flipped is None:
            continue
        rel = entry.location.file
        text = trees.texts[rel]
        start, end = line_of(text, entry.location.line)
        line = text[start:end]
        new_line = line.replace(f'= "{entry.value}"', f'= "{flipped}"', 1)
        assert new_line != line, line
        out.append(
            Mutation(
                "value",
                f"{compat.c_name}: {entry.driver}.{entry.property} {entry.value} -> {flipped}",
                {rel: text[:start] + new_line + text[end:]},
            )
        )
    return every(out, 52)


def deletions(trees: Trees, resolved) -> list[Mutation]:
    out = []
    for compat, entry in plain_entries(resolved):
        if not exists_in_registry(resolved, entry):
            continue  # a property QEMU no longer has: deleting it is right
        rel = entry.location.file
        text = trees.texts[rel]
        start, end = line_of(text, entry.location.line)
        if text[start:end].strip().split(" ")[0] != f"{entry.driver}.{entry.property}":
            continue  # not alone on its line
        out.append(
            Mutation(
                "deletion",
                f"{compat.c_name}: {entry.driver}.{entry.property} deleted",
                {rel: text[:start] + text[end + 1 :]},
            )
        )
    return every(out, 52)


def moves(trees: Trees, resolved) -> list[Mutation]:
    """An entry moved to the set of the release before or after its own."""
    sets = resolved.corpus.compat_sets
    by_scope: dict[str, list] = {}
    for (scope, version), compat in sets.items():
        if version is not None:
            by_scope.setdefault(scope, []).append(version)
    out = []
    for index, (compat, entry) in enumerate(plain_entries(resolved)):
        if compat.version is None or not exists_in_registry(resolved, entry):
            continue
        versions = sorted(by_scope[compat.scope])
        at = versions.index(compat.version)
        neighbour_at = at + 1 if index % 2 else at - 1
        if not 0 <= neighbour_at < len(versions):
            continue
        other = sets[(compat.scope, versions[neighbour_at])]
        if any((e.driver, e.property) == (entry.driver, entry.property) for e in other.entries):
            continue
        files = dict()
        rel = entry.location.file
        text = trees.texts[rel]
        start, end = line_of(text, entry.location.line)
        if text[start:end].strip().split(" ")[0] != f"{entry.driver}.{entry.property}":
            continue
        files[rel] = text[:start] + text[end + 1 :]
        other_rel = other.location.file
        other_text = files.get(other_rel, trees.texts[other_rel])
        if other_rel == rel and other.location.line > entry.location.line:
            set_line = other.location.line - 1  # the deleted line was above it
        else:
            set_line = other.location.line
        s, e = line_of(other_text, set_line)
        head = other_text[s:e]
        if not head.rstrip().endswith("{"):
            continue  # a one-line set
        files[other_rel] = other_text[: e + 1] + f"    {entry_text(entry)}\n" + other_text[e + 1 :]
        out.append(
            Mutation(
                "move",
                f"{entry.driver}.{entry.property}: {compat.c_name} -> {other.c_name}",
                files,
            )
        )
    return every(out, 36)


OPTION_VALUES = {"int": "77", "bool": None, "str": '"mutated"', "size": "3GiB"}


def option_value(decl, current: str | None) -> str | None:
    if decl.type == "bool":
        return "false" if current == "true" else "true"
    if decl.type == "enum":
        others = [v for v in decl.enum_values if v != current]
        return others[0] if others else None
    return OPTION_VALUES.get(decl.type)


def option_changes(trees: Trees, resolved) -> list[Mutation]:
    corpus = resolved.corpus
    current = corpus.current_release
    out = []
    machines = [
        m
        for m in corpus.machines
        if m.name and m.version is not None and m.version.release <= current
    ]
    machines.sort(key=lambda m: (m.location.file, m.location.line))
    for machine in machines:
        rel = machine.location.file
        text = trees.texts[rel]
        for assign in machine.options:
            decl = corpus.options[assign.name]
            value = option_value(decl, assign.value.text)
            start, end = line_of(text, assign.location.line)
            line = text[start:end]
            prefix = f"option {assign.name} = "
            if value is not None and line.count(prefix) == 1 and assign.guard is None:
                at = line.index(prefix) + len(prefix)
                old = line[at:].split(" ")[0].split("}")[0]
                new_line = line[:at] + value + line[at + len(old) :]
                out.append(
                    Mutation(
                        "option",
                        f"{machine.name}: option {assign.name} {old} -> {value}",
                        {rel: text[:start] + new_line + text[end:]},
                    )
                )
            if line.strip() == f"{prefix}{assign.value.text}" or line.strip().startswith(prefix):
                if line.strip().startswith(prefix) and line.count("option ") == 1:
                    out.append(
                        Mutation(
                            "option",
                            f"{machine.name}: option {assign.name} deleted",
                            {rel: text[:start] + text[end + 1 :]},
                        )
                    )
        # A new assignment on a released machine.
        start, end = line_of(text, machine.location.line)
        line = text[start:end]
        brace = line.index("{") + 1
        out.append(
            Mutation(
                "option",
                f"{machine.name}: option max-cpus = 77 added",
                {
                    rel: text[:start]
                    + line[:brace]
                    + " option max-cpus = 77"
                    + line[brace:]
                    + text[end:]
                },
            )
        )
    chosen = every(out, 34)
    # A family default that reaches released machine types, and a new option
    # whose family default does.
    for family in sorted(corpus.families.values(), key=lambda f: f.name):
        if family.abstract or not family.pattern or "{version}" not in family.pattern:
            continue
        config = XEN if family.guard is not None else None
        rel = family.location.file
        text = trees.texts[rel]
        own = [a for a in family.options if a.name == "max-cpus" and a.guard is None]
        if own:  # the family's own default changes
            start, end = line_of(text, own[-1].location.line)
            line = text[start:end]
            mutated = line.replace(f"= {own[-1].value.text}", "= 77", 1)
            default = text[:start] + mutated + text[end:]
        else:  # a default where the family had none
            start, end = line_of(text, family.location.line)
            line = text[start:end]
            brace = line.index("{") + 1
            default = text[:start] + line[:brace] + " option max-cpus = 77" + line[brace:]
            default += text[end:]
        start, end = line_of(text, family.location.line)
        line = text[start:end]
        brace = line.index("{") + 1
        new_option = (
            'option x-mutated bool c "m->x_mutated"\n'
            + text[:start]
            + line[:brace]
            + " option x-mutated = true"
            + line[brace:]
            + text[end:]
        )
        for what, mutated_text in (
            ("family default max-cpus 77", default),
            ("new option x-mutated with a family default", new_option),
        ):
            chosen.append(
                Mutation(
                    "option", f"family {family.name}: {what}", {rel: mutated_text}, config=config
                )
            )
    return chosen


def xen_options(trees: Trees, resolved_xen) -> list[Mutation]:
    """xenfv exists only with CONFIG_XEN: compared with --config CONFIG_XEN=on."""
    out = []
    for machine in resolved_xen.corpus.machines:
        if machine.family != "xenfv":
            continue
        rel = machine.location.file
        text = trees.texts[rel]
        for assign in machine.options:
            if assign.name != "default-machine-opts":
                continue
            start, end = line_of(text, assign.location.line)
            line = text[start:end]
            out.append(
                Mutation(
                    "option",
                    f"{machine.name}: default-machine-opts changed (CONFIG_XEN=on)",
                    {rel: text[:start] + line.replace("suppress-vmdesc=on", "x=1") + text[end:]},
                    config=XEN,
                )
            )
    return out


def property_types(resolved, count: int) -> list[str]:
    """Concrete, listed types of x86_64's registry that every machine can get."""
    registry = resolved.corpus.registries["x86_64"]
    names = sorted(
        n
        for n in registry.types
        if not registry.types.is_abstract(n)
        and registry.is_listed(n)
        and "${" not in n
        and re.fullmatch(r"[a-z][a-z0-9-]+", n)
    )
    return every(names, count)


DECLARATIONS = "machines/registry/declarations.mtc"


def new_properties(trees: Trees, resolved, pinned: bool) -> list[Mutation]:
    out = []
    text = trees.texts[DECLARATIONS]
    hw = resolved.corpus.compat_sets[("hw", resolved.corpus.current_release)]
    hw_rel = hw.location.file
    hw_text = trees.texts[hw_rel]
    s, e = line_of(hw_text, hw.location.line)
    for index, name in enumerate(property_types(resolved, 20 if not pinned else 12)):
        qom_type, default, old = ("bool", "on", "off") if index % 2 == 0 else ("uint32", "64", "32")
        prop = f"x-mutation-{index}"
        since = trees.cycle.new
        decl = f'\nqom-type {name} {{ {prop} {qom_type} default "{default}" since {since} }}\n'
        files = {DECLARATIONS: text + decl}
        if pinned:
            pin = f'    {name}.{prop} = "{old}"\n'
            files[hw_rel] = hw_text[: e + 1] + pin + hw_text[e + 1 :]
        out.append(
            Mutation(
                "new-property-pinned" if pinned else "new-property",
                f"{name}.{prop} ({qom_type}, default {default}) new in {since}",
                files,
                effect_by_construction=True,
            )
        )
    return out


def default_changes(trees: Trees, resolved, pinned: bool) -> list[Mutation]:
    """A registry re-imported from a binary whose default differs."""
    out = []
    registry_dir = "machines/registry/"
    files = {rel: t for rel, t in trees.texts.items() if rel.startswith(registry_dir)}
    docs = {rel: json.loads(t) for rel, t in files.items() if rel.endswith(".qom.json")}
    hw = resolved.corpus.compat_sets[("hw", resolved.corpus.current_release)]
    hw_rel = hw.location.file
    hw_text = trees.texts[hw_rel]
    s, e = line_of(hw_text, hw.location.line)
    candidates = []
    for rel, doc in sorted(docs.items()):
        for name, entry in sorted(doc.get("types", {}).items()):
            if entry.get("abstract") or entry.get("unlistable") or "${" in name:
                continue
            for prop, value in sorted(entry["properties"].items()):
                if isinstance(value, list) and value[0] == "bool" and value[1] in BOOL_FLIP:
                    candidates.append((rel, name, prop, value[1]))
    for rel, name, prop, old in every(candidates, 10 if not pinned else 8):
        doc = json.loads(files[rel])
        doc["types"][name]["properties"][prop][1] = BOOL_FLIP[old]
        mutated = {rel: json.dumps(doc, indent=1, sort_keys=True) + "\n"}
        if pinned:
            pin = f'    {name}.{prop} = "{old}"\n'
            mutated[hw_rel] = hw_text[: e + 1] + pin + hw_text[e + 1 :]
        out.append(
            Mutation(
                "default-change-pinned" if pinned else "default-change",
                f"{name}.{prop}: registry default {old} -> {BOOL_FLIP[old]} ({rel})",
                mutated,
                effect_by_construction=True,
            )
        )
    return out


# ---- the tests -------------------------------------------------------------------------


def gate(base, head, config=None):
    return abi.check(base, head, as_of=AS_OF)


def test_every_single_mutation_of_a_released_machine_type_is_caught(trees):
    tree, base, base_xen, _ = trees
    mutations = (
        value_changes(tree, base)
        + deletions(tree, base)
        + moves(tree, base)
        + option_changes(tree, base)
        + xen_options(tree, base_xen)
        + new_properties(tree, base, pinned=False)
        + default_changes(tree, base, pinned=False)
    )
    counted: dict[str, list[int]] = {}
    missed, inert, refused = [], [], 0
    for mutation in mutations:
        head = tree.compile(mutation.files, mutation.config)
        reference = base_xen if mutation.config else base
        if head is None:  # the compiler's own checks refuse it: abi-check fails
            refused += 1
            counted.setdefault(mutation.kind, [0, 0])[0] += 1
            counted[mutation.kind][1] += 1
            continue
        if not mutation.effect_by_construction and not changes_a_released_machine(reference, head):
            inert.append(mutation.what)
            continue
        report = gate(reference, head)
        caught = counted.setdefault(mutation.kind, [0, 0])
        caught[1] += 1
        if report.ok:
            missed.append(f"{mutation.kind}: {mutation.what}")
        else:
            caught[0] += 1
    total = sum(n for _, n in counted.values())
    summary = ", ".join(f"{kind} {c}/{n}" for kind, (c, n) in counted.items())
    print(f"\nabi-check caught {total - len(missed)}/{total} mutations: {summary}")
    print(f"{refused} of them refused by the compiler's own checks (abi-check exits 1)")
    print(f"dropped {len(inert)} mutations that change no released machine type:")
    print("".join(f"  {what}\n" for what in inert), end="")
    assert total >= 200, summary
    assert {"value", "deletion", "move", "option", "new-property", "default-change"} <= set(counted)
    assert all(n >= 10 for _, n in counted.values()), summary
    assert missed == [], "\n".join(missed)


def test_correct_changes_pass(trees):
    tree, base, _, before_new_version = trees
    # new-version itself: the tree before it against the tree after it.
    report = gate(before_new_version, base)
    assert report.ok, abi.render(report, False)
    assert [f for f in report.findings if f.kind in ("property", "option", "registry")] == []
    mutations = new_properties(tree, base, pinned=True) + default_changes(tree, base, pinned=True)
    assert len(mutations) >= 20
    failed = []
    for mutation in mutations:
        head = tree.compile(mutation.files)
        assert head is not None, tree.last_diagnostics.render()
        report = gate(base, head)
        if not report.ok:
            failed.append(f"{mutation.what}:\n{abi.render(report, False)}")
    assert failed == [], "\n".join(failed)


def test_the_qemu_8_0_tree_against_machines_has_no_errors(trees):
    current = pipeline.compile_project(pipeline.Project(ROOT), Diagnostics())
    old = pipeline.compile_project(pipeline.Project(FIXTURE), Diagnostics())
    report = abi.check(old, current)
    assert report.ok and report.count("error") == 0
    assert report.count("note") > 0  # the two entries QEMU removed with their properties
