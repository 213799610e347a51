"""The Jinja templates beside this module, loaded once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent


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
    )


@lru_cache(maxsize=None)
def template(name: str):
    return _environment().get_template(name)
