"""Stage 3, continued: the C backend's data (c-header, c-type-name, c-scope,
c-file, c-family) is consistent and covers what the C needs.

A family with machines but no c-family, or a compat scope no c-scope
places, is not written in C: a warning [-Wc-description], not silence, given
once everything else passed (when the C backend is about to run).
What the C cannot express is an error with its location: a template naming
an unknown {placeholder}, a machine the DEFINE templates cannot define
(X.Y.Z without a `bugfix` one, an alias on a machine `latest` does not
cover), an option whose C lvalue's root the family declares no local for,
an option written before the call to the parent's function that the
parent's chain sets again (QEMU would keep the chain's value).
"""

from __future__ import annotations

import re

from .checks import did_you_mean
from .diagnostics import Diagnostics, Location
from .model import CFamily, Corpus, Machine

CHECK = "c-description"
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_PARAM_RE = re.compile(r".*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\Z", re.S)
_LVALUE_ROOT_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*->")
# What each template may name.
FUNCTION_PLACEHOLDERS = {"version"}
DEFINE_PLACEHOLDERS = {"major", "minor", "micro", "name", "function", "symbol"}
VERSIONED_ONLY = {"version", "major", "minor", "micro"}


class CChecker:
    def __init__(self, corpus: Corpus, diags: Diagnostics):
        self.corpus = corpus
        self.diags = diags
        self.generated: dict[str, Location] = {}

    def run(self) -> None:
        self.check_headers()
        self.check_scopes()
        self.check_files()
        for cfamily in self.corpus.c_families.values():
            self.check_family(cfamily)
        self.check_scopes_used()

    # -- helpers

    def error(self, location: Location, message: str) -> None:
        self.diags.error(location, message)

    def generated_file(self, name: str, location: Location) -> None:
        if "/" in name or not name or name.startswith("."):
            self.error(location, f'"{name}": a generated file is a plain file name')
        first = self.generated.get(name)
        if first is not None:
            self.error(location, f'"{name}" is generated twice')
            self.diags.note(first, "first named here")
        else:
            self.generated[name] = location

    def template(self, text: str, allowed: set[str], versioned: bool, location: Location):
        for name in _PLACEHOLDER_RE.findall(text):
            if name not in allowed:
                self.error(
                    location,
                    f'unknown placeholder {{{name}}} in "{text}" (known: '
                    + ", ".join(f"{{{n}}}" for n in sorted(allowed))
                    + ")",
                )
            elif name in VERSIONED_ONLY and not versioned:
                self.error(location, f'{{{name}}} in "{text}": the family is unversioned')

    # -- declarations

    def check_headers(self) -> None:
        seen: dict[str, Location] = {}
        for header in self.corpus.c_headers:
            for name, location in header.names:
                if not _IDENT_RE.match(name):
                    self.error(location, f"'{name}' is not a C identifier")
                elif name in seen:
                    self.error(location, f"{name} is declared by two c-headers")
                    self.diags.note(seen[name], "first declared here")
                else:
                    seen[name] = location

    def check_scopes(self) -> None:
        scopes = {c.scope for c in self.corpus.compat_sets.values() if c.version is not None}
        for scope in self.corpus.c_scopes.values():
            if scope.scope not in scopes:
                self.error(
                    scope.location,
                    f"c-scope {scope.scope}: no versioned compat set has scope {scope.scope}"
                    + did_you_mean(scope.scope, scopes),
                )
            if scope.local and (scope.tables or scope.declarations):
                self.error(scope.location, f"c-scope {scope.scope}: local sets have no tables")
            if scope.declarations is not None and scope.tables is None:
                self.error(scope.location, f"c-scope {scope.scope}: declarations of no tables")
            if not scope.local and scope.tables is None:
                self.error(
                    scope.location,
                    f'c-scope {scope.scope}: say where its sets live: tables "F" in "Q", '
                    "or local",
                )
            for placement in (scope.tables, scope.declarations):
                if placement is not None:
                    self.generated_file(placement.file, placement.location)

    def check_files(self) -> None:
        owner: dict[str, Location] = {}
        for cfile in self.corpus.c_files.values():
            self.generated_file(cfile.name, cfile.location)
            if cfile.replaces is None:
                self.error(
                    cfile.location,
                    f'c-file "{cfile.name}": say which QEMU file it replaces a part of',
                )
            names = []
            for name, location in cfile.families:
                family = self.corpus.families.get(name)
                if family is None:
                    self.error(
                        location,
                        f"unknown family '{name}'" + did_you_mean(name, self.corpus.families),
                    )
                    continue
                if family.abstract:
                    self.error(location, f"family {name} is abstract: it has no machines to write")
                    continue
                if name not in self.corpus.c_families:
                    self.error(location, f"family {name} has no c-family")
                if name in owner:
                    self.error(location, f"family {name} is in two c-files")
                    self.diags.note(owner[name], "first listed here")
                    continue
                owner[name] = location
                names.append(name)
            split = cfile.split
            if split is not None:
                self.generated_file(split.file, split.location)
                if split.family not in names:
                    self.error(
                        split.location, f'c-file "{cfile.name}" lists no family {split.family}'
                    )
                elif not any(
                    m.family == split.family and m.version == split.version
                    for m in self.corpus.machines
                ):
                    self.error(
                        split.location, f"family {split.family} has no machine {split.version}"
                    )
        self.file_of = owner

    def check_family(self, cfamily: CFamily) -> None:
        family = self.corpus.families.get(cfamily.family)
        if family is None:
            self.error(
                cfamily.location,
                f"c-family {cfamily.family}: unknown family"
                + did_you_mean(cfamily.family, self.corpus.families),
            )
            return
        if family.abstract:
            self.error(cfamily.location, f"c-family {cfamily.family}: the family is abstract")
            return
        where = f"c-family {family.name}"
        if family.name not in self.file_of:
            self.error(cfamily.location, f"{where}: no c-file lists the family")
        versioned = "{version}" in (family.pattern or "")
        if cfamily.function is None:
            self.error(
                cfamily.location,
                f'{where}: say how its functions are named: function "..." param "..."',
            )
        functions = [f for f in (cfamily.function, cfamily.instance_function) if f is not None]
        for function in functions:
            self.template(function.template, FUNCTION_PLACEHOLDERS, versioned, function.location)
            if versioned and "{version}" not in function.template:
                self.error(function.location, f'"{function.template}" needs {{version}}')
            if not _PARAM_RE.match(function.param):
                self.error(function.location, f'"{function.param}": no parameter name')
        kinds: dict[str, Location] = {}
        for define in cfamily.defines:
            if define.kind in kinds:
                self.error(define.location, f"{where}: a second {define.kind or 'plain'} define")
            kinds.setdefault(define.kind, define.location)
            self.template(define.template, DEFINE_PLACEHOLDERS, versioned, define.location)
            if define.sets and define.kind != "latest":
                self.error(define.location, "only a 'latest' define sets alias or default")
            if define.kind == "bugfix" and "{micro}" not in define.template:
                self.error(define.location, f'"{define.template}" needs {{micro}}')
        if "" not in kinds:
            self.error(cfamily.location, f'{where}: no plain define "MACRO(...)"')
        if not cfamily.base:
            self.error(
                cfamily.location,
                f"{where}: say what sets the family's own options: base FUNCTION (QEMU's "
                'function, called by the newest machine), base inline, or base elsewhere "..."',
            )
        roots: dict[str, Location] = {}
        for root, _, location in cfamily.locals:
            if not _IDENT_RE.match(root):
                self.error(location, f"'{root}' is not a C identifier")
            elif root in roots:
                self.error(location, f"{where}: local {root} is declared twice")
            roots.setdefault(root, location)
        machines = sorted(
            (m for m in self.corpus.machines if m.family == family.name and m.name),
            key=lambda m: m.version.parts if m.version is not None else (),
            reverse=True,
        )
        versions = {m.version for m in machines}
        for version, (symbol, location) in cfamily.symbols.items():
            if version not in versions:
                self.error(location, f"family {family.name} has no machine {version}")
            if not _IDENT_RE.match(symbol):
                self.error(location, f"'{symbol}' is not a C identifier")
        self.check_defines(cfamily, machines)
        param = None
        if cfamily.function is not None and _PARAM_RE.match(cfamily.function.param):
            param = _PARAM_RE.match(cfamily.function.param).group(1)
        for machine in machines:
            for kind, item in machine.statements:
                if kind == "option":
                    self.check_lvalue(item, param, roots, where)
            self.check_before_parent(machine, cfamily)
        if cfamily.base == "inline":
            for member in family.lineage():
                if not member.abstract:
                    for assign in member.options:
                        self.check_lvalue(assign, param, roots, where)

    def check_defines(self, cfamily: CFamily, machines: list[Machine]) -> None:
        latest = next((d for d in cfamily.defines if d.kind == "latest"), None)
        has_bugfix = any(d.kind == "bugfix" for d in cfamily.defines)
        newest = machines[0] if machines else None
        for machine in machines:
            if machine.version is not None and len(machine.version.parts) == 3 and not has_bugfix:
                self.error(
                    machine.location,
                    f"{machine.name}: c-family {cfamily.family} has no bugfix define for X.Y.Z",
                )
            if latest is None:
                continue  # alias and default are assigned in the options function
            facts = {"alias": machine.alias, "default": machine.default}
            for fact, location in facts.items():
                if location is None:
                    continue
                if machine is not newest:
                    self.error(
                        location,
                        f"{machine.name} is the {fact} but not the newest {cfamily.family} "
                        "machine: its c-family's latest define cannot say so",
                    )
                elif fact not in latest.sets:
                    self.error(
                        location,
                        f"{machine.name} is the {fact}, which its c-family's latest define "
                        "does not set",
                    )
                    self.diags.note(latest.location, "the latest define")
            # A vendor overlay takes the default (and aliases) from upstream's
            # newest machine; upstream's C, which the vendor patches, keeps them.
            taken_over = bool(self.corpus.vendor_files)
            if machine is newest and any(facts.values()) and not taken_over:
                for fact in latest.sets:
                    if facts.get(fact) is None:
                        self.error(
                            machine.location,
                            f"{machine.name} is not the {fact}, which its c-family's latest "
                            "define sets",
                        )
                        self.diags.note(latest.location, "the latest define")

    def check_lvalue(self, assign, param: str | None, roots, where: str) -> None:
        decl = self.corpus.options.get(assign.name)
        if decl is None or not decl.c_lvalue:
            return
        match = _LVALUE_ROOT_RE.match(decl.c_lvalue)
        root = match.group(1) if match else None
        if root in ("m", param) or root in roots:
            return
        known = ", ".join(f"{r}->" for r in [param or "m", *roots])
        self.error(
            assign.location,
            f"option {decl.name} is written {decl.c_lvalue}, but {where} declares no local "
            f"{root} (its functions know {known}): add 'local {root} \"...\"'",
        )

    def check_before_parent(self, machine: Machine, cfamily: CFamily) -> None:
        """What comes before 'inherits' runs before the parent's options: a
        set added there would come before the chain's (mtc puts a machine's
        own sets after them), an option the chain sets again is overwritten."""
        kinds = [kind for kind, _ in machine.statements]
        if "inherits" not in kinds:
            return  # the call comes first
        before = []
        for kind, item in machine.statements[: kinds.index("inherits")]:
            if kind == "option":
                before.append(item)
            elif kind == "compat":
                self.error(
                    item.location,
                    f"{machine.name} adds {item.display} before 'inherits': the C would add "
                    "it before its parent's sets, mtc resolves it after them (write "
                    "'inherits' first)",
                )
        for assign in before:
            setter = self.chain_sets(machine.parent, assign.name, cfamily)
            if setter is not None:
                self.error(
                    assign.location,
                    f"{machine.name} sets {assign.name} before calling its parent's options, "
                    f"and {setter} sets it again: QEMU would keep that value (write it after "
                    "'inherits')",
                )

    def chain_sets(self, machine: Machine | None, option: str, cfamily: CFamily) -> str | None:
        while machine is not None:
            if any(a.name == option for a in machine.options):
                return machine.name
            if machine.parent is None:
                family = self.corpus.families.get(machine.family)
                mine = self.corpus.c_families.get(machine.family)
                if family is not None and mine is not None and mine.base in ("call", "inline"):
                    for member in family.lineage():
                        if not member.abstract and any(a.name == option for a in member.options):
                            return f"family {member.name}"
            machine = machine.parent
        return None

    def check_scopes_used(self) -> None:
        """Every versioned set a C-written machine adds has a home in C."""
        described = set(self.corpus.c_families)
        used: dict[str, object] = {}
        for machine in self.corpus.machines:
            if machine.family not in described:
                continue
            for ref in machine.compat:
                if ref.version is not None:
                    used.setdefault(ref.scope, ref)
        for scope, ref in used.items():
            if scope not in self.corpus.c_scopes:
                self.error(
                    ref.location,
                    f"compat scope {scope} has no c-scope: C cannot add {ref.display} "
                    f"(say where its sets live: c-scope {scope} {{ tables ... }} or local)",
                )

    def warn_undescribed(self) -> None:
        with_machines = {m.family for m in self.corpus.machines}
        for family in self.corpus.families.values():
            if family.abstract or family.name not in with_machines:
                continue
            if family.name not in self.corpus.c_families:
                self.diags.warning(
                    family.location,
                    f"family {family.name} has no c-family: the C backend writes none of its "
                    "machines",
                    check=CHECK,
                )
        warned = set()
        for compat in self.corpus.compat_sets.values():
            scope = compat.scope
            if compat.version is None or scope in self.corpus.c_scopes or scope in warned:
                continue
            warned.add(scope)
            self.diags.warning(
                compat.location,
                f"compat scope {scope} has no c-scope: the C backend writes none of its sets",
                check=CHECK,
            )


def check(corpus: Corpus, diags: Diagnostics) -> None:
    """Errors in the C backend's data."""
    CChecker(corpus, diags).run()


def warn_undescribed(corpus: Corpus, diags: Diagnostics) -> None:
    """What the C backend will not write, for a build that writes: families
    and scopes without a C description."""
    CChecker(corpus, diags).warn_undescribed()
