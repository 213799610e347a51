"""Regenerate the C backend's compiled templates (templates.py):

python3 -m mtc.backends.c.templategen
"""

import sys

from .templates import COMPILED, compile_all


def main() -> int:
    compile_all(COMPILED)
    print(f"  GEN     {COMPILED.relative_to(COMPILED.parents[2])}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
