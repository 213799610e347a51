"""The QOM registry: import from a QEMU dump, the on-disk format, lookups,
suggestions, value typing.

Expectations come from the reference dumps themselves or from QEMU facts
known by hand (QEMU 10.0's hw/pci/pci.c, hw/net/virtio-net.c, hw/display/qxl.c,
hw/isa/lpc_ich9.c, hw/vfio/pci.c, qapi/*.json), never from the code under
test.  The dumps are frozen (tests/reference): these tests run without QEMU.
"""

import json
import lzma

import pytest

from conftest import REFERENCE, ROOT, run_mtc
from mtc import qom, qomfiles, qomimport
from mtc.qom import QomError, Registry, check_value, is_on
from mtc.qomvalues import same_value, spell_default

REGISTRY_DIR = ROOT / "machines" / "registry"


@pytest.fixture(scope="module")
def registry(dump_72) -> Registry:
    """QEMU 7.2's qemu-system-x86_64, imported from the frozen dump."""
    return qomimport.import_dump(dump_72)


@pytest.fixture(scope="module")
def dump_types(dump_72) -> dict:
    return json.loads(dump_72.read_text())["types"]


@pytest.fixture(scope="module")
def dump_100(tmp_path_factory):
    """Part of QEMU 10.0.2's qemu-system-x86_64 dump, with property defaults."""
    path = tmp_path_factory.mktemp("dump") / "qemu-10.0-x86_64-subset.json"
    path.write_bytes(
        lzma.decompress((REFERENCE / "qemu-10.0-x86_64-qom-subset.json.xz").read_bytes())
    )
    return path


@pytest.fixture(scope="module")
def registry_100(dump_100) -> Registry:
    return qomimport.import_dump(dump_100)


def run_import(*args, cwd=None):
    return run_mtc("import-qom", *map(str, args), cwd=cwd)


# ---- import -----------------------------------------------------------------


def test_import_names_the_file_after_release_and_target(tmp_path, dump_72):
    # The dump's source.binary is "qemu-system-x86_64 7.2.22 (Debian ...)".
    result = run_import(dump_72, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "machines" / "registry" / "qemu-7.2-x86_64.qom.json"
    doc = json.loads(written.read_text())
    assert (doc["format"], doc["release"], doc["target"]) == (2, "7.2", "x86_64")
    assert doc["source"]["binary"].startswith("qemu-system-x86_64 7.2.")
    assert "shared" not in doc  # the only registry of its release shares nothing
    assert Registry.load(written).dump() == written.read_text()


def test_import_release_option(tmp_path, dump_72):
    out = tmp_path / "r.qom.json"
    assert run_import(dump_72, "--release", "7.1", "-o", out).returncode == 0
    assert json.loads(out.read_text())["release"] == "7.1"
    assert Registry.load(out).release == "7.1"


def test_import_rewrites_only_on_change(tmp_path, dump_72):
    out = tmp_path / "r.qom.json"
    assert run_import(dump_72, "-o", out).returncode == 0
    first = out.read_bytes()
    before = out.stat()
    result = run_import(dump_72, "-o", out)
    after = out.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert "unchanged" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["r.qom.json"]  # no temp files left
    out.write_text("stale\n")
    assert run_import(dump_72, "--check", "-o", out).returncode == 1
    assert out.read_text() == "stale\n"  # --check writes nothing
    assert run_import(dump_72, "-o", out).returncode == 0
    assert out.read_bytes() == first
    assert run_import(dump_72, "--check", "-o", out).returncode == 0


def test_defaults_are_spelled_as_compat_entries_write_them(registry_100):
    find = registry_100.find_property
    # hw/net/virtio-net.c: DEFINE_PROP_BIT64("mq", ..., false), ("csum", ..., true)
    assert (find("virtio-net-device", "mq").qom_type, find("virtio-net-device", "mq").default) == (
        "bool",
        "off",
    )
    assert find("virtio-net-device", "csum").default == "on"
    # hw/pci/pci.c: romsize UINT32_MAX, rombar -1, addr (a devfn) -1.
    assert find("pci-device", "romsize").default == "4294967295"
    assert find("pci-device", "rombar").default == "-1"
    assert find("virtio-net-pci", "rombar").default == "-1"  # inherited
    assert find("pci-device", "addr").default == "-1"
    # hw/vfio/pci.c: x-msix-relocation OFF_AUTO_PCIBAR_OFF; an enum's name.
    assert find("vfio-pci", "x-msix-relocation").default == "off"
    # hw/isa/lpc_ich9.c: x-smi-swsmi-timer defaults to true.
    assert find("ICH9-LPC", "x-smi-swsmi-timer").default == "on"
    # hw/display/qxl.c: revision QXL_DEFAULT_REVISION, V12 + 1 = 5, on the
    # abstract pci-qxl the module's qxl and qxl-vga inherit it from.
    assert find("qxl-vga", "revision").default == "5"
    assert registry_100.property_owner("qxl-vga", "revision") == "pci-qxl"
    # A property QEMU reports no default for.
    assert find("virtio-net-device", "mac").default is None
    assert registry_100.default_of("virtio-net-device", "no-such-prop") is None


def test_unlistable_and_interface_types(registry_100, dump_100):
    dump = json.loads(dump_100.read_text())["types"]
    # QEMU 10.0 aborts listing colo-compare's properties: the dump says so.
    assert "crashed" in dump["colo-compare"]["unlistable"]
    colo = registry_100.types["colo-compare"]
    assert colo.unlistable == dump["colo-compare"]["unlistable"]
    assert not registry_100.is_listed("colo-compare")
    # Interfaces are listed types without properties.
    assert registry_100.types["hotplug-handler"].parent == "interface"
    assert registry_100.is_listed("hotplug-handler")


def test_a_changed_default_is_the_subtypes_own_property(tmp_path):
    dump = {
        "source": {"binary": "qemu-system-x86_64 10.0.0"},
        "types": {
            "object": {"parent": None, "abstract": True, "properties": {}},
            "dev": {
                "parent": "object",
                "abstract": True,
                "properties": {"x": {"type": "bool", "default-value": False}},
            },
            "same": {
                "parent": "dev",
                "abstract": False,
                "properties": {"x": {"type": "bool", "default-value": False}},
            },
            "other": {
                "parent": "dev",
                "abstract": False,
                "properties": {
                    "x": {"type": "bool", "default-value": True},
                    "n": {"type": "uint32", "default-value": 7},
                    "l": {"type": "list", "default-value": []},
                },
            },
        },
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(dump))
    registry = qomimport.import_dump(path)
    assert registry.types["same"].properties == {}
    assert registry.property_owner("other", "x") == "other"
    assert registry.default_of("other", "x") == "on"
    assert registry.default_of("same", "x") == "off"
    assert registry.default_of("other", "n") == "7"
    assert registry.default_of("other", "l") is None  # a list has no string form
    text = registry.dump()
    assert '    "x": ["bool", "on"]' in text.splitlines()  # one line per fact
    assert '    "l": "list",' in text.splitlines()


def test_committed_registries_round_trip():
    """Loading the committed registries and laying them out again gives the
    very same files: they are what import-qom writes, and nothing is lost."""
    files = {p.name: p.read_text() for p in REGISTRY_DIR.glob("*.qom.json")}
    registries = list(qomfiles.load_directory(REGISTRY_DIR).values())
    assert sorted(r.target for r in registries) == [
        "aarch64",
        "arm",
        "i386",
        "ppc64",
        "s390x",
        "x86_64",
    ]
    assert qomimport.layout(registries) == files
    assert sum(len(text.encode()) for text in files.values()) <= 3_000_000


def test_committed_registries_are_sorted_one_fact_a_line():
    for path in REGISTRY_DIR.glob("*.qom.json"):
        text = path.read_text()
        doc = json.loads(text)
        assert qomfiles.render(doc) == text, path.name
        assert list(doc["types"]) == sorted(doc["types"])
        assert doc.get("shared-types", []) == sorted(doc.get("shared-types", []))
        for entry in doc["types"].values():
            assert list(entry["properties"]) == sorted(entry["properties"])
        assert str(ROOT) not in text and "/usr/" not in text  # nothing of the host


def test_shared_layout(tmp_path, dump_100):
    """Two targets' registries: what both have alike is written once."""
    x86 = qomimport.import_dump(dump_100)
    data = json.loads(dump_100.read_text())
    data["target"] = "i386"
    del data["types"]["qxl-vga"]
    data["types"]["virtio-net-device"]["properties"]["mq"]["default-value"] = True
    i386 = qomimport.registry_from_dump(data, "i386 dump")
    files = qomimport.layout([x86, i386])
    assert list(files) == [
        "qemu-10.0-i386.qom.json",
        "qemu-10.0-shared.qom.json",
        "qemu-10.0-x86_64.qom.json",
    ]
    shared = json.loads(files["qemu-10.0-shared.qom.json"])
    assert shared["shared-by"] == ["i386", "x86_64"]
    assert "pci-device" in shared["types"]
    assert "qxl-vga" not in shared["types"]  # only x86_64 has it
    assert "virtio-net-device" not in shared["types"]  # the two disagree on mq
    own = json.loads(files["qemu-10.0-x86_64.qom.json"])
    assert "pci-device" in own["shared-types"] and "pci-device" not in own["types"]
    assert "qxl-vga" in own["types"] and "virtio-net-device" in own["types"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    loaded = qomfiles.load_directory(tmp_path)
    assert loaded["i386"].default_of("virtio-net-device", "mq") == "on"
    assert loaded["x86_64"].default_of("virtio-net-device", "mq") == "off"
    assert "qxl-vga" not in loaded["i386"].types
    assert loaded["x86_64"].entries() == x86.entries()
    # A target file alone finds its shared file beside it.
    alone = Registry.load(tmp_path / "qemu-10.0-i386.qom.json")
    assert alone.entries() == i386.entries()


def test_importing_one_target_keeps_the_others(tmp_path, dump_100):
    """Re-importing one binary rewrites the shared layout, never the facts of
    the other targets' registries."""
    data = json.loads(dump_100.read_text())
    data["target"] = "i386"
    i386_dump = tmp_path / "i386.json"
    i386_dump.write_text(json.dumps(data))
    out = tmp_path / "registry"
    assert run_import(dump_100, i386_dump, "-o", out).returncode == 0
    both = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(both) == 3
    result = run_import(dump_100, "-o", out)
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == both
    assert run_import(dump_100, "-o", out, "--check").returncode == 0


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


def test_missing_dump_and_bad_release(tmp_path):
    result = run_import(tmp_path / "nope.json", "-o", tmp_path / "o.json")
    assert result.returncode == 1 and result.stderr.startswith("error: cannot read ")
    dump = tmp_path / "d.json"
    dump.write_text(_types_doc({}))
    result = run_import(dump, "--release", "seven", "-o", tmp_path / "o.json")
    assert result.returncode == 1 and "X.Y" in result.stderr
    result = run_import(cwd=tmp_path)
    assert result.returncode == 1 and "give a DUMP.json or --qemu BINARY" in result.stderr


def test_malformed_registry_raises_qom_error(tmp_path):
    path = tmp_path / "r.qom.json"
    for text in (
        "{",
        '{"format": 99, "types": {}}',
        '{"format": 1, "types": {"a": {"abstract": false, "parent": "a", "properties": {}}}}',
        '{"format": 1, "types": {"a": {"abstract": false, "parent": null, "properties": {"p": 1}}}}',
        '{"format": 2, "types": {"a": {"abstract": false, "parent": null, '
        '"properties": {"p": ["bool"]}}}}',
        '{"format": 2, "shared": "gone.qom.json", "shared-types": ["a"], "types": {}}',
        '{"format": 2, "types": {"a": {"abstract": false, "parent": null, "properties": {}, '
        '"unlistable": true}}}',
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


def test_add_type_and_property(tmp_path, dump_72):
    registry = qomimport.import_dump(dump_72)
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
    # A declaration adds what the binary cannot tell, and may not contradict it.
    registry.add_property("virtio-net-device", "mq", "bool", since="2.7", default="off")
    assert registry.find_property("virtio-net-device", "mq").since == "2.7"
    assert registry.default_of("virtio-net-device", "mq") == "off"
    registry.add_property("virtio-net-device", "mq", "bool", default="false")  # the same bool
    with pytest.raises(QomError, match="defaults to"):
        registry.add_property("virtio-net-device", "mq", "bool", default="on")
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


def test_every_type_string_in_the_committed_registries_is_classified():
    seen = set()
    for registry in qomfiles.load_directory(REGISTRY_DIR).values():
        for name in registry.types:
            seen.update(p.qom_type for p in registry.types[name].properties.values())
    assert "OnOffAuto" in seen and "bool" in seen
    assert sorted(t for t in seen if qom.value_kind(t) == "unknown") == []


@pytest.mark.parametrize(
    "value, spelled",
    [
        (True, "on"),
        (False, "off"),
        (0, "0"),
        (-1, "-1"),
        (4294967295, "4294967295"),
        (0.5, "0.5"),
        ("auto", "auto"),
        ("", ""),
        ([], None),
        ({"a": 1}, None),
        (None, None),
    ],
)
def test_spell_default(value, spelled):
    assert spell_default(value) == spelled


@pytest.mark.parametrize(
    "qom_type, a, b, same",
    [
        ("bool", "on", "true", True),
        ("bool", "off", "no", True),
        ("bool", "on", "off", False),
        ("uint32", "16", "0x10", True),
        ("uint32", "16", "020", True),  # octal, as strtoll reads it
        ("uint32", "16", "17", False),
        ("OnOffAuto", "auto", "auto", True),
        ("OnOffAuto", "on", "true", False),  # an enum takes names only
        ("str", "a", "b", False),
        ("bool", None, "on", False),
        (None, "on", "true", True),  # type unknown: taken as QEMU's bool parser
    ],
)
def test_same_value(qom_type, a, b, same):
    assert same_value(qom_type, a, b) is same


@pytest.mark.parametrize("qom_type", ["uint32", "int64", "size"])
@pytest.mark.parametrize("value", ["1" * 5000, "-" + "9" * 5000, "0x" + "f" * 5000])
def test_huge_values_are_out_of_range_not_a_crash(qom_type, value):
    """Python's int() refuses 4,300+ digits: the check must not hand it those."""
    problem = check_value(qom_type, value)
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
