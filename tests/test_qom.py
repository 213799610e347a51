"""The QOM registry: import from a QEMU dump, lookups, suggestions, value typing.

Expectations come from the reference dump itself or from QEMU facts known by
hand (hw/i386, hw/virtio, qapi/*.json), never from the code under test.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtc import qom
from mtc.qom import QomError, Registry, check_value, is_on

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(COMMITTED)


@pytest.fixture(scope="module")
def dump_types(dump_72) -> dict:
    return json.loads(dump_72.read_text())["types"]


def run_import(*args, cwd=None) -> subprocess.CompletedProcess:
    """main_import_qom in a separate process, as `mtc import-qom` runs it."""
    code = (
        "import sys; from mtc.qom import main_import_qom; sys.exit(main_import_qom(sys.argv[1:]))"
    )
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


# ---- import -----------------------------------------------------------------


def test_import_reproduces_committed_registry(tmp_path, dump_72):
    out = tmp_path / "out.qom.json"
    assert qom.main_import_qom([str(dump_72), "-o", str(out)]) == 0
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_import_default_output_and_release_from_binary(tmp_path, dump_72):
    # The dump's source.binary is "qemu-system-x86_64 7.2.22 (Debian ...)".
    result = run_import(dump_72, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"
    assert written.read_bytes() == COMMITTED.read_bytes()
    doc = json.loads(written.read_text())
    assert doc["release"] == "7.2"
    assert doc["source"]["binary"].startswith("qemu-system-x86_64 7.2.")


def test_import_release_option(tmp_path, dump_72):
    out = tmp_path / "r.qom.json"
    assert qom.main_import_qom([str(dump_72), "--release", "7.1", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["release"] == "7.1"
    assert Registry.load(out).release == "7.1"


def test_import_rewrites_only_on_change(tmp_path, dump_72, capsys):
    out = tmp_path / "r.qom.json"
    assert qom.main_import_qom([str(dump_72), "-o", str(out)]) == 0
    before = out.stat()
    assert qom.main_import_qom([str(dump_72), "-o", str(out)]) == 0
    after = out.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert "unchanged" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["r.qom.json"]  # no temp files left
    out.write_text("stale\n")
    assert qom.main_import_qom([str(dump_72), "--check", "-o", str(out)]) == 1
    assert qom.main_import_qom([str(dump_72), "-o", str(out)]) == 0
    assert out.read_bytes() == COMMITTED.read_bytes()
    assert qom.main_import_qom([str(dump_72), "--check", "-o", str(out)]) == 0


def test_committed_registry_round_trips(registry):
    assert registry.dump() == COMMITTED.read_text()
    fresh = Registry.load(COMMITTED)
    fresh.properties_of("EPYC-x86_64-cpu")  # builds some types, not others
    assert fresh.dump() == COMMITTED.read_text()
    assert registry.release == "7.2"
    assert COMMITTED.stat().st_size < 400_000  # inherited properties are not repeated


def test_every_dumped_property_is_found(registry, dump_types):
    """QEMU lists all of an instance's properties, so for a concrete type the
    registry must give back exactly the dump's list, types included."""
    for name, entry in dump_types.items():
        listed = {prop: info["type"] for prop, info in entry["properties"].items()}
        found = {prop: p.qom_type for prop, p in registry.properties_of(name).items()}
        if entry["abstract"]:
            # QEMU lists only class properties of an abstract type.
            assert listed.items() <= found.items(), name
        else:
            assert found == listed, name
        assert registry.types[name].parent == entry["parent"]
        assert registry.types[name].abstract == entry["abstract"]
    assert len(registry.types) == len(dump_types)


# ---- malformed input ----------------------------------------------------------

GOOD_SOURCE = {"binary": "qemu-system-x86_64 7.2.0"}


def _types_doc(types):
    return json.dumps({"source": GOOD_SOURCE, "types": types})


MALFORMED = {
    "not-json": b'{"source": {}, "types": {',
    "empty": b"",
    "binary": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    "not-utf8": b'{"types": {"\xff": 1}}',
    "top-level-list": b"[1, 2, 3]",
    "types-not-object": json.dumps({"source": GOOD_SOURCE, "types": []}).encode(),
    "entry-not-object": _types_doc({"object": 3}).encode(),
    "missing-parent": _types_doc({"object": {"abstract": True, "properties": {}}}).encode(),
    "abstract-not-bool": _types_doc(
        {"object": {"abstract": "yes", "parent": None, "properties": {}}}
    ).encode(),
    "property-type-not-string": _types_doc(
        {"object": {"abstract": True, "parent": None, "properties": {"type": {"type": 1}}}}
    ).encode(),
    "unknown-parent": _types_doc(
        {"device": {"abstract": True, "parent": "object", "properties": {}}}
    ).encode(),
    "parent-cycle": _types_doc(
        {
            "a": {"abstract": False, "parent": "b", "properties": {}},
            "b": {"abstract": False, "parent": "a", "properties": {}},
        }
    ).encode(),
    "no-release": json.dumps(
        {"source": {"binary": "qemu"}, "types": {}},
    ).encode(),
    "deep-nesting": b"[" * 100_000,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_dump_is_one_line_error(case, tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_bytes(MALFORMED[case])
    out = tmp_path / "out.qom.json"
    result = run_import(dump, "-o", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert not out.exists()


def test_missing_dump_and_bad_release(tmp_path, capsys):
    assert qom.main_import_qom([str(tmp_path / "nope.json")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read ")
    dump = tmp_path / "d.json"
    dump.write_text(_types_doc({}))
    assert qom.main_import_qom([str(dump), "--release", "seven", "-o", str(tmp_path / "o")]) == 1
    assert "X.Y" in capsys.readouterr().err


def test_malformed_registry_raises_qom_error(tmp_path):
    path = tmp_path / "r.qom.json"
    for text in (
        "{",
        '{"format": 99, "types": {}}',
        '{"format": 1, "types": {"a": {"abstract": false, "parent": "a", "properties": {}}}}',
        '{"format": 1, "types": {"a": {"abstract": false, "parent": null, "properties": {"p": 1}}}}',
    ):
        path.write_text(text)
        with pytest.raises(QomError):
            Registry.load(path)


# ---- lookups ------------------------------------------------------------------


def test_find_property_inherited_from_virtio_device(registry, dump_types):
    # iommu_platform is a property of every virtio device (hw/virtio/virtio.c),
    # listed on the abstract virtio-device but not on its parent "device".
    assert dump_types["virtio-net-device"]["parent"] == "virtio-device"
    assert "iommu_platform" in dump_types["virtio-device"]["properties"]
    assert "iommu_platform" not in dump_types["device"]["properties"]
    prop = registry.find_property("virtio-net-device", "iommu_platform")
    assert prop is not None and prop.qom_type == "bool"
    assert registry.property_owner("virtio-net-device", "iommu_platform") == "virtio-device"
    # ... and "realized" two levels up, on "device".
    assert registry.property_owner("virtio-net-device", "realized") == "device"


def test_find_property_x86_cpu_on_cpu_model(registry):
    # apic-id is DEFINE_PROP_UINT32 and family an "int" class property of
    # TYPE_X86_CPU (target/i386/cpu.c); EPYC is one of its models.
    assert registry.ancestors("EPYC-x86_64-cpu")[:2] == ["EPYC-x86_64-cpu", "x86_64-cpu"]
    assert registry.find_property("EPYC-x86_64-cpu", "apic-id").qom_type == "uint32"
    assert registry.property_owner("EPYC-x86_64-cpu", "apic-id") == "x86_64-cpu"
    assert registry.find_property("EPYC-x86_64-cpu", "family").qom_type == "int"


def test_find_property_misses(registry):
    assert registry.find_property("virtio-net-device", "no-such-prop") is None
    assert registry.find_property("no-such-type", "realized") is None
    assert registry.ancestors("no-such-type") == []


def test_subtypes_with_property(registry, dump_types):
    # disable-modern is only on the generic virtio-*-pci types, not on the
    # -transitional / -non-transitional variants (hw/virtio/virtio-pci.c).
    assert "disable-modern" not in dump_types["virtio-pci"]["properties"]
    assert registry.find_property("virtio-pci", "disable-modern") is None
    having = registry.subtypes_with_property("virtio-pci", "disable-modern")
    assert "virtio-net-pci" in having
    assert "virtio-net-pci-transitional" not in having
    lacking = registry.subtypes_without_property("virtio-pci", "disable-modern")
    assert "virtio-net-pci-transitional" in lacking
    assert "virtio-net-pci" not in lacking


def test_instance_properties_of_abstract_cpu(registry, dump_types):
    # lahf_lm is a per-instance alias (x86_cpu_initfn), so the abstract
    # x86_64-cpu does not list it but every concrete CPU model does.
    assert "lahf_lm" not in dump_types["x86_64-cpu"]["properties"]
    assert registry.find_property("x86_64-cpu", "lahf_lm") is None
    concrete = {n for n, e in dump_types.items() if not e["abstract"] and n.endswith("-x86_64-cpu")}
    assert set(registry.descendants("x86_64-cpu", concrete_only=True)) == concrete
    assert registry.subtypes_without_property("x86_64-cpu", "lahf_lm") == []
    assert registry.subtypes_with_property("x86_64-cpu", "lahf_lm")


def test_suggestions(registry):
    assert registry.suggest_types("virtio-net-devcie")[0] == "virtio-net-device"
    assert registry.suggest_types("Epyc-x86_64-cpu")[0] == "EPYC-x86_64-cpu"
    assert registry.suggest_types("zzzzzzzzzzzz") == []
    assert registry.suggest_properties("virtio-net-pci", "disable-modren") == ["disable-modern"]
    # Inherited properties are candidates too: apic-id lives on x86_64-cpu.
    assert registry.suggest_properties("EPYC-x86_64-cpu", "apic-di")[0] == "apic-id"
    assert len(registry.suggest_types("virtio", limit=2)) <= 2


@pytest.mark.parametrize(
    "a, b, distance",
    [("kitten", "sitting", 3), ("flaw", "lawn", 2), ("same", "same", 0), ("", "abc", 3)],
)
def test_edit_distance(a, b, distance):
    assert qom.edit_distance(a, b, 5) == distance
    assert qom.edit_distance(a, b, distance) == distance
    if distance:
        assert qom.edit_distance(a, b, distance - 1) == distance  # limit + 1


# ---- merging declarations -----------------------------------------------------


def test_add_type_and_property(tmp_path):
    registry = Registry.load(COMMITTED)
    registry.add_type("virtio-foo-pci", "virtio-pci", since="8.1")
    registry.add_property("virtio-foo-pci", "x-foo", "bool", since="8.1")
    registry.add_property("virtio-pci", "x-new-everywhere", "OnOffAuto", since="9.0")
    prop = registry.find_property("virtio-foo-pci", "x-new-everywhere")
    assert (prop.qom_type, prop.since) == ("OnOffAuto", "9.0")
    assert registry.find_property("virtio-net-pci", "x-new-everywhere") is not None
    assert "virtio-foo-pci" in registry.descendants("pci-device")
    # Re-declaring the same thing is harmless; a different one is an error.
    registry.add_type("virtio-foo-pci", "virtio-pci")
    registry.add_property("virtio-foo-pci", "x-foo", "bool")
    with pytest.raises(QomError):
        registry.add_type("virtio-foo-pci", "pci-device")
    with pytest.raises(QomError):
        registry.add_property("virtio-foo-pci", "x-foo", "uint32")
    with pytest.raises(QomError):
        registry.add_property("virtio-net-pci", "realized", "str")  # inherited from device
    with pytest.raises(QomError):
        registry.add_type("orphan", "no-such-parent")
    with pytest.raises(QomError):
        registry.add_property("no-such-type", "p", "bool")
    # The merged registry survives a dump and a reload, "since" included.
    path = tmp_path / "merged.qom.json"
    path.write_text(registry.dump())
    again = Registry.load(path)
    assert again.dump() == registry.dump()
    assert again.types["virtio-foo-pci"].since == "8.1"
    assert again.find_property("virtio-foo-pci", "x-foo").since == "8.1"


# ---- value typing -----------------------------------------------------------

ACCEPTED = [
    ("bool", "on"),
    ("bool", "off"),
    ("bool", "true"),
    ("bool", "false"),
    ("bool", "yes"),
    ("bool", "no"),
    ("OnOffAuto", "auto"),
    ("OnOffAuto", "on"),
    ("on|off|split", "split"),
    ("OnOffSplit", "split"),
    ("uint32", "0x8000000a"),
    ("uint32", "4294967295"),
    ("uint32", "0"),
    ("uint8", "255"),
    ("uint16", "0xffff"),
    ("uint64", "0xffffffffffffffff"),
    ("uint64_t", "1000"),
    ("int32", "-1"),
    ("int32", "-2147483648"),
    ("int32_t", "7"),
    ("int", "-9223372036854775808"),
    ("int32", "010"),  # octal 8, as strtoll reads it
    ("uint4", "15"),
    ("size", "4k"),
    ("size", "4K"),
    ("size", "16G"),
    ("size", "1.5M"),
    ("size", "0"),
    ("size", "4096"),
    ("size", "0x1000"),
    ("size", "512B"),
    ("size", "1E"),
    ("str", "anything at all"),
    ("string", ""),
    ("LostTickPolicy", "slew"),
    ("LostTickPolicy", "not-checked-without-a-list"),
    ("link<bus>", "/machine/peripheral/foo"),
    ("QemuUUID", "6b4e1d4a-7c9d-4f4e-9d0a-0123456789ab"),
    ("some-type-mtc-never-heard-of", "x"),
]

REJECTED = [
    ("bool", "maybe", "bool"),
    ("bool", "ON", "bool"),
    ("bool", "1", "bool"),
    ("OnOffAuto", "yes", "OnOffAuto"),
    ("OnOffSplit", "auto", "OnOffSplit"),
    ("uint32", "abc", "uint32"),
    ("uint32", "0x1ffffffff", "uint32"),
    ("uint32", "4294967296", "uint32"),
    ("uint32", "-1", "uint32"),
    ("uint32", "", "uint32"),
    ("uint32", " 1", "uint32"),
    ("uint8", "256", "uint8"),
    ("int32", "2147483648", "int32"),
    ("int32", "08", "octal"),
    ("uint4", "16", "uint4"),
    ("int", "1.5", "int64"),
    ("size", "4kb", "size"),
    ("size", "1.5", "size"),
    ("size", "-1", "size"),
    ("size", "16E", "size"),
    ("size", "0x10k", "size"),
    ("size", "", "size"),
    ("QemuUUID", "not-a-uuid", "QemuUUID"),
    ("child<container>", "x", "child<container>"),
    ("SMPConfiguration", "cpus=2", "SMPConfiguration"),
    ("strList", "a,b", "strList"),
]


@pytest.mark.parametrize("qom_type, value", ACCEPTED)
def test_check_value_accepts(qom_type, value):
    assert check_value(qom_type, value) is None


@pytest.mark.parametrize("qom_type, value, named", REJECTED)
def test_check_value_rejects(qom_type, value, named):
    message = check_value(qom_type, value)
    assert message is not None and named in message


def test_check_value_messages():
    assert check_value("bool", "maybe") == ('expected bool (on/off/true/false/yes/no), got "maybe"')
    assert check_value("uint32", "abc") == 'expected uint32, got "abc"'


def test_check_value_enum_lists():
    # LostTickPolicy is discard/delay/slew (qapi/machine.json).
    enums = {"LostTickPolicy": ["discard", "delay", "slew"]}
    assert check_value("LostTickPolicy", "slew", enums) is None
    message = check_value("LostTickPolicy", "merge", enums)
    assert "LostTickPolicy" in message and "slew" in message
    assert check_value("LostTickPolicy", "merge", qom.QAPI_ENUMS_7_2) is not None
    assert check_value("BiosAtaTranslation", "lba", qom.QAPI_ENUMS_7_2) is None


def test_every_type_string_in_the_dump_is_classified(dump_types):
    seen = {info["type"] for e in dump_types.values() for info in e["properties"].values()}
    unknown = sorted(t for t in seen if qom.value_kind(t) == "unknown")
    assert unknown == []


@pytest.mark.parametrize(
    "qom_type, value, expected",
    [
        ("bool", "on", True),
        ("bool", "yes", True),
        ("bool", "true", True),
        ("bool", "off", False),
        ("bool", "no", False),
        ("bool", "false", False),
        ("bool", "maybe", None),
        ("OnOffAuto", "on", True),
        ("OnOffAuto", "off", False),
        ("OnOffAuto", "auto", None),
        ("on|off|split", "split", None),
        ("uint32", "1", None),
        ("str", "on", None),
    ],
)
def test_is_on(qom_type, value, expected):
    assert is_on(qom_type, value) is expected


@pytest.mark.parametrize("qom_type", ["uint32", "int64", "size"])
@pytest.mark.parametrize("value", ["1" * 5000, "-" + "9" * 5000, "0x" + "f" * 5000])
def test_huge_values_are_out_of_range_not_a_crash(qom_type, value):
    """Python's int() refuses 4,300+ digits: the check must not hand it those."""
    problem = qom.check_value(qom_type, value)
    assert problem is not None and "expected" in problem


def test_suggestions_after_the_scan_budget_still_find_typos():
    """After its full searches, a Suggester only looks up candidates within
    one edit (an index of single deletions): a typo still finds its type,
    and thousands of unknown names cost time linear in their number."""
    names = ["virtio-net-device", "virtio-blk-device", "e1000", "EPYC-x86_64-cpu"]
    suggester = qom.Suggester(names, qom.ScanBudget(1))
    assert suggester.suggest("virtio-nt-devcie")[0] == "virtio-net-device"  # the one scan
    assert suggester.suggest("virtio-net-devic") == ["virtio-net-device"]  # deleted
    assert suggester.suggest("virtio-bxlk-device") == ["virtio-blk-device"]  # inserted
    assert suggester.suggest("e1001") == ["e1000"]  # replaced
    assert suggester.suggest("epyc-x86_64-cpu") == ["EPYC-x86_64-cpu"]  # case
    assert suggester.suggest("virtio-nt-devcie")[0] == "virtio-net-device"  # remembered
    assert suggester.suggest("virtio-blk-devcie") == []  # two edits: only a scan finds it
