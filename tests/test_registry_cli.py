"""The registry checks on the real corpus, and `mtc import-qom`, as a user runs them."""

import json

import pytest

from conftest import ROOT, run_mtc
from mtc import qomfiles

REGISTRY_DIR = ROOT / "machines" / "registry"


def test_real_corpus_compiles_clean():
    # Not a single warning: -Werror can gate CI.  QEMU's host-dependent USO
    # defaults are acknowledged in machines/platforms.mtc, with the reason.
    result = run_mtc("check", "-Werror")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_registries_of_the_release_per_target():
    """machines/registry holds one registry per target of QEMU 10.0, read off
    Debian's 10.0.2 binaries, plus the part they share; nothing older."""
    names = sorted(p.name for p in REGISTRY_DIR.glob("*.qom.json"))
    targets = ["aarch64", "arm", "i386", "ppc64", "s390x", "x86_64"]
    assert names == sorted(
        [f"qemu-10.0-{t}.qom.json" for t in targets] + ["qemu-10.0-shared.qom.json"]
    )
    for target in targets:
        doc = json.loads((REGISTRY_DIR / f"qemu-10.0-{target}.qom.json").read_text())
        binary = "qemu-system-" + target
        assert doc["source"]["binary"].startswith(f"{binary} 10.0.2 (Debian 1:10.0.2+ds-"), doc[
            "source"
        ]
        assert doc["target"] == target and doc["release"] == "10.0"


def test_hand_declarations_are_only_what_no_binary_shows():
    """Every qom-type declaration left in machines/ is a type no binary has
    (absent, with its reason) or adds a release no binary tells (since)."""
    text = (REGISTRY_DIR / "declarations.mtc").read_text()
    decls = [l for l in text.splitlines() if l.startswith("qom-type")]
    absent = [l for l in decls if " absent " in l]
    assert len(absent) == 3
    assert all(len(l.split('absent "', 1)[1]) > 40 for l in absent)  # each with its reason
    body = [l.strip() for l in text.splitlines() if l.startswith("    ")]
    assert body and all(l.endswith("since 8.2") and " default " not in l for l in body)
    registries = qomfiles.load_directory(REGISTRY_DIR)
    for line in absent:
        name = line.split()[1]
        for target, registry in registries.items():
            expanded = name.replace("${TYPE_X86_CPU}", f"{target}-cpu")
            assert expanded not in registry.types, (name, target)


def test_import_qom_default_output_is_below_the_root(project_copy, dump_72):
    before = {p.name: p.read_bytes() for p in (project_copy / "machines" / "registry").iterdir()}
    result = run_mtc("import-qom", str(dump_72), cwd=project_copy / "machines")
    assert result.returncode == 0, result.stderr
    written = project_copy / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"
    assert json.loads(written.read_text())["release"] == "7.2"
    # Another release's registries are left alone.
    after = {p.name: p.read_bytes() for p in (project_copy / "machines" / "registry").iterdir()}
    del after[written.name]
    assert after == before


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


def test_registry_for_each_target_and_registries_of_a_revision():
    from mtc import pipeline, qomcheck
    from mtc.diagnostics import Diagnostics

    resolved = pipeline.compile_project(pipeline.Project(ROOT), Diagnostics())
    corpus = resolved.corpus
    on_disk = qomcheck.registries_at(ROOT)  # no build: the files alone
    assert sorted(on_disk) == sorted(corpus.targets)
    for target in corpus.targets:
        registry = qomcheck.registry_for(corpus, target)
        assert registry.target == target and registry.release == "10.0"
        assert registry.binary.startswith(f"qemu-system-{target} 10.0.2 ")
    assert "zpci" in qomcheck.registry_for(corpus, "s390x").types
    assert "zpci" not in qomcheck.registry_for(corpus, "x86_64").types
    assert "ICH9-LPC" in qomcheck.registry_for(corpus, "i386").types
    # The build merges machines/'s declarations in; the files alone lack them.
    uso = qomcheck.registry_for(corpus, "aarch64").find_property("virtio-net-device", "host_uso")
    assert (uso.qom_type, uso.default, uso.since) == ("bool", "on", "8.2")
    assert on_disk["aarch64"].find_property("virtio-net-device", "host_uso").since is None
    assert qomcheck.registry_for(corpus, "riscv64") is None


def test_an_entry_for_a_type_its_targets_lack_fails(project_copy):
    # pc_compat sets apply to x86_64 and i386; zpci is s390x's alone.
    where = edit(
        project_copy,
        "machines/x86/pc-compat.mtc",
        'ICH9-LPC.x-smi-swsmi-timer = "off"',
        'zpci.interpret = "off"',
    )
    result = run_mtc("build", "--root", str(project_copy))
    assert result.returncode == 1
    line = next(l for l in result.stderr.splitlines() if l.startswith(where))
    assert (
        "unknown QOM type 'zpci' in zpci.interpret: only target s390x has it, and compat set "
        "'pc 9.1' applies to targets x86_64, i386 [-Wunknown-driver]"
    ) in line
