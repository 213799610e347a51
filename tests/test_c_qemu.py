"""generated/c in QEMU 10.0.2's own tree, proven against real QEMU.

.ci/qemu-build (run by .ci/run) fetches Debian's QEMU 10.0.2 source, builds
qemu-system-x86_64 as released and again after `mtc qemu-swap`, and leaves
everything under $MTC_QEMU_WORK (see that script).  These tests read its
results:

- every versioned options function (and instance options function) and
  every DEFINE line of QEMU's source equals mtc's, statement by statement,
  whitespace and comments aside, for the five versioned families (and isapc
  and xenfv);
- the swap replaced each part the README names;
- the swapped binary behaves as the unmodified one: query-machines with
  compat-props, -machine help, and for every machine type (-S -nodefaults,
  TCG) `info qtree` and the machine's QOM properties; its query-machines
  equals Debian's stock qemu-system-x86_64 10.0.2 too.

Without the build (a developer's machine) they are skipped; with
MTC_REQUIRE_QEMU=1 (set by .ci/run) a missing build fails them instead.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from mtc import asof, pipeline
from mtc.backends import c as c_backend
from mtc.diagnostics import Diagnostics
from mtc.versions import Version
from mtc.workflow import csource, qemuswap

STOCK = Path("/usr/bin/qemu-system-x86_64")
# The five versioned families, and what QEMU's files hold of each.
VERSIONED = {
    "pc-i440fx": "hw/i386/pc_piix.c",
    "pc-q35": "hw/i386/pc_q35.c",
    "virt": "hw/arm/virt.c",
    "s390-ccw-virtio": "hw/s390x/s390-virtio-ccw.c",
    "pseries": "hw/ppc/spapr.c",
}
# Debian's firmware packages (seabios, qemu-system-data): the +ds tarball has none.
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
# A fixed, still clock: the machine's rtc-time property does not move.
RUN = ["-nodefaults", "-display", "none", "-S", "-accel", "tcg", "-rtc", "clock=vm,base=2000-01-01"]


@pytest.fixture(scope="session")
def qemu_work():
    work = Path(os.environ.get("MTC_QEMU_WORK", "/var/tmp/mtc-qemu"))
    needed = [
        work / "src" / "VERSION",
        work / "swap.log",
        work / "bin" / "qemu-system-x86_64.unmodified",
        work / "bin" / "qemu-system-x86_64.swapped",
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        message = f"no QEMU build (run .ci/qemu-build): missing {', '.join(missing)}"
        if os.environ.get("MTC_REQUIRE_QEMU") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return work


def qemu_release(src):
    return Version.parse(".".join((src / "VERSION").read_text().split(".")[:2]))


@pytest.fixture(scope="session")
def mtc_c(qemu_work):
    """The corpus and the C of the repository's machines/ as of the QEMU
    source's release (what `mtc qemu-swap` puts into that tree)."""
    diags = Diagnostics()
    resolved = pipeline.compile_project(pipeline.Project(ROOT), diags)
    assert resolved is not None, diags.render()
    resolved = asof.resolve_at(resolved, qemu_release(qemu_work / "src"))
    return resolved.corpus, c_backend.emit(resolved, resolved.corpus.files)


# -- the source ---------------------------------------------------------------------------


def test_options_functions_and_define_lines_equal_qemus_source(qemu_work, mtc_c, reference):
    """Statement by statement, for every function and DEFINE line QEMU's part
    of each file holds (mtc's C as of the source's release)."""
    corpus, outputs = mtc_c
    src = qemu_work / "src"
    compared: dict[str, int] = {}
    for swap in qemuswap.plan(corpus, outputs):
        if not swap.qemu_file.endswith(".c") or "compat" in swap.parts[0].generated:
            continue
        text = (src / swap.qemu_file).read_text()
        regions = qemuswap.find_regions(
            text, swap.qemu_file, swap.parts[0].matches, len(swap.parts)
        )
        qemu_items = [i for r in regions for i in r.items if i.kind != "directive"]
        mtc_items = [
            i
            for part in swap.parts
            for i in csource.items(part.text, part.generated)
            if i.kind != "directive"
        ]
        mtc_functions = {i.name: i for i in mtc_items if i.kind == "function"}
        for item in qemu_items:
            if item.kind != "function":
                continue
            assert item.name in mtc_functions, f"{swap.qemu_file}: no {item.name} in mtc's C"
            assert mtc_functions[item.name].statements() == item.statements(), item.name
            compared[swap.qemu_file] = compared.get(swap.qemu_file, 0) + 1

        def defines(found):
            return [csource.spelled(i.tokens).rstrip(" ;") for i in found if i.kind == "invocation"]

        assert defines(mtc_items) == defines(qemu_items), swap.qemu_file
    # Every version of every versioned family, by tests/reference's count:
    # one options function each, two for s390-ccw-virtio (instance options).
    for family, file in VERSIONED.items():
        machines = len(reference["families"][family]["machines"])
        per_machine = 2 if family == "s390-ccw-virtio" else 1
        extra = 3 if file == "hw/i386/pc_piix.c" else 0  # isapc, xenfv-4.2, xenfv-3.1
        assert compared[file] == machines * per_machine + extra, file


# -- the swap -------------------------------------------------------------------------------

# What the README names: each part by what starts and ends it in QEMU 10.0.2.
PARTS = {
    "hw/core/machine.c": [("GlobalProperty hw_compat_9_2[] = {", "const size_t hw_compat_2_4_len")],
    "include/hw/boards.h": [
        ("extern GlobalProperty hw_compat_9_2[];", "extern const size_t hw_compat_2_4_len;")
    ],
    "hw/i386/pc.c": [("GlobalProperty pc_compat_9_2[] = {};", "const size_t pc_compat_2_4_len")],
    "include/hw/i386/pc.h": [
        ("extern GlobalProperty pc_compat_9_2[];", "extern const size_t pc_compat_2_4_len;")
    ],
    "hw/i386/pc_piix.c": [("static void pc_i440fx_machine_10_0_options(", "#endif")],
    "hw/i386/pc_q35.c": [("static void pc_q35_machine_10_0_options(", "DEFINE_Q35_MACHINE(2, 4);")],
    "hw/arm/virt.c": [("static void virt_machine_10_0_options(", "DEFINE_VIRT_MACHINE(2, 6)")],
    "hw/s390x/s390-virtio-ccw.c": [("static void ccw_machine_10_0_instance_options(", "#endif")],
    "hw/ppc/spapr.c": [
        ("static void spapr_machine_10_0_class_options(", "DEFINE_SPAPR_MACHINE(4, 1);"),
        ("static void spapr_machine_4_0_class_options(", "DEFINE_SPAPR_MACHINE(3, 0);"),
    ],
}


def test_the_swap_replaced_each_part_the_readme_names(qemu_work):
    report = (qemu_work / "swap.log").read_text().splitlines()
    replaced = {}
    for line in report:
        match = re.match(r"([^:]+):(\d+)-(\d+): replaced '(.*)'(?: \(.*\))? \.\. '(.*)' by", line)
        if match:
            replaced.setdefault(match.group(1), []).append((match.group(4), match.group(5)))
    assert sorted(replaced) == sorted(PARTS)
    for file, parts in PARTS.items():
        got = replaced[file]
        assert len(got) == len(parts), file
        for (first, last), (want_first, want_last) in zip(got, parts):
            assert first.startswith(want_first) and last.startswith(want_last), (file, first, last)
    readme = (ROOT / "README.md").read_text()
    for file in PARTS:
        assert f"`{file}`" in readme, file
    # The tree holds the includes, and QEMU's parts are gone from it.
    tree = qemu_work / "tree"
    spapr = (tree / "hw/ppc/spapr.c").read_text()
    assert spapr.count('#include "spapr_machines') == 2
    assert "static bool phb_placement_4_0(" in spapr
    assert "extern GlobalProperty hw_compat_9_2[]" not in (tree / "include/hw/boards.h").read_text()


# -- the binaries ---------------------------------------------------------------------------


class Qmp:
    """A QEMU started with QMP on stdio, one command at a time."""

    def __init__(self, binary, machine="none"):
        self.process = subprocess.Popen(
            [str(binary), *FIRMWARE, "-machine", machine, *RUN, "-qmp", "stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        greeting = self.process.stdout.readline()
        if not greeting:
            raise RuntimeError(f"{binary} -machine {machine}: {self.process.stderr.read()}")
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        request = {"execute": name, **({"arguments": arguments} if arguments else {})}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        while True:
            reply = json.loads(self.process.stdout.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                return {"error": reply["error"]["class"]}

    def close(self):
        self.command("quit")
        self.process.communicate(timeout=30)


def query_machines(binary):
    qmp = Qmp(binary)
    try:
        return {m["name"]: m for m in qmp.command("query-machines", **{"compat-props": True})}
    finally:
        qmp.close()


def machine_facts(binary, machine):
    """`info qtree` and every readable QOM property of /machine."""
    qmp = Qmp(binary, machine)
    try:
        qtree = qmp.command("human-monitor-command", **{"command-line": "info qtree"})
        properties = qmp.command("qom-list", path="/machine")
        values = {}
        for prop in properties:
            if not prop["type"].startswith(("child<", "link<")):
                values[prop["name"]] = qmp.command(
                    "qom-get", path="/machine", property=prop["name"]
                )
        listed = sorted((p["name"], p["type"]) for p in properties)
        return qtree, listed, values
    finally:
        qmp.close()


@pytest.fixture(scope="session")
def binaries(qemu_work):
    return qemu_work / "bin" / "qemu-system-x86_64.unmodified", qemu_work / "bin" / (
        "qemu-system-x86_64.swapped"
    )


def test_query_machines_is_the_unmodified_builds_and_debians(binaries):
    unmodified, swapped = binaries
    mine = query_machines(swapped)
    assert len(mine) > 60
    assert mine == query_machines(unmodified)
    assert all(m.get("compat-props") is not None for m in mine.values())
    # Debian's binary has every machine of ours, the same; and more only
    # where it was built with more (x-remote: CONFIG_MULTIPROCESS), none
    # machines/ describes.
    stock = query_machines(STOCK)
    assert {name: stock[name] for name in mine if name in stock} == mine
    assert set(mine) <= set(stock)
    described = {
        m["name"] for m in json.loads((ROOT / "generated/json/x86_64.json").read_text())["machines"]
    }
    assert not (set(stock) - set(mine)) & described


def test_machine_help_is_the_unmodified_builds(binaries):
    texts = [
        subprocess.run([str(b), "-machine", "help"], capture_output=True, text=True, check=True)
        for b in binaries
    ]
    assert texts[0].stdout == texts[1].stdout and "pc-q35-10.0" in texts[0].stdout


def test_every_machine_builds_the_same_devices_and_properties(binaries):
    unmodified, swapped = binaries
    names = sorted(query_machines(swapped))
    started = 0
    for name in names:
        facts = machine_facts(swapped, name)
        assert facts == machine_facts(unmodified, name), name
        started += bool(facts[0])
    # Every machine started and has a device tree (none is a machine too).
    assert started == len(names)
