"""mtc: a declarative machine-type compiler for QEMU."""

__version__ = "0.1.0"
