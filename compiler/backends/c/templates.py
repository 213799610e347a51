"""The Jinja templates beside this module, loaded once per process.

Compiling the templates costs a build more than rendering them, and
importing Jinja about as much again, so they are compiled ahead, like the
parse tables: `python3 -m mtc.backends.c.templategen` has Jinja compile each
*.j2 into a module of compiled/ (committed; a test fails until it is
current) that imports the little it needs at run time from jinja_runtime.py
instead of Jinja, and a build imports those modules.  compiled/MANIFEST.json
names the Jinja that compiled them and a CRC of every template; should a
template's CRC differ from the text beside it (edited without
regenerating), the templates are compiled from source with Jinja instead,
which is slower but never wrong.  Nothing is cached anywhere.
"""

from __future__ import annotations

import ast
import importlib
import json
import zlib
from functools import lru_cache
from pathlib import Path

from . import jinja_runtime

TEMPLATES = Path(__file__).parent
COMPILED = TEMPLATES / "compiled"
MANIFEST = COMPILED / "MANIFEST.json"
_JINJA_IMPORT = "from jinja2.runtime import "


class TemplateGenError(Exception):
    """A template needs more of Jinja at run time than jinja_runtime gives."""


def _sources() -> dict[str, str]:
    """Template name -> CRC of its text."""
    return {
        path.name: f"{zlib.crc32(path.read_bytes()):08x}" for path in sorted(TEMPLATES.glob("*.j2"))
    }


def module_name(template_name: str) -> str:
    """tables.c.j2 -> tables_c: the compiled module of a template."""
    return template_name.removesuffix(".j2").replace(".", "_").replace("-", "_")


def _options(jinja2) -> dict:
    return dict(
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


class _Compiled:
    """A compiled module's template: render(**variables) -> text."""

    def __init__(self, module) -> None:
        module.environment = jinja_runtime.Environment()
        self._root = module.root

    def render(self, **variables) -> str:
        return "".join(self._root(jinja_runtime.Context(variables)))


@lru_cache(maxsize=None)
def _current() -> bool:
    """Whether compiled/ was made from the templates beside it."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("templates") == _sources()


@lru_cache(maxsize=None)
def _jinja_environment():
    import jinja2  # only for templates edited since compiled/ was made

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), **_options(jinja2))


@lru_cache(maxsize=None)
def template(name: str):
    if _current():
        module = importlib.import_module(f"{__package__}.compiled.{module_name(name)}")
        return _Compiled(module)
    return _jinja_environment().get_template(name)


# ---- templategen --------------------------------------------------------------


def compile_all(target: Path) -> None:
    """Every template compiled to a module of target, and the manifest."""
    import jinja2

    source = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), **_options(jinja2))
    modules = {}  # all made before anything is written: no half-made compiled/
    for name in sorted(_sources()):
        text = source.loader.get_source(source, name)[0]
        # defer_init: the module looks nothing up in `environment` until it renders.
        code = source.compile(text, name, name, raw=True, defer_init=True)
        modules[f"{module_name(name)}.py"] = _off_jinja(name, code)
    modules["__init__.py"] = (
        '"""The C templates, compiled by templategen.py (generated; do not edit)."""\n'
    )
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.py"):
        stale.unlink()
    for filename, text in modules.items():
        (target / filename).write_text(text, encoding="utf-8")
    manifest = {"jinja2": jinja2.__version__, "templates": _sources()}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (target / "MANIFEST.json").write_text(text, encoding="utf-8")


def _off_jinja(name: str, code: str) -> str:
    """Jinja's compiled module of template `name`, importing from
    jinja_runtime only the names it uses; an error if it uses more of Jinja
    than jinja_runtime gives."""
    first, _, body = code.partition("\n")
    if not first.startswith(_JINJA_IMPORT):
        raise TemplateGenError(f"{name}: Jinja's compiled module does not start as expected")
    offered = {n.strip() for n in first[len(_JINJA_IMPORT) :].split(",")}
    used: set[str] = set()
    for node in ast.walk(ast.parse(body)):
        if isinstance(node, ast.Name) and node.id in offered:
            used.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            allowed = {
                "environment": jinja_runtime.ENVIRONMENT_METHODS,
                "context": jinja_runtime.CONTEXT_METHODS,
            }.get(node.value.id)
            if allowed is not None and node.attr not in allowed:
                raise TemplateGenError(
                    f"{name}: needs {node.value.id}.{node.attr}, which jinja_runtime.py "
                    "does not provide"
                )
    unprovided = sorted(used - jinja_runtime.PROVIDED)
    if unprovided:
        raise TemplateGenError(
            f"{name}: needs {', '.join(unprovided)}, which jinja_runtime.py does not provide"
        )
    header = (
        f"# Generated by 'python3 -m mtc.backends.c.templategen' from {name}"
        " (Jinja's compiled form); do not edit.\n"
    )
    return f"{header}from ..jinja_runtime import {', '.join(sorted(used))}\n{body}\n"
