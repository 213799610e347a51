"""The C backend's templates, compiled ahead (backends/c/templates.py): the
committed compiled/ is what the templates give, a build renders them without
importing Jinja and gets the bytes Jinja gives, and a template edited
without regenerating is compiled from source instead of being ignored."""

import subprocess
import sys

import pytest

from conftest import ROOT

from mtc import pipeline
from mtc.backends.c import jinja_runtime, templates
from mtc.diagnostics import Diagnostics

COMPILED = ROOT / "compiler" / "backends" / "c" / "compiled"


@pytest.fixture
def fresh_templates(monkeypatch):
    """templates.py's per-process state, emptied before and after."""

    caches = (templates._current, templates._jinja_environment, templates.template)

    def clear():
        for cached in caches:
            cached.cache_clear()

    clear()
    yield monkeypatch
    clear()


def test_compiled_templates_are_current(tmp_path):
    templates.compile_all(tmp_path)
    made = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    committed = {p.name: p.read_bytes() for p in COMPILED.iterdir() if p.is_file()}
    assert made == committed, "run 'python3 -m mtc.backends.c.templategen'"


def test_a_build_renders_the_c_without_importing_jinja(tmp_path):
    code = (
        "import sys; from mtc import cli\n"
        "try:\n"
        f"    cli.main(['build', '-q', '--root', {str(ROOT)!r}, '-o', {str(tmp_path)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'lark')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "c" / "pc_q35_machines.c.inc").read_bytes() == (
        ROOT / "generated" / "c" / "pc_q35_machines.c.inc"
    ).read_bytes()


def _c_outputs():
    resolved = pipeline.compile_project(pipeline.Project(ROOT), Diagnostics())
    return pipeline.emit(resolved, ["c"])


def test_the_compiled_templates_give_what_jinja_gives(fresh_templates):
    compiled = _c_outputs()
    assert type(templates.template("options_function.c.j2")).__name__ == "_Compiled"
    templates.template.cache_clear()
    fresh_templates.setattr(templates, "_current", lambda: False)
    assert type(templates.template("options_function.c.j2")).__module__.startswith("jinja2")
    from_source = _c_outputs()
    assert sorted(compiled) == sorted(from_source)
    for path in compiled:
        assert compiled[path] == from_source[path], path


def test_an_undefined_name_is_an_error_as_with_strict_undefined(fresh_templates):
    host = templates.template("host.h.j2")
    assert "MtcHost" in host.render(banner="/* b */")
    with pytest.raises(jinja_runtime.UndefinedError, match="'banner' is undefined"):
        host.render()
    declarations = templates.template("declarations.h.j2")
    with pytest.raises(jinja_runtime.UndefinedError, match="'name' is undefined"):
        declarations.render(banner="", guard="G", includes=[], sets=[{"host": False}])


def _template_copy(tmp_path, fresh_templates):
    source = tmp_path / "c"
    source.mkdir()
    for path in (ROOT / "compiler" / "backends" / "c").glob("*.j2"):
        (source / path.name).write_bytes(path.read_bytes())
    fresh_templates.setattr(templates, "TEMPLATES", source)
    fresh_templates.setattr(templates, "COMPILED", source / "compiled")
    fresh_templates.setattr(templates, "MANIFEST", source / "compiled" / "MANIFEST.json")
    return source


def test_an_edited_template_is_compiled_from_source(tmp_path, fresh_templates):
    # A copy of the templates, one of them edited after compiled/ was made.
    source = _template_copy(tmp_path, fresh_templates)
    templates.compile_all(source / "compiled")
    host = source / "host.h.j2"
    host.write_text(host.read_text().replace("MtcHost", "MtcEditedHost"))
    assert not templates._current()
    edited = templates.template("host.h.j2")
    assert type(edited).__module__.startswith("jinja2")
    assert "MtcEditedHost" in edited.render(banner="b")


def test_templategen_refuses_what_the_runtime_does_not_provide(tmp_path, fresh_templates):
    source = _template_copy(tmp_path, fresh_templates)
    (source / "extra.c.j2").write_text('{{ names | join(", ") }}\n')
    with pytest.raises(templates.TemplateGenError, match=r"extra.c.j2: needs environment\.filters"):
        templates.compile_all(source / "compiled")
    assert not (source / "compiled").exists(), "nothing is written when one template fails"
