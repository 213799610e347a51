"""s390x CPU models: definitions, default feature sets, deprecated features
and the per-machine-version CPU changes (ccw_machine_X_Y_instance_options).

Placeholder until the CPU-model DSL lands: no machine has CPU changes yet.
"""

from __future__ import annotations


def machine_cpu_c_lines(corpus, machine) -> list[str]:
    """The C statements of `machine`'s own instance options that change CPU
    models (s390_cpudef_featoff_greater(...), s390_set_qemu_cpu_model(...)),
    in source order; the C backend puts them after the call to the next
    newer version's instance options."""
    return []
