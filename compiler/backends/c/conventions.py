"""How QEMU writes each family and scope in C: machines/' c-* declarations,
as the typed view the rest of the backend reads.

Nothing here knows a particular family: pc-q35's function names, DEFINE
lines and base function are what machines/x86/pc-q35.mtc's `c-family
pc-q35` says (compiler/cchecks.py has checked it).  A family without a
c-family, or not listed by a c-file, is not written in C (cchecks.py warns).
"""

from __future__ import annotations

import re
from functools import cached_property

from ...records import record
from ...model import CFamily, CFile, CScope, Corpus, Family, Machine
from ...versions import Version
from .conditions import CBackendError

OUTPUT_DIR = "c"
HOST_HEADER = "host.h"
HOST_FEATURES = "host_features.c"

_PARAM_RE = re.compile(r"(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*\Z", re.S)
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """A c-family template with its {placeholders} replaced."""
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


def output_path(name: str) -> str:
    return f"{OUTPUT_DIR}/{name}"


@record(frozen=True)
class Parameter:
    """An options function's parameter: "MachineClass *m" -> m."""

    text: str
    name: str

    @classmethod
    def of(cls, text: str) -> "Parameter":
        match = _PARAM_RE.match(text.strip())
        if match is None:
            raise CBackendError(f"cannot find the parameter's name in '{text}'")
        return cls(text.strip(), match.group(2))


@record
class FamilyStyle:
    """One family as its c-family and c-file describe it."""

    family: Family
    c: CFamily
    file: CFile
    part: str  # the generated file its newest machines go to

    @cached_property
    def param(self) -> Parameter:
        return Parameter.of(self.c.function.param)

    @cached_property
    def instance_param(self) -> Parameter | None:
        if self.c.instance_function is None:
            return None
        return Parameter.of(self.c.instance_function.param)

    def options_fn(self, machine: Machine) -> str:
        return fill(self.c.function.template, version_values(machine.version))

    def instance_fn(self, machine: Machine) -> str | None:
        if self.c.instance_function is None:
            return None
        return fill(self.c.instance_function.template, version_values(machine.version))

    def decl_for(self, root: str) -> str | None:
        for name, decl, _ in self.c.locals:
            if name == root:
                return decl
        return None

    @property
    def local_roots(self) -> list[str]:
        return [name for name, _, _ in self.c.locals]

    def define(self, kind: str):
        for define in self.c.defines:
            if define.kind == kind:
                return define
        return None

    def symbol(self, machine: Machine) -> str:
        """A machine's own C name ({symbol}): its name as an identifier,
        unless the c-family pins another (QEMU's xenfv for xenfv-3.1)."""
        if machine.version is not None and machine.version in self.c.symbols:
            return self.c.symbols[machine.version][0]
        return re.sub(r"[^A-Za-z0-9_]", "_", machine.name)

    def part_of(self, machine: Machine) -> str:
        """The generated file that holds `machine` (a c-file's split sends
        the older machines of one family to a second file)."""
        split = self.file.split
        if (
            split is not None
            and split.family == self.family.name
            and machine.version is not None
            and machine.version <= split.version
        ):
            return split.file
        return self.part


def version_values(version: Version | None) -> dict[str, str]:
    """The placeholders a version fills: {version} 4_0_1, {major} 4, ..."""
    if version is None:
        return {}
    parts = [str(p) for p in version.parts]
    values = {"version": version.c_suffix, "major": parts[0], "minor": parts[1]}
    if len(parts) > 2:
        values["micro"] = parts[2]
    return values


@record
class Conventions:
    """Every c-* declaration of a corpus, looked up."""

    corpus: Corpus

    @cached_property
    def headers(self) -> dict[str, tuple[str, bool]]:
        """name -> (header, is a macro) for every c-header."""
        found = {}
        for header in self.corpus.c_headers:
            for name, _ in header.names:
                found.setdefault(name, (header.header, header.macro))
        return found

    @cached_property
    def type_names(self) -> list[tuple[str, str]]:
        """(suffix, macro), longest suffix first."""
        pairs = [(t.suffix, t.macro) for t in self.corpus.c_type_names.values()]
        return sorted(pairs, key=lambda p: (-len(p[0]), p[1]))

    def scope(self, name: str) -> CScope | None:
        return self.corpus.c_scopes.get(name)

    @cached_property
    def families(self) -> list[FamilyStyle]:
        """The families written in C, file by file, in each c-file's order."""
        styles = []
        for cfile in self.corpus.c_files.values():
            for name, _ in cfile.families:
                family = self.corpus.families.get(name)
                cfamily = self.corpus.c_families.get(name)
                if family is None or cfamily is None or family.abstract:
                    continue  # cchecks.py reported it
                styles.append(FamilyStyle(family, cfamily, cfile, cfile.name))
        return styles
