"""The Jinja templates beside this module, loaded once per process.

Compiling the templates costs a build more than rendering them, so they are
compiled ahead, like the parse tables: `python3 -m mtc.backends.c.templategen`
writes Jinja's own compiled form of each *.j2 to compiled/ (committed; a test
fails until it is current), and a build loads those modules.  compiled/
MANIFEST.json names the Jinja version and a CRC of every template they were
made from; should either differ from what runs (a template edited without
regenerating, another Jinja), the templates are compiled from source
instead, which is slower but never wrong.  Nothing is cached anywhere.
"""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent
COMPILED = TEMPLATES / "compiled"
MANIFEST = COMPILED / "MANIFEST.json"


def _sources() -> dict[str, str]:
    """Template name -> CRC of its text."""
    return {
        path.name: f"{zlib.crc32(path.read_bytes()):08x}" for path in sorted(TEMPLATES.glob("*.j2"))
    }


def _manifest(jinja2) -> dict:
    return {"jinja2": jinja2.__version__, "templates": _sources()}


def _options(jinja2) -> dict:
    return dict(
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


@lru_cache(maxsize=None)
def _environment():
    import jinja2  # only when the backend runs: the import costs tens of ms

    try:
        current = json.loads(MANIFEST.read_text(encoding="utf-8")) == _manifest(jinja2)
    except (OSError, ValueError):
        current = False
    loader = (
        jinja2.ModuleLoader(str(COMPILED)) if current else jinja2.FileSystemLoader(str(TEMPLATES))
    )
    return jinja2.Environment(loader=loader, **_options(jinja2))


@lru_cache(maxsize=None)
def template(name: str):
    return _environment().get_template(name)


def compile_all(target: Path) -> None:
    """Jinja's compiled form of every template, and the manifest, in target."""
    import jinja2

    source = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), **_options(jinja2))
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("tmpl_*.py"):
        stale.unlink()
    source.compile_templates(str(target), extensions=["j2"], zip=None, ignore_errors=False)
    text = json.dumps(_manifest(jinja2), indent=2, sort_keys=True) + "\n"
    (target / "MANIFEST.json").write_text(text, encoding="utf-8")
