"""The real QEMU in the loop: `mtc import-qom --qemu` and `mtc verify` run
against Debian's QEMU 10.0.2 binaries, which .ci/run installs (these tests
are never skipped: without the binaries they fail and say what is missing).

Each binary is imported once per session (the whole import of all six takes
about 15 s); verify takes a second or two per run.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, open_next_release, run_mtc
from mtc.qmp import QemuVersion

TARGETS = ["x86_64", "i386", "aarch64", "arm", "s390x", "ppc64"]
BINARIES = {t: Path(f"/usr/bin/qemu-system-{t}") for t in TARGETS}
REGISTRY_DIR = ROOT / "machines" / "registry"
# QEMU 7.2, too old for verify: bookworm's own package, unpacked (not
# installed over 10.0.2) by .ci/run.
OLD_QEMU = Path("/opt/mtc-qemu-7.2")


def qemu_args(*targets: str) -> list[str]:
    args = []
    for target in targets or TARGETS:
        args += ["--qemu", str(BINARIES[target])]
    return args


@pytest.fixture(scope="session", autouse=True)
def binaries():
    missing = [str(path) for path in BINARIES.values() if not os.access(path, os.X_OK)]
    assert not missing, (
        f"missing {', '.join(missing)}: install Debian's qemu-system-x86, -arm, -s390x, "
        "-ppc and qemu-system-modules-spice 10.0.2 from bookworm-backports (.ci/run does)"
    )


@pytest.fixture(scope="session")
def imported(tmp_path_factory) -> Path:
    """All six binaries imported into a fresh directory, once."""
    out = tmp_path_factory.mktemp("registry")
    result = run_mtc("import-qom", *qemu_args(), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


# ---- import-qom --qemu ----------------------------------------------------------


def test_import_reproduces_the_committed_registries(imported):
    committed = {p.name: p.read_bytes() for p in REGISTRY_DIR.glob("*.qom.json")}
    fresh = {p.name: p.read_bytes() for p in imported.iterdir()}
    versions = {
        json.loads(text).get("source", {}).get("binary")
        for name, text in fresh.items()
        if "shared" not in name
    }
    assert sorted(fresh) == sorted(committed), versions
    for name in sorted(committed):
        assert fresh[name] == committed[name], (
            f"{name} differs from what {versions} give: re-import with "
            "'mtc import-qom --qemu ...' if QEMU was updated"
        )


def test_import_of_one_binary_keeps_the_layout():
    """One binary against the committed directory: every file, the other
    targets' and the shared one included, is already what it gives."""
    result = run_mtc("import-qom", *qemu_args("s390x"), "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_qemu_cannot_list_are_recorded(imported):
    """QEMU 10.0 crashes listing these (the issue names them); they are
    retried in a fresh QEMU, then recorded rather than stopping the import."""
    registry = json.loads((imported / "qemu-10.0-shared.qom.json").read_text())["types"]
    x86 = json.loads((imported / "qemu-10.0-x86_64.qom.json").read_text())
    for name in ("colo-compare", "memory-region-portio-list", "x-remote-object"):
        entry = registry.get(name) or x86["types"].get(name)
        assert entry is not None, name
        assert "crashed" in entry["unlistable"], name
        assert entry["properties"] == {}
    # A type whose listing crashes only after others were listed is listed
    # in the fresh QEMU: qemu-text-console has properties.
    assert "unlistable" not in registry["qemu-text-console"]


def test_import_records_what_the_binary_says(imported):
    x86 = json.loads((imported / "qemu-10.0-x86_64.qom.json").read_text())
    assert x86["source"]["binary"].startswith("qemu-system-x86_64 10.0.2 (Debian ")
    assert (x86["format"], x86["release"], x86["target"]) == (2, "10.0", "x86_64")
    assert x86["shared"] == "qemu-10.0-shared.qom.json"
    shared = json.loads((imported / "qemu-10.0-shared.qom.json").read_text())
    assert shared["shared-by"] == sorted(TARGETS)
    # hw/net/virtio-net.c: DEFINE_PROP_BIT64("host_uso", ..., true)
    entry = shared["types"]["virtio-net-device"]
    assert entry["properties"]["host_uso"] == ["bool", "on"]
    assert "virtio-net-device" in x86["shared-types"]
    # Only x86 builds the ICH9 LPC bridge; hw/isa/lpc_ich9.c gives
    # x-smi-swsmi-timer true.
    assert (
        "ICH9-LPC"
        not in json.loads((imported / "qemu-10.0-s390x.qom.json").read_text())["shared-types"]
    )
    assert shared["types"]["ICH9-LPC"]["properties"]["x-smi-swsmi-timer"] == ["bool", "on"]


def test_import_save_dump_and_reimport(tmp_path):
    dump = tmp_path / "s390x.json"
    out = tmp_path / "out"
    result = run_mtc("import-qom", *qemu_args("s390x"), "--save-dump", str(dump), "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(dump.read_text())
    assert data["target"] == "s390x"
    assert data["types"]["virtio-net-device"]["properties"]["mq"] == {
        "type": "bool",
        "default-value": False,
    }
    again = tmp_path / "again"
    assert run_mtc("import-qom", str(dump), "-o", str(again)).returncode == 0
    assert (again / "qemu-10.0-s390x.qom.json").read_bytes() == (
        out / "qemu-10.0-s390x.qom.json"
    ).read_bytes()


@pytest.mark.parametrize("command", ["import-qom", "verify"])
def test_import_and_verify_refuse_what_is_not_qemu(tmp_path, command):
    for binary, message in (
        (tmp_path / "nope", "no such file"),
        (tmp_path, "not an executable file"),
        (Path("/bin/true"), "exited before opening its QMP socket (exit status 0)"),
    ):
        result = run_mtc(command, "--qemu", str(binary))
        assert result.returncode == 1, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1


def run_old_qemu(*args: str) -> subprocess.CompletedProcess:
    """mtc with QEMU 7.2 finding its own modules."""
    binary = OLD_QEMU / "usr" / "bin" / "qemu-system-x86_64"
    assert binary.exists(), f"{binary} missing: .ci/run unpacks bookworm's QEMU 7.2 there"
    env = dict(os.environ, QEMU_MODULE_DIR=str(OLD_QEMU / "usr/lib/x86_64-linux-gnu/qemu"))
    return subprocess.run(
        [sys.executable, "-m", "mtc", *args, "--qemu", str(binary)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_import_of_qemu_72_agrees_with_the_frozen_72_dump(tmp_path, dump_72):
    """tests/reference's 7.2 dump was taken by other means from the same
    Debian package: every type it lists comes out of import-qom --qemu with
    the same parent, abstract flag and property types.  (Types whose module
    cannot load beside the installed 10.0.2 are recorded as unlistable.)"""
    dump = tmp_path / "dump.json"
    result = run_old_qemu("import-qom", "-o", str(tmp_path / "out"), "--save-dump", str(dump))
    assert result.returncode == 0, result.stderr
    ours = json.loads(dump.read_text())["types"]
    theirs = json.loads(dump_72.read_text())["types"]
    assert set(theirs) <= set(ours)
    compared = 0
    for name, entry in theirs.items():
        mine = ours[name]
        assert (mine["parent"], mine["abstract"]) == (entry["parent"], entry["abstract"]), name
        if "unlistable" in mine:
            assert "not found" in mine["unlistable"], name  # a module that cannot load
            continue
        types = {prop: info["type"] for prop, info in mine["properties"].items()}
        assert types == {prop: info["type"] for prop, info in entry["properties"].items()}, name
        compared += 1
    assert compared > 690


def test_verify_refuses_a_qemu_too_old():
    result = run_old_qemu("verify")
    assert result.returncode == 1
    assert re.search(r"is QEMU 7\.2\.\d+: mtc verify needs QEMU 9\.1 or newer", result.stderr)
    assert "Traceback" not in result.stderr


def test_verify_does_not_need_the_registry(project_copy):
    """verify asks the binary: a registry that does not even load stops the
    build, not verify."""
    (project_copy / "machines" / "registry" / "qemu-10.0-x86_64.qom.json").write_text("{")
    assert run_mtc("build", "--root", str(project_copy)).returncode == 1
    result = verify_copy(project_copy, "x86_64")
    assert result.returncode == 0, result.stderr


# ---- verify ---------------------------------------------------------------------


def test_verify_agrees_with_all_six_binaries():
    result = run_mtc("verify", *qemu_args())
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for target in TARGETS:
        assert re.search(
            rf"^{BINARIES[target]}: QEMU 10\.0\.2 \(Debian [^)]*\), target {target}, "
            r"compared with machines/ as of release 10\.0$",
            out,
            re.M,
        ), target
    # Debian's x86 binaries: 30 pc-i440fx (2.4 ..), 31 pc-q35 (4.0.1 too) and isapc.
    assert "  compared 62 machine types: pc-i440fx-2.4 .. pc-i440fx-10.0 (30), " in out
    assert "  not modelled (unversioned): microvm, none, x-remote" in out
    assert re.search(r"^  checked 558 fields and \d{4,} compat properties$", out, re.M)
    assert out.rstrip().endswith("mtc verify: machines/ agrees with 6 binaries")
    assert result.stderr == ""


def test_verify_json():
    result = run_mtc("verify", *qemu_args("s390x", "ppc64"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["differences"] == []
    s390x, ppc64 = report["binaries"]
    assert (s390x["target"], s390x["qemu"], s390x["as-of"]) == ("s390x", "10.0.2", "10.0")
    assert s390x["package"].startswith("Debian 1:10.0.2")
    assert "s390-ccw-virtio-2.9" in s390x["compared"] and s390x["not-modelled"] == ["none"]
    assert s390x["fields-checked"] == 9 * len(s390x["compared"])
    assert "powernv9" in ppc64["not-modelled"]


def edit(root: Path, path: str, old: str, new: str) -> int:
    """Replace the first `old` in root/path; the 1-based line it was on."""
    source = root / path
    text = source.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    source.write_text(text.replace(old, new, 1))
    return line


def verify_copy(root: Path, *targets: str, json_report=False):
    args = ["verify", "--root", str(root), *qemu_args(*targets)]
    return run_mtc(*args, *(["--json"] if json_report else []))


def headlines(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if ": error: " in l]


def test_verify_names_a_changed_value(project_copy):
    line = edit(
        project_copy,
        "machines/hw.mtc",
        'virtio-blk-device.queue-size = "128"',
        'virtio-blk-device.queue-size = "256"',
    )
    result = verify_copy(project_copy, "x86_64", "s390x")
    assert result.returncode == 1
    errors = headlines(result.stderr)
    assert errors == [
        f'machines/hw.mtc:{line}:5: error: virtio-blk-device.queue-size is "256" here; '
        'QEMU 10.0.2 applies "128" [-Wverify-value]'
    ]
    # One headline, then the machine types it reaches in each binary.
    notes = [l for l in result.stderr.splitlines() if ": note: " in l]
    assert len(notes) == 2
    assert (
        "machine types of /usr/bin/qemu-system-x86_64: pc-i440fx-2.4 .. pc-i440fx-4.2" in notes[0]
    )
    assert "s390-ccw-virtio-2.9 .. s390-ccw-virtio-4.2" in notes[1]
    assert "1 difference in " in result.stdout


def test_verify_names_the_set_of_a_dropped_entry(project_copy):
    hw = project_copy / "machines" / "hw.mtc"
    text = hw.read_text()
    header = text[: text.index("compat hw 9.2 {")].count("\n") + 1
    dropped = '    virtio-balloon-pci-transitional.vectors = "0"\n'
    assert dropped in text
    hw.write_text(text.replace(dropped, "", 1))
    result = verify_copy(project_copy, "x86_64")
    assert result.returncode == 1
    assert headlines(result.stderr) == [
        f"machines/hw.mtc:{header}:1: error: compat set 'hw 9.2' lacks "
        'virtio-balloon-pci-transitional.vectors = "0", which QEMU 10.0.2 applies before '
        "virtio-balloon-pci-non-transitional.vectors [-Wverify-missing]"
    ]


def test_verify_names_a_reordered_pair(project_copy):
    hw = project_copy / "machines" / "hw.mtc"
    lines = hw.read_text().split("\n")
    first = lines.index('    nvme-ns.shared = "off"')
    assert lines[first - 1] == '    vhost-user-vsock-device.seqpacket = "off"'
    lines[first - 1], lines[first] = lines[first], lines[first - 1]
    hw.write_text("\n".join(lines))
    result = verify_copy(project_copy, "x86_64", "aarch64")
    assert result.returncode == 1
    errors = headlines(result.stderr)
    assert len(errors) == 1, result.stderr
    # The two lines swapped are lines first and first + 1 (1-based); the
    # entry QEMU applies first now sits on the later one.
    assert errors[0].startswith(f"machines/hw.mtc:{first + 1}:5: error: ")
    assert "is applied in another order: QEMU 10.0.2 applies it before nvme-ns.shared" in errors[0]
    assert errors[0].endswith("[-Wverify-order]")


def test_verify_names_a_field_and_a_machine_type(project_copy):
    line = edit(
        project_copy,
        "machines/x86/pc-q35.mtc",
        "option max-cpus = 1024",
        "option max-cpus = 2048",
    )
    result = verify_copy(project_copy, "x86_64", json_report=True)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (found,) = report["differences"]
    assert found["location"].startswith(f"machines/x86/pc-q35.mtc:{line}:")
    assert found["check"] == "verify-field"
    assert found["message"] == "cpu-max is 2048 here; QEMU 10.0.2 says 1024"
    machines = found["machines"]["/usr/bin/qemu-system-x86_64"]
    assert "pc-q35-8.2" in machines and "pc-q35-10.0" not in machines


def test_verify_after_new_version_compares_as_of_the_binary_release(project_copy):
    """Opening a release adds machine types, empty compat sets for the one
    before, moves the aliases and defaults: a 10.0.2 binary still agrees,
    and `--at 10.0` shows what it has."""
    before = run_mtc("show", "pc-q35-10.0", "--json", "--at", "10.0", "--root", str(project_copy))
    # The release after the current one (10.1; 10.2 once 10.1 is open: it
    # is dated first), out already: the build's release is newer than 10.0.
    opened = open_next_release(project_copy, date="2099-01-01").new
    shown = run_mtc("show", "q35", "--root", str(project_copy)).stdout
    assert shown.startswith(f"pc-q35-{opened} ")
    result = verify_copy(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "as of release 10.0" in result.stdout
    at = run_mtc("show", "pc-q35-10.0", "--json", "--at", "10.0", "--root", str(project_copy))
    assert at.returncode == 0, at.stderr

    # The JSON records no source lines, so new-version moving them changes
    # nothing: 10.0 as of 10.0 is what it was before 10.1 was opened.
    assert json.loads(at.stdout) == json.loads(before.stdout)
    assert json.loads(at.stdout)["alias"] == "q35"


def test_verify_reports_a_machine_type_machines_lacks(project_copy):
    path = project_copy / "machines" / "s390x" / "s390-ccw-virtio.mtc"
    text = path.read_text()
    match = re.search(r"machine s390-ccw-virtio 2\.9 \{[^}]*\}\n", text)
    assert match is not None
    path.write_text(text.replace(match.group(0), ""))
    family = text[: text.index("family s390-ccw-virtio")].count("\n") + 1
    result = verify_copy(project_copy, "s390x")
    assert result.returncode == 1
    assert (
        f"machines/s390x/s390-ccw-virtio.mtc:{family}:1: error: QEMU 10.0.2 has machine type "
        "s390-ccw-virtio-2.9, which machines/ does not define [-Wverify-machine]"
    ) in headlines(result.stderr)


@pytest.mark.parametrize(
    "version, release",
    [((10, 0, 2), "10.0"), ((10, 0, 50), "10.1"), ((10, 2, 90), "11.0"), ((9, 1, 0), "9.1")],
)
def test_binary_release(version, release):
    assert QemuVersion(*version).release == release
