"""C backend: what QEMU's own files hold, generated, for every build.

The JSON and libvirt outputs describe one configured binary; the C
describes them all: build-time guards (config.X, target == T) become
preprocessor conditions, so the machines and entries of every configuration
are written, each under its #if (conditions.py).  Machines are therefore
read from the corpus, not from the resolved model, which leaves out what the
current configuration does not build.

Every generated file replaces one part of a QEMU file, mechanically:
`mtc qemu-swap` (compiler/workflow/qemuswap.py) swaps each for an #include.
Where each goes and how each family is spelled is data, machines/' c-*
declarations (conventions.py); a family without one gets no C.

    tables.py     each c-scope's sets (hw_compat.c.inc for hw/core/machine.c)
                  and their extern declarations (hw_compat.h for
                  include/hw/boards.h): <scope>_compat_X_Y[] and _len
    machines.py   each c-file: options functions and DEFINE lines, in
                  QEMU's order and statement order (pc_q35_machines.c.inc
                  for hw/i386/pc_q35.c)
    functions.py  how one options function is written
    host.py       host.h and host_features.c: mtc's run-time host checks
    text.py       C text: strings, comments, banners, #include lines
    conditions.py build-time guards as #if, host guards as C expressions

Not written: option assignments under a host guard (a CBackendError: a
machine class is built once, before any host is known); what the family's
base function, DEFINE macros and abstract parent set, which stay QEMU's;
the deprecation of versioned machines, which QEMU's MACHINE_VER_DEPRECATION
derives itself.
"""

from __future__ import annotations

from .. import merge_outputs
from ...resolve import Resolved
from .conditions import CBackendError
from .conventions import Conventions
from .host import render_host
from .machines import render_machines
from .tables import render_tables

__all__ = ["CBackendError", "emit"]


def emit(resolved: Resolved, sources: list[str]) -> dict[str, str]:
    """Every configuration's C: read from the corpus, whatever `resolved`
    was configured with."""
    corpus = resolved.corpus
    conventions = Conventions(corpus)

    def locate(path: str):
        """The c-* declaration that names `path`, for a path another output
        has too (a c-file named host_features.c, two scopes in one file)."""
        declared = [(f.name, f.location) for f in corpus.c_files.values()]
        for scope in corpus.c_scopes.values():
            for placement in (scope.tables, scope.declarations):
                if placement is not None:
                    declared.append((placement.file, placement.location))
        for name, location in reversed(declared):
            if f"c/{name}".casefold() == path.casefold():
                return location
        return None

    outputs: dict[str, str] = {}
    for part in (render_tables, render_host, render_machines):
        merge_outputs(outputs, part(conventions, sources), locate)
    return outputs
