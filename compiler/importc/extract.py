"""From the statements of QEMU's machine files to mtc's model: the pipeline.

How the C maps onto the language:

- a QOM machine type registered by a DEFINE_*_MACHINE line is a machine; its
  name "pc-q35-9.2" gives its family (pc-q35) and version (9.2);
- its own options function is the one its class_init calls that no other
  machine's class_init calls; the machine it inherits is the one whose own
  function that function calls (pc_q35_machine_9_1_options calls 9_2's);
- what an own function does after that call is the machine's: its
  compat_props_add()s, option assignments, alias, default, deprecation;
- what the oldest machine of a chain calls besides (pc_q35_machine_options),
  what every class_init of the family calls (arm_virt_compat_set) and what the
  family's own abstract parent type's class_init sets
  (ccw_machine_class_init) is the family's;
- an abstract type several families derive from (TYPE_PC_MACHINE) is an
  abstract family holding what query-machines reports about its machines:
  its other defaults are QEMU's, set by a class_init mtc does not generate;
- alias, default, description and deprecation are what QEMU ends up with
  once every class_init has run, computed by running the statements;
- what a machine's instance options do (s390x: CPU-model changes, C globals)
  are its cpu-* and instance statements, read against the target's CPU
  models (target/s390x).

An option is a machine-class field the vocabulary names (vocabulary.json) or
one a versioned machine's own function sets; other fields (family,
default_display, no_floppy, ...) are class facts mtc does not model.

Each stage is a module of its own, run in this order for each kind of
machine file (x86, arm, s390x, ppc):

    machinetypes  the machine types, their chains and class facts
    options       which fields are options
    families      the families and their shared options and sets
    machines      each machine type's own statements (compat sets: compatsets)
    cpumodels     the target's CPU models (s390x: target/s390x)
    instance      what its instance options do to them (s390x)
    targets       the targets' definitions of target-dependent macros

then releases.py: the releases and the life-cycle policy.  An Importer holds
what they share: the tree being written, the C program read, diagnostics.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostics, Location
from ..versions import Version
from . import (
    cpumodels,
    families,
    instance,
    machines,
    machinetypes,
    model,
    options,
    releases,
    targets,
)
from .csource import SourceTree
from .cvalues import Evaluator
from .program import Function, Program, Reader, expand_defines


class Importer:
    def __init__(self, tree: SourceTree, vocab: dict, diags: Diagnostics):
        self.source = tree
        self.vocab = vocab
        self.diags = diags
        self.out = model.Tree(source="")
        self.option_lvalues = dict(vocab["options"])
        defaults = vocab["configs"]
        self.config_defined = {name for name, c in defaults.items() if c["default"]}
        self.current: Version | None = None
        # Of the kind being imported (import_kind): its spec and targets, the
        # C program of its files and their macros, its QOM types by name, and
        # which options functions belong to which machine (machinetypes.chains).
        self.kind: dict = {}
        self.targets: list[str] = []
        self.program = Program()
        self.macros = None
        self.evaluator: Evaluator | None = None
        self.types: dict = {}
        self.owners: dict = {}
        self.shared_calls: set[str] = set()
        # What the stages write, by machine type name (machines.py).
        self.machine_blocks: dict[str, model.Machine] = {}
        # The target's CPU models, for the instance options (cpumodels.py).
        self.cpu_models: cpumodels.CpuModelReader | None = None

    def error(self, location: Location, message: str) -> None:
        self.diags.error(location, message, "untranslatable")

    def run(self) -> model.Tree:
        version_file = self.source.root / "VERSION"
        try:
            version_text = version_file.read_text().strip()
        except OSError:
            self.diags.error(
                Location(self.source.shown(version_file)), "cannot read QEMU's VERSION"
            )
            return self.out
        self.out.source = f"QEMU {version_text}"
        self.current = Version.parse(".".join(version_text.split(".")[:2]))
        for kind, spec in self.vocab["kinds"].items():
            if not any(self.source.exists(f) for f in spec["files"]):
                continue  # a tree without this kind's machines (not QEMU's own)
            needed = spec["files"] + spec["support"] + cpumodels.files_of(spec)
            missing = [f for f in needed if not self.source.exists(f)]
            if missing:
                for name in missing:
                    self.diags.error(
                        Location(str(Path(self.source.shown_root) / name)), "no such file"
                    )
                continue
            self.import_kind(spec)
        releases.add_releases(self)
        return self.out

    def import_kind(self, spec: dict) -> None:
        files = spec["files"] + spec["support"]
        macros = self.source.macros_for(files, spec["include"])
        self.macros = macros
        external = {k: v["value"] for k, v in self.vocab.get("external-constants", {}).items()}
        self.evaluator = Evaluator(macros, external)
        self.kind = spec
        self.targets = spec["targets"]
        program = Program()
        skip = {name for name in macros.defs if macros.is_target_dependent(name)}
        for relative in files:
            cfile = self.source.parse(relative)
            reader = Reader(cfile, macros, self.evaluator, self.vocab["struct-vars"])
            reader.read(program, cfile.root.children)
            if relative in spec["files"]:
                expand_defines(cfile, macros, program, reader, skip)
            for location, message in reader.problems:
                self.error(location, message)
        program.resolve_names()
        self.program = program
        self.types = {t.name: t for t in program.types}
        found = machinetypes.find(self, spec)
        if not found:
            return
        machinetypes.chains(self, found)
        options.collect(self, found)
        families.add_families(self, found)
        machines.add_machines(self, found)
        if "cpu-models" in spec:
            self.cpu_models = cpumodels.import_models(self, spec)
        instance.add_instance_options(self, found)
        for target in self.targets:
            targets.add_target(self, target, spec)

    # -- shared by the stages ----------------------------------------------------

    def mtc_file(self, c_file: str) -> str:
        """The .mtc file for what a C file defines (hw/i386/pc_q35.c ->
        x86/pc_q35.mtc), remembering which C file it came from."""
        stem = Path(c_file).stem
        mtc = f"{self.kind['dir']}/{stem}.mtc" if stem != "machine" else "hw.mtc"
        try:
            relative = Path(c_file).relative_to(self.source.shown_root).as_posix()
        except ValueError:
            relative = c_file
        self.out.files.setdefault(mtc, relative)
        return mtc

    def callees(self, function: Function) -> list[str]:
        """The functions of the program a function calls, in order."""
        return [
            s.callee
            for s in function.stmts
            if s.kind == "call" and s.callee in self.program.functions
        ]

    def function_holding(self, stmt) -> Function:
        for function in self.program.functions.values():
            if stmt in function.stmts:
                return function
        raise AssertionError("statement without a function")
