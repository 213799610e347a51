"""The Jinja templates beside this module, loaded once per process."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent


def _bytecode_cache(jinja2):
    """Compiled templates kept beside the parser's cache (~/.cache/mtc), so a
    process loads them instead of compiling them; none if it cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "mtc", "c-templates")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory)


@lru_cache(maxsize=None)
def _environment():
    import jinja2  # only when the backend runs: the import costs tens of ms

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(jinja2),
    )


@lru_cache(maxsize=None)
def template(name: str):
    return _environment().get_template(name)
