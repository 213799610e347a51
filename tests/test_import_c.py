"""mtc import-c on a miniature QEMU-shaped tree (tests/fixtures/importc-mini,
written for these tests): what it writes, what it refuses, and how."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, run_mtc

MINI = ROOT / "tests" / "fixtures" / "importc-mini"
SHOWN = "tests/fixtures/importc-mini"


def test_untranslatable_statement_is_an_error_with_its_place(tmp_path):
    result = run_mtc("import-c", SHOWN, "-o", str(tmp_path), "--config", "CONFIG_TINY_EXTRA=on")
    assert result.returncode == 1
    assert (
        f"{SHOWN}/hw/i386/pc_q35.c:49:5: error: tiny-q-8.1: cannot translate the call "
        "tiny_tweak(m) [-Wuntranslatable]\n        tiny_tweak(m);\n        ^\n"
    ) in result.stderr
    assert "nothing written" in result.stderr
    assert not (tmp_path / "machines").exists()


def test_unknown_build_option_needs_config(tmp_path):
    result = run_mtc("import-c", SHOWN, "-o", str(tmp_path), "--partial")
    assert result.returncode == 0
    assert (
        f"{SHOWN}/hw/core/machine.c:13:5: warning: unknown build option CONFIG_TINY_EXTRA in "
        "#if: give --config CONFIG_TINY_EXTRA=on|off (--partial declares it off)"
    ) in result.stderr


def imported(tmp_path):
    result = run_mtc(
        "import-c", SHOWN, "-o", str(tmp_path), "--partial", "--config", "CONFIG_TINY_EXTRA=on"
    )
    assert result.returncode == 0, result.stderr
    assert "3 machine types, 3 compat sets" in result.stdout
    return {
        path.relative_to(tmp_path / "machines").as_posix(): path.read_text()
        for path in (tmp_path / "machines").rglob("*.mtc")
    }


def test_partial_import_writes_the_tree(tmp_path):
    files = imported(tmp_path)
    assert sorted(files) == [
        "hw.mtc",
        "options.mtc",
        "releases.mtc",
        "x86/pc.mtc",
        "x86/pc_q35.mtc",
        "x86/targets.mtc",
    ]
    hw = files["hw.mtc"]
    assert hw.startswith("# Imported by mtc import-c from QEMU 9.0.3: hw/core/machine.c.\n")
    # Entries in order, with their comments (above or trailing), optional and #ifdef.
    assert (
        "compat hw 8.2 {\n"
        '    tiny-dev.x-mode = "legacy"\n'
        "    # Optional: only some tiny buses have it\n"
        '    tiny-bus.width = "8" optional\n'
        "}\n"
    ) in hw
    assert '    tiny-dev.x-mode = "older"  # trailing\n' in hw
    assert '    tiny-extra.on = "off" if config.CONFIG_TINY_EXTRA\n' in hw
    # A target-dependent macro stays a ${MACRO}; the targets define it.
    assert '    ${TYPE_TINY_CPU}.x-feature = "off"\n' in files["x86/pc.mtc"]
    assert '    model-${TYPE_TINY_CPU}.level = "0x0d"\n' in files["x86/pc.mtc"]
    assert '    define TYPE_TINY_CPU "i386-cpu"\n' in files["x86/targets.mtc"]
    q35 = files["x86/pc_q35.mtc"]
    assert "machine tiny-q 9.0 { alias  default }" in q35
    assert '    deprecated "use tiny-q-8.2"\n' in q35
    assert (
        "    # 8.2 and older have half the memory\n    option smbios-memory-device-size = 8GiB\n"
        in q35
    )
    assert "    option max-cpus = TINY_MAX_CPUS\n" in q35
    assert "const TINY_MAX_CPUS = 77" in files["options.mtc"]
    assert "config CONFIG_TINY_EXTRA default on" in files["options.mtc"]


def test_imported_tree_builds_and_resolves(tmp_path):
    imported(tmp_path)
    build = run_mtc("build", "--root", str(tmp_path))
    assert build.returncode == 0, build.stderr
    data = json.loads((tmp_path / "generated" / "json" / "i386.json").read_text())
    machines = {m["name"]: m for m in data["machines"]}
    assert list(machines) == ["tiny-q-9.0", "tiny-q-8.2", "tiny-q-8.1"]
    old = machines["tiny-q-8.1"]
    assert old["parent"] == "tiny-q-8.2" and old["deprecated"] and old["cpu-max"] == 77
    assert old["default-cpu-type"] == "base-i386-cpu" and old["acpi"] is True
    assert old["options"]["default-nic"] == "old-nic"
    assert [(p["qom-type"], p["property"], p["value"]) for p in old["compat-props"]] == [
        ("tiny-dev", "x-mode", "legacy"),
        ("tiny-bus", "width", "8"),
        ("tiny-dev", "x-mode", "older"),
        ("tiny-extra", "on", "off"),
        ("i386-cpu", "x-feature", "off"),
        ("model-i386-cpu", "level", "0x0d"),
    ]
    assert machines["tiny-q-9.0"]["alias"] == "tiny" and machines["tiny-q-9.0"]["is-default"]


def test_refuses_to_replace_machines_without_force(tmp_path):
    (tmp_path / "machines").mkdir()
    result = run_mtc("import-c", SHOWN, "-o", str(tmp_path), "--partial")
    assert result.returncode == 2
    assert "exists (--force replaces it)" in result.stderr


def test_not_a_qemu_tree_is_a_usage_error(tmp_path):
    result = run_mtc("import-c", str(tmp_path), "-o", str(tmp_path))
    assert result.returncode == 2
    assert "not a QEMU source tree" in result.stderr


def test_missing_extra_is_named(tmp_path):
    """Without tree-sitter the command says which extra to install."""
    code = (
        "import sys; sys.modules['tree_sitter'] = None\n"
        "from mtc.cli import main\n"
        f"sys.exit(main(['import-c', {SHOWN!r}, '-o', {str(tmp_path)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "needs the 'import-c' extra" in result.stderr
    assert "pip install 'mtc[import-c]'" in result.stderr


def test_help_explains_the_command():
    result = run_mtc("import-c", "--help")
    assert result.returncode == 0
    for words in ("QEMU_SOURCE_DIR", "--partial", "--config", "vocabulary", "file:line"):
        assert words in result.stdout
