"""Instance options: what QEMU runs when it creates a machine, besides its
family's init (s390x's ccw_machine_X_Y_instance_options).  Not translated
yet: each statement is reported at its place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .machinetypes import MachineType
from .program import one_line

if TYPE_CHECKING:
    from .extract import Importer


def add_instance_options(imp: Importer, machines: list[MachineType]) -> None:
    for machine in machines:
        for init in machine.init_functions:
            for stmt in init.stmts:
                function = imp.program.functions.get(stmt.callee) if stmt.kind == "call" else None
                if function is None or "instance_options" not in function.name:
                    continue
                for inner in function.stmts:
                    callee = (
                        imp.program.functions.get(inner.callee) if inner.kind == "call" else None
                    )
                    if callee is not None and "instance_options" in callee.name:
                        continue  # the next newer version's
                    imp.error(
                        inner.location,
                        f"{machine.name}: cannot translate the instance option "
                        f"'{one_line(inner.text)}' (import-c does not read target/s390x's "
                        "CPU models yet)",
                    )
