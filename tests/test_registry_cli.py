"""The registry checks on the real corpus, and `mtc import-qom`, as a user runs them."""

import pytest

from conftest import REFERENCE, ROOT, run_mtc

REGISTRY = ROOT / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"


def test_real_corpus_compiles_clean():
    result = run_mtc("check")
    assert result.returncode == 0
    # The only diagnostics: QEMU 10.0 really has USO on by default, host-dependent.
    warnings = [l for l in result.stderr.splitlines() if ": warning: " in l]
    assert len(warnings) == 3
    assert all("[-Whost-dependent-default]" in w for w in warnings)
    assert ": error: " not in result.stderr


def test_import_qom_reproduces_the_committed_registry(tmp_path, dump_72):
    out = tmp_path / "registry.qom.json"
    result = run_mtc("import-qom", str(dump_72), "--release", "7.2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == REGISTRY.read_bytes()
    assert run_mtc("import-qom", str(dump_72), "--check", "-o", str(REGISTRY)).returncode == 0


def test_import_qom_default_output_is_below_the_root(project_copy, dump_72):
    target = project_copy / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"
    target.unlink()
    result = run_mtc("import-qom", str(dump_72), cwd=project_copy / "machines")
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == REGISTRY.read_bytes()


def test_import_qom_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x00\x01binary")
    result = run_mtc("import-qom", str(bad), "-o", str(tmp_path / "out.json"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("error:")
    assert not (tmp_path / "out.json").exists()


def edit(project, path, old, new):
    source = project / path
    text = source.read_text()
    assert text.count(old) >= 1, old
    source.write_text(text.replace(old, new, 1))
    line = next(i for i, l in enumerate(source.read_text().splitlines(), 1) if new in l)
    return f"{path}:{line}:"


@pytest.mark.parametrize(
    "path, old, new, expected",
    [
        (
            "machines/hw.mtc",
            '${TYPE_VIRTIO_NET}.guest_uso4 = "off"',
            'virtio-net-devcie.guest_uso4 = "off"',
            "unknown QOM type 'virtio-net-devcie' in virtio-net-devcie.guest_uso4; "
            "did you mean 'virtio-net-device'?",
        ),
        (
            "machines/x86/pc-compat.mtc",
            'ICH9-LPC.x-smi-swsmi-timer = "off"',
            'ICH9-LPC.x-smi-swsmi-timr = "off"',
            "has no property 'x-smi-swsmi-timr'",
        ),
        (
            "machines/hw.mtc",
            '${TYPE_VIRTIO_NET}.host_uso = "off"',
            '${TYPE_VIRTIO_NET}.host_uso = "maybe"',
            'expected bool (on/off/true/false/yes/no), got "maybe"',
        ),
        (
            "machines/hw.mtc",
            'virtio-blk-device.queue-size = "128"',
            'virtio-blk-device.queue-size = "abc"',
            'expected uint16, got "abc"',
        ),
    ],
)
def test_typos_fail_the_build(project_copy, path, old, new, expected):
    where = edit(project_copy, path, old, new)
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(l for l in result.stderr.splitlines() if l.startswith(where))
    assert ": error: " in line and expected in line, result.stderr
