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
    assert "6 machine types, 3 compat sets" in result.stdout
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
        "s390x/cpu-models.mtc",
        "s390x/s390-virtio-ccw.mtc",
        "s390x/targets.mtc",
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


# ---- s390x: target/s390x's CPU models and the machines' instance options ------------


def test_s390x_cpu_models_are_read_from_target(tmp_path):
    models = imported(tmp_path)["s390x/cpu-models.mtc"]
    assert models.startswith(
        "# Imported by mtc import-c from QEMU 9.0.3: target/s390x/cpu_features_def.h.inc, "
        "target/s390x/cpu_features.c, target/s390x/gen-features.c, target/s390x/cpu_models.c.\n"
    )
    # DEF_FEAT lines expanded with cpu_features.c's DEF_FEAT, in bit order.
    assert (
        '    feature basic BASIC "Basic tiny facility"\n'
        '    feature wide WIDE "Wide-register facility"\n'
        '    feature fsske FAST_SSKE "Fast set-storage-key facility"\n'
    ) in models
    # Groups: s390_feature_groups[] names, members from gen-features.c's lists.
    assert (
        '    group clocks CLOCKS "Tiny clock subfunctions" {\n        clock-a, clock-b\n' in models
    )
    # The legacy definition keeps its build option; user-mode-only ones are gone.
    assert (
        '    cpu t1 0x1001 gen1.1 "Tiny 1 GA1" mha-pow 38 hmfai 0x00000000 '
        "if config.CONFIG_S390X_LEGACY_CPUS\n"
        '    cpu t2 0x2001 gen2.1 "Tiny 2 GA1" mha-pow 44 hmfai 0x08000000\n'
    ) in models
    assert "t1-user" not in models
    # A whole group's list is named by the group; an EmptyFeat level is empty;
    # print_feature_defs()'s clears go first, with their comment.
    assert "    ga gen1.2 { }\n" in models
    assert "    ga gen2.1 {\n        base clocks\n        default crypt-base\n    }\n" in models
    assert (
        "    ga gen3.1 {\n"
        "        # With gen3 fast SSKE is gone\n"
        "        clear base fsske\n"
        "        clear default fsske\n"
        "        base wide\n"
    ) in models
    assert "    qemu-features QEMU_V8_2 {\n        clocks, basic\n    }\n" in models
    # QEMU_MAX_CPU_TYPE/GEN/EC_GA name t2; the host model is the vocabulary's.
    assert "    qemu-model t2 QEMU_MAX\n" in models
    assert (
        '    host-model t3a "the newest CPU definition of QEMU 9.0 (Tiny 3 model A GA1)"' in models
    )
    assert "    deprecated fsske\n" in models


def test_s390x_instance_options_become_cpu_statements(tmp_path):
    ccw = imported(tmp_path)["s390x/s390-virtio-ccw.mtc"]
    assert (
        "machine tiny-ccw 8.2 {\n"
        "    compat hw 8.2\n"
        "    cpu-featoff gen3.1 vx, epoch\n"
        "    cpu-group-featoff gen2.1 clocks\n"
        "    # 8.2 and older start on a tiny 2\n"
        "    cpu-qemu-model t2 QEMU_V8_2\n"
        "}\n"
    ) in ccw
    assert "    instance css_migration_enabled = false\n" in ccw
    # Type and default from hw/s390x/css.c, the meaning from the vocabulary.
    assert (
        "instance-global css_migration_enabled bool default true "
        '"migrate the channel subsystem state"\n'
    ) in ccw


def test_unknown_cpu_feature_is_an_error_with_its_place(tmp_path):
    result = run_mtc("import-c", SHOWN, "-o", str(tmp_path), "--config", "CONFIG_TINY_EXTRA=on")
    assert result.returncode == 1
    assert (
        f"{SHOWN}/hw/s390x/s390-virtio-ccw.c:79:5: error: tiny-ccw-8.1: cannot translate the "
        "instance option 's390_cpudef_featoff_greater(2, 1, S390_FEAT_NOT_THERE)': "
        "S390_FEAT_NOT_THERE is no CPU feature of target/s390x [-Wuntranslatable]\n"
    ) in result.stderr


def test_imported_s390x_tree_resolves_its_cpu_models(tmp_path):
    imported(tmp_path)
    build = run_mtc("build", "--root", str(tmp_path))
    assert build.returncode == 0, build.stderr
    data = json.loads((tmp_path / "generated" / "json" / "s390x.json").read_text())
    machines = {m["name"]: m for m in data["machines"]}
    newest, old = machines["tiny-ccw-9.0"]["cpu-models"], machines["tiny-ccw-8.1"]
    # 9.0: the registration-time 'qemu' model, QEMU_V8_2 and QEMU_MAX together.
    assert newest["qemu-model"]["definition"] == "t2" and newest["featoff"] == []
    assert newest["qemu-model"]["features"] == ["basic", "clock-a", "clock-b", "crypt-aes"]
    # 8.1 runs 8.2's instance options: vx and epoch off from gen3.1 on, the
    # clocks group off from gen2.1 on; its own css_migration_enabled = false.
    assert old["cpu-models"]["qemu-model"]["set-by"] == "tiny-ccw-8.2"
    assert old["cpu-models"]["default-features-removed"] == {
        "t2": ["clock-a", "clock-b"],
        "t3a": ["vx", "epoch", "clock-a", "clock-b"],
        "t3b": ["vx", "epoch", "clock-a", "clock-b"],
    }
    assert old["instance-globals"] == {
        "css_migration_enabled": {"value": False, "set-by": "tiny-ccw-8.1"}
    }


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
