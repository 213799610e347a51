"""mtc diff and mtc explain.

diff is checked against the JSON backend: for every pair of neighbouring
versions of every family, the differences computed straight from
generated/json (last entry per qom-type.property wins; options as listed)
must be exactly what diff reports.
"""

import json

import pytest

from conftest import ROOT, run_mtc

from mtc import pipeline
from mtc.diagnostics import Diagnostics
from mtc.workflow import diff

HOST_ATOMS = {"os", "kernel", "accel", "feature"}


def host_guarded(prop: dict) -> bool:
    def atoms(guard):
        if isinstance(guard, dict):
            for key, value in guard.items():
                if key in ("and", "or"):
                    for item in value:
                        yield from atoms(item)
                elif key == "not":
                    yield from atoms(value)
                else:
                    yield key
        elif isinstance(guard, str):  # "host.os == linux" and the like
            yield "os" if "host." in guard or "accel" in guard or "feature" in guard else "config"

    guard = prop.get("guard")
    return guard is not None and any(atom in HOST_ATOMS for atom in atoms(guard))


def json_state(machine: dict) -> dict:
    """(qom-type, property) -> signature of what is in effect, from the JSON."""
    state: dict = {}
    for prop in machine["compat-props"]:
        key = (prop["qom-type"], prop["property"])
        item = (prop["value"], prop.get("optional", False))
        winner, guarded = state.get(key, (None, ()))
        state[key] = (winner, guarded + (item,)) if host_guarded(prop) else (item, ())
    return state


def expected_diff(a: dict, b: dict):
    sa, sb = json_state(a), json_state(b)
    props = {key for key in set(sa) | set(sb) if sa.get(key) != sb.get(key)}
    oa, ob = a["options"], b["options"]
    options = {name for name in set(oa) | set(ob) if oa.get(name) != ob.get(name)}
    return props, options


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A fresh build of the project, and the resolved model it came from."""
    import shutil

    root = tmp_path_factory.mktemp("diff") / "project"
    shutil.copytree(ROOT / "machines", root / "machines")
    run_mtc("build", "--root", str(root), check=True)
    resolved = pipeline.compile_project(pipeline.Project(root), Diagnostics())
    assert resolved is not None
    return root, resolved


def neighbours(machines: list[dict]):
    by_family: dict[str, list[dict]] = {}
    for machine in machines:
        if machine.get("version"):
            by_family.setdefault(machine["family"], []).append(machine)
    for family, members in by_family.items():
        members.sort(key=lambda m: tuple(int(p) for p in m["version"].split(".")))
        yield from zip(members, members[1:])


def test_diff_agrees_with_the_json_backend_on_every_neighbouring_pair(built):
    root, resolved = built
    pairs = 0
    for target, resolved_target in resolved.targets.items():
        data = json.loads((root / "generated" / "json" / f"{target}.json").read_text())
        for older, newer in neighbours(data["machines"]):
            a, b = resolved_target.find(older["name"]), resolved_target.find(newer["name"])
            got = diff.diff_json(diff.Side(resolved, a, a.name), diff.Side(resolved, b, b.name))
            props, options = expected_diff(older, newer)
            assert {
                (driver, prop) for driver, items in got["properties"].items() for prop in items
            } == props, (older["name"], newer["name"])
            assert set(got["options"]) == options, (older["name"], newer["name"])
            for driver, items in got["properties"].items():
                for prop, sides in items.items():
                    for side, machine in (("a", older), ("b", newer)):
                        winner = json_state(machine).get((driver, prop), (None, ()))[0]
                        shown = sides[side]
                        if shown is not None and shown.get("default"):
                            shown = None  # no entry: the registry's default is shown
                        value = None if shown is None else shown["value"]
                        assert value == (winner[0] if winner else None)
            pairs += 1
    assert pairs >= 2 * 45  # both families, both targets


def test_diff_cli_matches_the_in_process_result_and_reads_well(built):
    root, resolved = built
    result = run_mtc("diff", "pc-q35-8.0", "pc-q35-8.1", "--json", "--root", str(root))
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    machines = resolved.targets["x86_64"]
    a, b = machines.find("pc-q35-8.0"), machines.find("pc-q35-8.1")
    assert got == diff.diff_json(
        diff.Side(resolved, a, "pc-q35-8.0"), diff.Side(resolved, b, "pc-q35-8.1")
    )
    flush = got["properties"]["migration"]["multifd-flush-after-each-section"]
    assert flush["a"]["set"] == "hw_compat_8_0"
    # Where no entry sets it, the default QEMU 10.0.2 reports: migration/options.c:
    # DEFINE_PROP_BOOL("multifd-flush-after-each-section", ..., false).
    assert flush["b"]["default"] is True and flush["b"]["value"] == "off"
    assert flush["b"]["registry"].startswith("qemu-system-x86_64 10.0.2")
    assert got["options"]["max-cpus"]["a"]["value"] == 288
    assert got["options"]["max-cpus"]["b"]["value"] == 1024
    text = run_mtc(
        "diff", "q35", "pc-q35-9.2", "--target", "i386", "--at", "10.0", "--root", str(root)
    ).stdout
    lines = text.splitlines()
    assert lines[:2] == ["--- pc-q35-10.0", "+++ pc-q35-9.2"]
    assert lines[2].startswith("target i386: 8 properties of 7 drivers and 0 options differ")
    assert "arm-cpu" in lines
    index = lines.index("arm-cpu")
    assert lines[index + 1 : index + 3] == [
        "  backcompat-pauth-default-use-qarma5",
        "    - (not set; qemu-system-i386 has no such type)",
    ]
    assert lines[index + 3].startswith(
        '    + "true"  (hw_compat_9_2, release 9.2, machines/hw.mtc:'
    )


def test_diff_shows_defaults_rather_than_not_set():
    """The issue's example: pc-q35-10.0 sets nothing hw_compat_9_2 pins, and
    the defaults QEMU 10.0 reports show instead.  Defaults from QEMU 10.0's
    sources: migration/options.c send-switchover-start true, vfio/pci.c
    x-migration-multifd-transfer ON_OFF_AUTO_AUTO."""
    result = run_mtc("diff", "pc-q35-9.2", "pc-q35-10.0")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "(not set)" not in result.stdout
    index = lines.index("  send-switchover-start")
    assert lines[index + 1].startswith('    - "off"  (hw_compat_9_2, release 9.2, machines/hw.mtc:')
    assert lines[index + 2] == "    + (default) on"
    index = lines.index("  x-migration-multifd-transfer")
    assert lines[index + 2] == "    + (default) auto"


def test_diff_of_one_type_at_two_revisions(built, tmp_path):
    root, _ = built
    import shutil
    import subprocess

    git = ["git", "-c", "user.email=t@e", "-c", "user.name=t", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    hw = root / "machines" / "hw.mtc"
    original = hw.read_text()
    try:
        hw.write_text(original.replace('queue-size = "128"', 'queue-size = "256"'))
        result = run_mtc("diff", "pc-q35-4.2", "--base", "HEAD", "--json", "--root", str(root))
        assert result.returncode == 0, result.stderr
        got = json.loads(result.stdout)
        assert got["a"].startswith("pc-q35-4.2 at HEAD")
        assert list(got["properties"]) == ["virtio-blk-device"]
        change = got["properties"]["virtio-blk-device"]["queue-size"]
        assert (change["a"]["value"], change["b"]["value"]) == ("128", "256")
        same = run_mtc("diff", "pc-q35-5.0", "--base", "HEAD", "--root", str(root))
        assert "0 properties of 0 drivers and 0 options differ" in same.stdout
    finally:
        hw.write_text(original)
        shutil.rmtree(root / ".git")


def test_diff_usage_errors():
    cases = [
        (["pc-q35-8.0"], "give two machines A B"),
        (["pc-q35-8.0", "pc-q35-99.0"], "unknown machine 'pc-q35-99.0'"),
        (["pc-q35-8.0", "pc-q35-8.1", "--target", "mips"], "unknown target 'mips'"),
    ]
    for argv, message in cases:
        result = run_mtc("diff", *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr


# ---- explain -----------------------------------------------------------------------------


def test_explain_queue_size_of_pc_q35_4_2():
    result = run_mtc("explain", "pc-q35-4.2", "virtio-blk-device.queue-size")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'pc-q35-4.2 (x86_64): virtio-blk-device.queue-size = "128"'
    assert lines[1].startswith("  from hw_compat_4_2, release 4.2, machines/hw.mtc:")
    assert lines[1].endswith(", applied by pc-q35-4.2")
    steps = [line for line in lines if line.startswith("  1.")]
    assert len(steps) == 1 and steps[0].endswith("<- in effect")
    data = json.loads(
        run_mtc("explain", "pc-q35-4.2", "virtio-blk-device.queue-size", "--json").stdout
    )
    assert data["value"] == "128"
    assert [(s["set"], s["release"], s["in-effect"]) for s in data["steps"]] == [
        ("hw_compat_4_2", "4.2", True)
    ]
    line = int(data["steps"][0]["location"].rsplit(":", 1)[1])
    source = (ROOT / "machines" / "hw.mtc").read_text().splitlines()[line - 1]
    assert source.strip() == 'virtio-blk-device.queue-size = "128"'


def test_explain_lists_every_entry_of_the_chain_in_order():
    data = json.loads(run_mtc("explain", "pc-i440fx-2.8", "pci-bridge.shpc", "--json").stdout)
    assert [(s["value"], s["set"], s["applied-by"], s["in-effect"]) for s in data["steps"]] == [
        ("off", "hw_compat_2_9", "pc-i440fx-2.9", False),
        ("on", "hw_compat_2_8", "pc-i440fx-2.8", True),
    ]
    data = json.loads(run_mtc("explain", "pc-q35-2.4", "virtio-iommu-pci.aw-bits", "--json").stdout)
    assert [(s["value"], s["set"], s["applied-by"]) for s in data["steps"]] == [
        ("39", "pc_q35_compat_defaults", "family pc-q35"),
        ("64", "hw_compat_8_2", "pc-q35-8.2"),
    ]
    # The driver as written (${TYPE_X86_CPU}) or as expanded for the target.
    for driver in ("${TYPE_X86_CPU}", "i386-cpu"):
        data = json.loads(
            run_mtc(
                "explain", "pc-i440fx-2.6", f"{driver}.l3-cache", "--target", "i386", "--json"
            ).stdout
        )
        assert [(s["value"], s["set"]) for s in data["steps"]] == [("off", "pc_compat_2_7")]


def test_explain_an_option():
    result = run_mtc("explain", "pc-q35-4.0", "max-cpus")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "pc-q35-4.0 (x86_64): max-cpus = 288"
    data = json.loads(run_mtc("explain", "pc-q35-4.0", "max-cpus", "--json").stdout)
    assert [(s["value"], s["set-by"], s["in-effect"]) for s in data["steps"]] == [
        (255, "family generic-pc", False),
        (4096, "family pc-q35", False),
        (1024, "pc-q35-8.2", False),
        (288, "pc-q35-8.0", True),
    ]


def test_explain_unset_and_errors():
    result = run_mtc("explain", "pc-q35-9.2", "virtio-blk-device.queue-size")
    assert result.returncode == 0
    assert "is not set by any compat property of its chain" in result.stdout
    # hw/block/virtio-blk.c: DEFINE_PROP_UINT16("queue-size", ..., 256)
    assert "the type's own default applies: 256" in result.stdout
    data = json.loads(
        run_mtc("explain", "pc-q35-4.2", "virtio-blk-device.queue-size", "--json").stdout
    )
    assert data["value"] == "128" and data["default"]["value"] == "256"
    result = run_mtc("explain", "pc-q35-4.2", "virtio-blk-device.queue-siz")
    assert "did you mean virtio-blk-device.queue-size or " in result.stdout
    for argv, message in (
        (["pc-q35-99.9", "a.b"], "unknown machine 'pc-q35-99.9'"),
        (["pc-q35-4.2", "max-cpu"], "neither DRIVER.PROPERTY nor a declared option"),
    ):
        result = run_mtc("explain", *argv)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_show_a_machines_values_for_a_device():
    result = run_mtc("show", "pc-q35-8.0", "--device", "virtio-net-device")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pc-q35-8.0 (x86_64): virtio-net-device, ")
    assert "qemu-system-x86_64 10.0.2" in lines[1]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    # hw_compat_8_1 turns USO off for 8.1 and older (machines/hw.mtc).
    assert rows["guest_uso4"][:3] == ["guest_uso4", "bool", "off"]
    assert rows["guest_uso4"][3].startswith("(hw_compat_8_1,")
    # hw/net/virtio-net.c: csum on, mq off by default; mac has none.
    assert rows["csum"][2:] == ["on", "(default)"]
    assert rows["mq"][2:] == ["off", "(default)"]
    assert rows["mac"][2:] == ["-", "(no", "default", "reported)"]
    # Entries for an ancestor apply, as QEMU matches them: hw_compat_2_6
    # pins virtio-pci.disable-modern on, and virtio-net-pci is a virtio-pci.
    data = json.loads(
        run_mtc("show", "pc-i440fx-2.4", "--device", "virtio-net-pci", "--json").stdout
    )
    assert data["device"] == "virtio-net-pci"
    modern = data["properties"]["disable-modern"]
    assert (modern["type"], modern["value"]) == ("bool", "on")
    assert (modern["set"]["set"], modern["set"]["value"]) == ("hw_compat_2_6", "on")
    assert data["properties"]["mq"] == {"type": "bool", "value": "off", "default": True}


def test_show_device_errors():
    result = run_mtc("show", "pc-q35-8.0", "--device", "virtio-net-devcie")
    assert result.returncode == 2
    assert "has no QOM type 'virtio-net-devcie'; did you mean 'virtio-net-device'" in (
        result.stderr
    )
    result = run_mtc("show", "s390-ccw-virtio-9.0", "--device", "ICH9-LPC")
    assert result.returncode == 2 and "qemu-system-s390x" in result.stderr


def test_at_an_earlier_release():
    """As of 9.0, the 9.0 machine types were the newest: alias and default."""
    result = run_mtc("list", "--at", "9.0", "--target", "s390x")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[0] == "s390-ccw-virtio-9.0"
    assert "(alias s390-ccw-virtio, default)" in lines[1]
    assert "s390-ccw-virtio-9.1" not in result.stdout
    show = json.loads(run_mtc("show", "pc-q35-9.0", "--at", "9.0", "--json").stdout)
    assert show["alias"] == "q35" and show["parent"] is None
    # hw_compat_9_0 was created when 9.1 opened: 9.0's own binary lacks it.
    assert not any(p["set"] == "hw_compat_9_0" for p in show["compat-props"])
    now = json.loads(run_mtc("show", "pc-q35-9.0", "--json").stdout)
    assert any(p["set"] == "hw_compat_9_0" for p in now["compat-props"])
    for argv, message in (
        (["list", "--at", "9.3"], "--at: machines/ declares no release 9.3"),
        (["show", "q35", "--at", "nine"], "a release looks like X.Y, got 'nine'"),
        (["diff", "q35", "pc", "--at", "99.0"], "declares no release 99.0"),
    ):
        result = run_mtc(*argv)
        assert result.returncode == 2 and message in result.stderr, result.stderr
