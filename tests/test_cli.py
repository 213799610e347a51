"""The command line, run as a subprocess the way a build pipeline runs it."""

import json
import shutil

import jsonschema
import pytest

from conftest import ROOT, run_mtc

from mtc.backends.json import SCHEMA_PATH


def tree_bytes(directory):
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_check_passes_on_the_committed_tree():
    result = run_mtc("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_from_empty_generated_reproduces_committed_files(project_copy):
    shutil.rmtree(project_copy / "generated")
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 0, result.stderr
    assert tree_bytes(project_copy / "generated") == tree_bytes(ROOT / "generated")


def test_build_is_deterministic_and_touches_nothing_unchanged(project_copy):
    before = {p: p.stat().st_mtime_ns for p in (project_copy / "generated").rglob("*.*")}
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 0
    assert result.stdout == ""  # nothing written
    after = {p: p.stat().st_mtime_ns for p in (project_copy / "generated").rglob("*.*")}
    assert before == after


def test_check_reports_stale_output_with_a_diff(project_copy):
    target = project_copy / "generated" / "json" / "x86_64.json"
    target.write_text(target.read_text().replace('"cpu-max": 4096', '"cpu-max": 4095', 1))
    result = run_mtc("check", "--root", str(project_copy))
    assert result.returncode == 1
    assert "--- a/generated/json/x86_64.json" in result.stdout
    assert '-    "cpu-max": 4095,' in result.stdout
    assert '+    "cpu-max": 4096,' in result.stdout


def test_check_reports_extra_and_missing_files(project_copy):
    generated = project_copy / "generated"
    # A file an older build wrote (the manifest lists it) and one nobody did.
    manifest = generated / ".mtc-manifest"
    manifest.write_text(manifest.read_text() + "json/retired.json\n")
    (generated / "json" / "retired.json").write_text("{}\n")
    (generated / "json" / "notes.txt").write_text("mine\n")
    (generated / "json" / "i386.json").unlink()
    result = run_mtc("check", "--root", str(project_copy))
    assert result.returncode == 1
    assert "--- a/generated/json/retired.json" in result.stdout
    assert "+++ b/generated/json/i386.json" in result.stdout
    assert "generated/json/notes.txt: error: not written by mtc" in result.stderr
    build = run_mtc("build", "--root", str(project_copy), check=True)
    assert "RM      generated/json/retired.json" in build.stdout
    assert "generated/json/notes.txt: warning: not written by mtc, left in place" in build.stderr
    assert not (generated / "json" / "retired.json").exists()
    # mtc never deletes what it did not write; check fails until it is gone.
    assert (generated / "json" / "notes.txt").read_text() == "mine\n"
    assert run_mtc("check", "--root", str(project_copy)).returncode == 1
    (generated / "json" / "notes.txt").unlink()
    assert run_mtc("check", "--root", str(project_copy)).returncode == 0


@pytest.mark.parametrize(
    "breakage, message",
    [
        (("machines/hw.mtc", "compat hw 9.1 {", "compat hw 9.1 {{"), "syntax error"),
        (("machines/hw.mtc", "compat hw 9.1 {", "compat hw 9.7 {"), "unknown release 9.7"),
        (
            ("machines/x86/pc-q35.mtc", "compat hw 9.1, pc 9.1", "compat hw 9.1, pc 9.11"),
            "unknown compat set 'pc 9.11'",
        ),
    ],
)
def test_bad_input_is_located_and_leaves_generated_untouched(project_copy, breakage, message):
    path, old, new = breakage
    source = project_copy / path
    text = source.read_text()
    assert old in text
    source.write_text(text.replace(old, new, 1))
    before = tree_bytes(project_copy / "generated")
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(i for i, l in enumerate(source.read_text().splitlines(), 1) if new in l)
    assert f"{path}:{line}:" in result.stderr
    assert message in result.stderr
    assert "^" in result.stderr
    assert tree_bytes(project_copy / "generated") == before


def test_binary_file_in_machines(project_copy):
    (project_copy / "machines" / "x86" / "junk.mtc").write_bytes(b"\x7fELF\x02\x01\x00\x00" * 64)
    before = tree_bytes(project_copy / "generated")
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "machines/x86/junk.mtc:1:1: error: binary file" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_bytes(project_copy / "generated") == before


def test_huge_input_compiles(tmp_path):
    machines = tmp_path / "machines"
    machines.mkdir()
    lines = [
        'target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }',
        "release 9.2 date 2024-12-10",
        "compat hw 9.2 {",
    ]
    lines += [f'    dev{i}.prop{i} = "{i}"' for i in range(50000)]
    lines += ["}", 'family f { name "f-{version}" targets x86_64 }', "machine f 9.2 { }"]
    (machines / "big.mtc").write_text("\n".join(lines) + "\n")
    result = run_mtc("build", "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((tmp_path / "generated" / "json" / "x86_64.json").read_text())
    assert data["machines"][0]["compat-props"] == []  # f-9.2 adds no set


def test_root_is_found_from_a_subdirectory():
    result = run_mtc("list", "--target", "i386", "--at", "10.0", cwd=ROOT / "machines" / "x86")
    assert result.returncode == 0
    assert "pc-q35-4.0.1" in result.stdout
    assert "pc-i440fx-10.0  cpu-max 255  (alias pc, default)" in result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run_mtc("frobnicate").returncode == 2
    assert run_mtc("list", cwd=tmp_path).returncode == 2
    result = run_mtc("show", "pc-q35-1.0")
    assert result.returncode == 2 and "unknown machine 'pc-q35-1.0'" in result.stderr
    assert run_mtc("list", "--target", "mips").returncode == 2


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["list"], ["show"]])
def test_help_everywhere(command):
    result = run_mtc(*command, "--help")
    assert result.returncode == 0
    assert "usage: mtc" in result.stdout


def test_show_explains_provenance():
    result = run_mtc("show", "pc-q35-8.2", "--target", "x86_64")
    assert result.returncode == 0
    assert "inherits: pc-q35-9.0" in result.stdout
    assert 'virtio-iommu-pci.aw-bits = "39"' in result.stdout
    # hw_compat_8_2 overrides the family default for 8.2 and older.
    line = next(l for l in result.stdout.splitlines() if 'aw-bits = "39"' in l)
    assert "pc_q35_compat_defaults" in line and "[overridden later]" in line
    assert "max-cpus = 1024" in result.stdout


def test_show_json_is_the_backend_object():
    result = run_mtc("show", "q35", "--json")
    assert result.returncode == 0
    shown = json.loads(result.stdout)
    data = json.loads((ROOT / "generated" / "json" / "x86_64.json").read_text())
    assert shown == next(m for m in data["machines"] if m.get("alias") == "q35")
    assert shown["name"].startswith("pc-q35-") and shown["family"] == "pc-q35"


@pytest.mark.parametrize("target", ["x86_64", "i386"])
def test_json_output_validates_against_schema(target):
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads((ROOT / "generated" / "json" / f"{target}.json").read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["target"] == target


def test_schema_rejects_a_broken_document():
    schema = json.loads(SCHEMA_PATH.read_text())
    data = json.loads((ROOT / "generated" / "json" / "x86_64.json").read_text())
    del data["machines"][0]["compat-props"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_show_a_machine_with_a_build_time_guarded_entry(tmp_path):
    # A build-time guard is decided when the target is resolved: the entry
    # then applies like any other (it once made 'show' fail with exit 3).
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "m.mtc").write_text(
        "release 9.2 date 2024-12-11\n"
        'target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }\n'
        "config CONFIG_X default on\n"
        'family f { name "f-{version}" targets x86_64 }\n'
        "machine f 9.2 { compat hw 9.2 }\n"
        'compat hw 9.2 { virtio-mmio.format_transport_address = "off" if config.CONFIG_X }\n'
    )
    shown = run_mtc("show", "f-9.2", "--root", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert (
        'virtio-mmio.format_transport_address = "off"    (hw_compat_9_2, machines/m.mtc:6)'
        in shown.stdout
    )
    assert "overridden" not in shown.stdout
    off = run_mtc("show", "f-9.2", "--root", str(tmp_path), "--config", "CONFIG_X=off")
    assert off.returncode == 0, off.stderr
    assert "compat properties (0," in off.stdout


def test_file_names_outputs_cannot_carry_are_located_errors(project_copy):
    """A non-UTF-8 name crashed every build; one with a newline or U+FFFE
    would have reached every banner.  Shown escaped, never printed raw."""
    machines = bytes(project_copy / "machines")
    for name in (b"latin\xe9.mtc", b"new\nline.mtc", "nonchar\ufffe.mtc".encode()):
        with open(machines + b"/" + name, "wb") as handle:
            handle.write(b"# empty\n")
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "internal error" not in result.stderr
    for shown, why in (
        ("latin\\xe9.mtc", "is not UTF-8"),
        ("new\\x0aline.mtc", "holds a character outputs cannot carry"),
        ("nonchar\\ufffe.mtc", "holds a character outputs cannot carry"),
    ):
        assert f"machines/{shown}:1:1: error: file name {why}: rename it" in result.stderr


def test_list_and_show_answer_from_machines_alone(project_copy):
    """list and show read no QOM registry (a broken one is build's and
    check's to report); show --device needs one and says so."""
    registry = project_copy / "machines" / "registry" / "qemu-10.0-x86_64.qom.json"
    registry.write_text(registry.read_text()[:-40])
    assert run_mtc("build", "--root", str(project_copy)).returncode == 1
    listed = run_mtc("list", "--target", "x86_64", "--root", str(project_copy))
    assert listed.returncode == 0, listed.stderr
    assert "pc-q35-10.0" in listed.stdout
    shown = run_mtc("show", "pc-q35-4.2", "--root", str(project_copy))
    assert shown.returncode == 0, shown.stderr
    assert 'virtio-blk-device.x-enable-wce-if-config-wce = "off"' in shown.stdout
    device = run_mtc(
        "show", "pc-q35-4.2", "--device", "virtio-blk-pci", "--root", str(project_copy)
    )
    assert device.returncode == 1
    assert "qemu-10.0-x86_64.qom.json" in device.stderr


def test_build_at_writes_an_earlier_release_only_elsewhere(tmp_path):
    refused = run_mtc("build", "--at", "9.2", "--root", str(ROOT))
    assert refused.returncode == 2
    assert "--at needs -o DIR" in refused.stderr
    built = run_mtc("build", "-q", "--at", "9.2", "-o", str(tmp_path), "--root", str(ROOT))
    assert built.returncode == 0, built.stderr
    machines = json.loads((tmp_path / "json" / "x86_64.json").read_text())["machines"]
    names = [m["name"] for m in machines]
    assert "pc-q35-10.0" not in names and "pc-i440fx-10.0" not in names
    newest = {m["name"]: m for m in machines}["pc-i440fx-9.2"]
    # As of 9.2, QEMU 9.2's own: the newest takes the alias and the default,
    # and pins nothing (hw_compat_9_2 is 10.0's).
    assert (newest["alias"], newest["is-default"], newest["compat-props"]) == ("pc", True, [])
    assert not (tmp_path / ".mtc-manifest").exists()
    assert run_mtc("check", "--root", str(ROOT)).returncode == 0


def test_diff_and_explain_leave_checking_entries_to_build(project_copy):
    """diff and explain read the registries (for defaults) but do not check
    compat entries against them: an entry no registry knows is build's and
    check's to report."""
    hw = project_copy / "machines" / "hw.mtc"
    hw.write_text(
        hw.read_text().replace(
            "compat hw 9.2 {", 'compat hw 9.2 {\n    virtio-net-pci.x-no-such-property = "on"', 1
        )
    )
    built = run_mtc("build", "--root", str(project_copy))
    assert built.returncode == 1
    assert "x-no-such-property" in built.stderr
    explained = run_mtc(
        "explain", "pc-q35-8.2", "virtio-iommu-pci.aw-bits", "--root", str(project_copy)
    )
    assert explained.returncode == 0, explained.stderr
    assert "aw-bits" in explained.stdout
    diffed = run_mtc("diff", "pc-q35-9.2", "pc-q35-10.0", "--root", str(project_copy))
    assert diffed.returncode == 0, diffed.stderr
    assert "x-no-such-property" in diffed.stdout
