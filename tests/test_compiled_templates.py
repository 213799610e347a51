"""The C backend's templates, compiled ahead (backends/c/templates.py): the
committed compiled/ is what the templates give, and a template edited
without regenerating is compiled from source instead of being ignored."""

import subprocess
import sys

from conftest import ROOT

from mtc.backends.c import templates

COMPILED = ROOT / "compiler" / "backends" / "c" / "compiled"


def test_compiled_templates_are_current(tmp_path):
    templates.compile_all(tmp_path)
    made = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    committed = {p.name: p.read_bytes() for p in COMPILED.iterdir() if p.is_file()}
    assert made == committed, "run 'python3 -m mtc.backends.c.templategen'"


def test_a_build_loads_the_compiled_templates():
    code = (
        "import jinja2; from mtc.backends.c import templates; "
        "print(type(templates._environment().loader).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ModuleLoader", result.stderr


def test_an_edited_template_is_compiled_from_source(tmp_path, monkeypatch):
    # A copy of the templates, one of them edited after compiled/ was made.
    source = tmp_path / "c"
    source.mkdir()
    for path in (ROOT / "compiler" / "backends" / "c").glob("*.j2"):
        (source / path.name).write_bytes(path.read_bytes())
    templates.compile_all(source / "compiled")
    host = source / "host.h.j2"
    host.write_text(host.read_text().replace("MtcHost", "MtcEditedHost"))
    monkeypatch.setattr(templates, "TEMPLATES", source)
    monkeypatch.setattr(templates, "COMPILED", source / "compiled")
    monkeypatch.setattr(templates, "MANIFEST", source / "compiled" / "MANIFEST.json")
    templates._environment.cache_clear()
    templates.template.cache_clear()
    try:
        env = templates._environment()
        assert type(env.loader).__name__ == "FileSystemLoader"
        assert "MtcEditedHost" in templates.template("host.h.j2").render(banner="b")
    finally:
        templates._environment.cache_clear()
        templates.template.cache_clear()
