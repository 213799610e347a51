"""Platform guards, host-dependent properties and migrate-check (issue 6)."""

import json

import jsonschema

from conftest import run_mtc

from mtc.backends.json import SCHEMA_PATH

USO = ("host_uso", "guest_uso4", "guest_uso6")


def test_migrate_check_uso_machine_breaks():
    result = run_mtc("migrate-check", "pc-q35-10.0", "--from", "linux-6.2", "--to", "linux-5.14")
    assert result.returncode == 1, result.stdout + result.stderr
    for prop in USO:
        assert f"virtio-net-device.{prop}:" in result.stdout
    assert "host lacks tap-uso" in result.stdout


def test_migrate_check_pinned_machine_is_safe():
    result = run_mtc("migrate-check", "pc-q35-8.1", "--from", "linux-6.2", "--to", "linux-5.14")
    assert result.returncode == 0, result.stdout
    assert "USO" not in result.stdout and "uso" not in result.stdout


def test_migrate_check_towards_more_features_is_safe():
    result = run_mtc("migrate-check", "pc-q35-10.0", "--from", "linux-5.14", "--to", "linux-6.2")
    assert result.returncode == 0
    assert "destination only offers more" in result.stdout


def test_non_linux_host_never_offers_uso():
    result = run_mtc("migrate-check", "pc-i440fx-9.0", "--from", "linux-6.2", "--to", "macos-hvf")
    assert result.returncode == 1
    assert "virtio-net-device.host_uso:" in result.stdout


def test_migrate_check_matrix():
    result = run_mtc("migrate-check", "--matrix", "--target", "x86_64")
    assert result.returncode == 1
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    legend = [l for l in result.stdout.splitlines() if l.strip().startswith("[")]
    broken = [i for i, l in enumerate(legend) if "linux-6.2 -> linux-5.14" in l][0]
    assert rows["pc-q35-10.0"][broken] == "x"
    assert rows["pc-q35-8.1"][broken] == "."
    assert set(rows["pc-i440fx-8.1"]) == {"."}


def test_platforms_command_lists_linux_and_non_linux():
    result = run_mtc("platforms")
    assert result.returncode == 0
    assert "linux-5.14" in result.stdout and "linux-6.2 (extends linux-5.14)" in result.stdout
    assert "os darwin" in result.stdout
    assert "features: tap-uso" in result.stdout


def test_usage_errors():
    assert run_mtc("migrate-check", "pc-q35-10.0", "--from", "linux-6.2").returncode == 2
    assert run_mtc("migrate-check", "pc-q35-10.0", "--from", "x", "--to", "y").returncode == 2
    assert run_mtc("build", "--config", "CONFIG_XEN").returncode == 2


def test_removing_a_uso_pin_fails_the_build(project_copy):
    hw = project_copy / "machines" / "hw.mtc"
    text = hw.read_text()
    line = '    ${TYPE_VIRTIO_NET}.guest_uso4 = "off"\n'
    assert line in text
    hw.write_text(text.replace(line, "", 1))
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    errors = [l for l in result.stderr.splitlines() if ": error: " in l]
    assert len(errors) == 1
    assert errors[0].startswith("machines/hw.mtc:")  # at compat hw 8.1
    assert "virtio-net-device.guest_uso4 (since 8.2) but leave it on" in errors[0]
    assert 'hw_compat_8_1 must set virtio-net-device.guest_uso4 = "off"' in errors[0]
    assert "[-Whost-dependent-unpinned]" in errors[0]
    assert "pc-i440fx-2.4 .. pc-i440fx-8.1" in errors[0]


def test_config_xen_builds_the_xenfv_machines(project_copy):
    result = run_mtc("build", "--root", str(project_copy), "--config", "CONFIG_XEN=on")
    assert result.returncode == 0, result.stderr
    data = json.loads((project_copy / "generated" / "json" / "x86_64.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    machines = {m["name"]: m for m in data["machines"]}
    assert data["config"]["CONFIG_XEN"] is True
    xen42, xen31 = machines["xenfv-4.2"], machines["xenfv-3.1"]
    assert xen31.get("alias") == "xenfv" and "alias" not in xen42
    # pc_piix.c: xenfv_machine_X_Y_options call pc_i440fx_machine_X_Y_options.
    for xen, pc in ((xen42, "pc-i440fx-4.2"), (xen31, "pc-i440fx-3.1")):
        assert xen["compat-props"] == machines[pc]["compat-props"]
        assert xen["cpu-max"] == 128  # HVM_MAX_VCPUS
        assert xen["deprecated"] is False  # DEFINE_PC_MACHINE has no deprecation
        assert xen["guard"] == {"config": "CONFIG_XEN"}
    caps = (project_copy / "generated" / "libvirt" / "capabilities.xml").read_text()
    assert "<machine canonical='xenfv-3.1' maxCpus='128'>xenfv</machine>" in caps
    result = run_mtc("build", "--root", str(project_copy), "--config", "CONFIG_ISAPC=off")
    assert result.returncode == 0
    data = json.loads((project_copy / "generated" / "json" / "i386.json").read_text())
    assert not any(m["name"] in ("isapc", "xenfv-3.1") for m in data["machines"])


def test_unknown_config_is_a_usage_error():
    result = run_mtc("build", "--config", "CONFIG_NOPE=on")
    assert result.returncode == 2
    assert "error: --config: unknown build option CONFIG_NOPE (known: CONFIG_" in result.stderr


def write_project(root, text):
    (root / "machines").mkdir()
    (root / "machines" / "m.mtc").write_text(text)


GUARDED = """
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }
release 9.0 date 2024-04-23
release 9.1 date 2024-09-03
feature vhost-x "vhost can do X"
platform old { os linux kernel 5.0 accel kvm }
platform new extends old { kernel 6.9 features vhost-x }
platform mac { os darwin accel hvf }
compat hw 9.0 {
    dev.a = "off" if host.kernel < 6.0
    dev.b = "on" if feature vhost-x and not accel == tcg
    dev.c = "on" if host.os == linux or (accel == hvf)
}
family f { name "f-{version}" targets x86_64 alias f }
machine f 9.1 { alias default }
machine f 9.0 { compat hw 9.0 }
"""


def test_host_guards_are_structured_in_json_and_evaluated_per_platform(tmp_path):
    write_project(tmp_path, GUARDED)
    assert run_mtc("build", "--root", str(tmp_path)).returncode == 0
    data = json.loads((tmp_path / "generated" / "json" / "x86_64.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    props = next(m for m in data["machines"] if m["name"] == "f-9.0")["compat-props"]
    guards = {p["property"]: p["guard"] for p in props}
    assert guards["a"] == {"kernel": {"compare": "<", "version": "6.0"}}
    assert guards["b"] == {"and": [{"feature": "vhost-x"}, {"not": {"accel": "tcg"}}]}
    assert guards["c"] == {"or": [{"os": "linux"}, {"accel": "hvf"}]}
    result = run_mtc(
        "migrate-check", "f-9.0", "--from", "old", "--to", "new", "--root", str(tmp_path)
    )
    assert result.returncode == 1
    assert "dev.a:" in result.stdout and "dev.b:" in result.stdout
    assert "dev.c:" not in result.stdout  # linux on both
    result = run_mtc(
        "migrate-check", "f-9.1", "--from", "old", "--to", "mac", "--root", str(tmp_path)
    )
    assert result.returncode == 0  # f-9.1 applies no guarded entry


def test_requires_blocks_hosts_without_the_feature(tmp_path):
    write_project(
        tmp_path,
        GUARDED.replace(
            "machine f 9.1 { alias default }", "machine f 9.1 { alias default requires vhost-x }"
        ),
    )
    result = run_mtc(
        "migrate-check", "f-9.1", "--from", "new", "--to", "old", "--root", str(tmp_path)
    )
    assert result.returncode == 1
    # Refused with the reason, and nothing else: no values, no verdict on ABI.
    assert result.stdout == "f-9.1 cannot run on old: it requires vhost-x\n"
