"""Regenerate the C backend's compiled templates (templates.py):

python3 -m mtc.backends.c.templategen
"""

import sys

from .templates import COMPILED, TemplateGenError, compile_all


def main() -> int:
    try:
        compile_all(COMPILED)
    except TemplateGenError as exc:
        print(f"templategen: error: {exc}", file=sys.stderr)
        return 1
    print(f"  GEN     {COMPILED.relative_to(COMPILED.parents[2])}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
