"""mtc qemu-swap on small QEMU-like trees: each part a generated file stands
for becomes one #include of it, found by what it holds, reported with its
lines; anything else is left byte for byte.  (The swap of QEMU 10.0.2's own
tree, built and run, is tests/test_c_qemu.py's.)
"""

import re
import shutil

import pytest

from conftest import ROOT, run_mtc

FIXTURE = ROOT / "tests" / "fixtures" / "riscv-virt"

MACHINE_C = """\
#include "qemu/osdep.h"
#include "hw/boards.h"

/* The compat arrays. */
GlobalProperty hw_compat_10_0[] = {};
const size_t hw_compat_10_0_len = G_N_ELEMENTS(hw_compat_10_0);

GlobalProperty hw_compat_9_2[] = {
    { "arm-cpu", "backcompat-pauth-default-use-qarma5", "true" },
    { TYPE_PCI_DEVICE, "x-pcie-ext-tag", "false" },
};
const size_t hw_compat_9_2_len = G_N_ELEMENTS(hw_compat_9_2);

MachineState *current_machine;
"""

BOARDS_H = """\
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#define DEFINE_MACHINE(x) x

extern GlobalProperty hw_compat_10_0[];
extern const size_t hw_compat_10_0_len;

extern GlobalProperty hw_compat_9_2[];
extern const size_t hw_compat_9_2_len;

#endif
"""

VIRT_C = """\
#include "qemu/osdep.h"
#include "hw/riscv/virt.h"

#define DEFINE_RISCV_VIRT_MACHINE(major, minor) \\
    DEFINE_RISCV_VIRT_MACHINE_IMPL(false, major, minor)

static void riscv_virt_machine_10_0_options(MachineClass *mc)
{
}
DEFINE_RISCV_VIRT_MACHINE_AS_LATEST(10, 0)

static void riscv_virt_machine_9_2_options(MachineClass *mc)
{
    riscv_virt_machine_10_0_options(mc);
    compat_props_add(mc->compat_props, hw_compat_9_2, hw_compat_9_2_len);
}
DEFINE_RISCV_VIRT_MACHINE(9, 2)

static void virt_machine_register_types(void)
{
}
"""


@pytest.fixture
def trees(tmp_path):
    """(project root, QEMU tree) with the riscv-virt fixture's machines/."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE / "machines", root / "machines")
    qemu = tmp_path / "qemu"
    for path, text in (
        ("hw/core/machine.c", MACHINE_C),
        ("include/hw/boards.h", BOARDS_H),
        ("hw/riscv/virt.c", VIRT_C),
    ):
        (qemu / path).parent.mkdir(parents=True, exist_ok=True)
        (qemu / path).write_text(text)
    return root, qemu


def swap(root, qemu, *args):
    return run_mtc("qemu-swap", "--root", str(root), str(qemu), *args)


def snapshot(qemu):
    return {p.relative_to(qemu).as_posix(): p.read_text() for p in qemu.rglob("*") if p.is_file()}


def test_each_part_becomes_one_include(trees):
    root, qemu = trees
    result = swap(root, qemu)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "hw/core/machine.c:4-12: replaced 'GlobalProperty hw_compat_10_0[] = {};' "
        "(and the comment above it) .. "
        "'const size_t hw_compat_9_2_len = G_N_ELEMENTS(hw_compat_9_2);' "
        'by #include "hw_compat.c.inc"',
        "include/hw/boards.h:6-10: replaced 'extern GlobalProperty hw_compat_10_0[];' .. "
        "'extern const size_t hw_compat_9_2_len;' by #include \"hw_compat.h\"",
        "hw/riscv/virt.c:7-17: replaced 'static void riscv_virt_machine_10_0_options"
        "(MachineClass *mc)' .. 'DEFINE_RISCV_VIRT_MACHINE(9, 2)' "
        'by #include "riscv_virt_machines.c.inc"',
    ]
    machine = (qemu / "hw/core/machine.c").read_text()
    assert machine == (
        MACHINE_C[: MACHINE_C.index("/* The compat arrays. */")]
        + '#include "hw_compat.c.inc"\n'
        + MACHINE_C[MACHINE_C.index("\nMachineState") :]
    )
    boards = (qemu / "include/hw/boards.h").read_text()
    assert boards.replace('#include "hw_compat.h"\n', "") == BOARDS_H.replace(
        BOARDS_H[BOARDS_H.index("extern") : BOARDS_H.index("\n#endif")], ""
    )
    virt = (qemu / "hw/riscv/virt.c").read_text()
    assert virt == (
        VIRT_C[: VIRT_C.index("static void riscv_virt_machine_10_0")]
        + '#include "riscv_virt_machines.c.inc"\n'
        + VIRT_C[VIRT_C.index("\nstatic void virt_machine_register_types") :]
    )
    # The generated files, beside the files that include them.
    generated = run_mtc("build", "--root", str(root))
    assert generated.returncode == 0
    for copy, name in (
        ("hw/core/hw_compat.c.inc", "hw_compat.c.inc"),
        ("include/hw/hw_compat.h", "hw_compat.h"),
        ("hw/riscv/riscv_virt_machines.c.inc", "riscv_virt_machines.c.inc"),
    ):
        assert (qemu / copy).read_text() == (root / "generated" / "c" / name).read_text()
    assert not (qemu / "hw/core/host.h").exists()


def test_a_swapped_tree_only_gets_fresh_copies(trees):
    root, qemu = trees
    assert swap(root, qemu).returncode == 0
    before = snapshot(qemu)
    (qemu / "hw/riscv/riscv_virt_machines.c.inc").write_text("stale\n")
    again = swap(root, qemu)
    assert again.returncode == 0, again.stderr
    assert "hw/riscv/virt.c: already swapped; refreshed riscv_virt_machines.c.inc" in again.stdout
    assert snapshot(qemu) == before


def test_dry_run_changes_nothing(trees):
    root, qemu = trees
    before = snapshot(qemu)
    result = swap(root, qemu, "--dry-run")
    assert result.returncode == 0 and "hw/riscv/virt.c:7-17: replaced" in result.stdout
    assert snapshot(qemu) == before


def test_qemu_code_inside_a_part_is_an_error_and_nothing_changes(trees):
    root, qemu = trees
    path = qemu / "hw/riscv/virt.c"
    path.write_text(
        VIRT_C.replace(
            "static void riscv_virt_machine_9_2_options",
            "static int helper(void)\n{\n    return 1;\n}\n\nstatic void riscv_virt_machine_9_2_options",
        )
    )
    before = snapshot(qemu)
    result = swap(root, qemu)
    assert result.returncode == 1
    assert (
        "hw/riscv/virt.c:12: error: QEMU's helper sits inside the part the generated file "
        "replaces (its c-file can split the machines around it)"
    ) in result.stderr
    assert snapshot(qemu) == before


def test_a_split_c_file_replaces_two_parts_around_qemus_code(trees):
    root, qemu = trees
    cfile = root / "machines" / "riscv.mtc"
    cfile.write_text(
        cfile.read_text().replace(
            "    families riscv-virt\n",
            '    families riscv-virt\n    split riscv-virt 9.2 "riscv_virt_machines_9_2.c.inc"\n',
        )
    )
    path = qemu / "hw/riscv/virt.c"
    path.write_text(
        VIRT_C.replace(
            "static void riscv_virt_machine_9_2_options",
            "/* helper */\nstatic int helper(void)\n{\n    return 1;\n}\n"
            "static void riscv_virt_machine_9_2_options",
        )
    )
    result = swap(root, qemu)
    assert result.returncode == 0, result.stderr
    assert "hw/riscv/virt.c:7-10: replaced" in result.stdout
    assert "hw/riscv/virt.c:17-22: replaced" in result.stdout
    text = path.read_text()
    assert (
        '#include "riscv_virt_machines.c.inc"\n\n/* helper */\nstatic int helper(void)\n'
        '{\n    return 1;\n}\n#include "riscv_virt_machines_9_2.c.inc"\n'
    ) in text


def test_an_if_block_of_the_part_is_closed_with_it(trees):
    root, qemu = trees
    path = qemu / "hw/riscv/virt.c"
    path.write_text(
        VIRT_C.replace(
            "static void riscv_virt_machine_9_2_options",
            "#ifdef CONFIG_OLD\nstatic void riscv_virt_machine_9_2_options",
        ).replace("DEFINE_RISCV_VIRT_MACHINE(9, 2)\n", "DEFINE_RISCV_VIRT_MACHINE(9, 2)\n#endif\n")
    )
    result = swap(root, qemu)
    assert result.returncode == 0, result.stderr
    assert "hw/riscv/virt.c:7-19: replaced" in result.stdout
    assert "'#endif' by" in result.stdout
    assert "#endif" not in path.read_text()


def test_what_qemu_has_and_the_generated_file_not_is_listed(trees):
    root, qemu = trees
    path = qemu / "hw/riscv/virt.c"
    path.write_text(
        VIRT_C.replace(
            "\nstatic void virt_machine_register_types",
            "\nstatic void riscv_virt_machine_9_1_options(MachineClass *mc)\n{\n}\n"
            "DEFINE_RISCV_VIRT_MACHINE(9, 1)\n"
            "\nstatic void virt_machine_register_types",
        )
    )
    result = swap(root, qemu)
    assert result.returncode == 0, result.stderr
    assert (
        "hw/riscv/virt.c:19: riscv_virt_machine_9_1_options(): note: QEMU's, not in the "
        "generated file"
    ) in result.stdout
    assert (
        "hw/riscv/virt.c:22: DEFINE_RISCV_VIRT_MACHINE(9, 1): note: QEMU's, not in the "
        "generated file"
    ) in result.stdout


def test_a_missing_part_is_an_error(trees):
    root, qemu = trees
    (qemu / "hw/riscv/virt.c").write_text("static int nothing;\n")
    result = swap(root, qemu)
    assert result.returncode == 1
    assert (
        "hw/riscv/virt.c: error: none of what the generated file replaces is there" in result.stderr
    )
    (qemu / "hw/riscv/virt.c").unlink()
    result = swap(root, qemu)
    assert result.returncode == 1 and "hw/riscv/virt.c: error: cannot read it" in result.stderr


def test_not_a_qemu_tree_is_a_usage_error(trees, tmp_path):
    root, _ = trees
    result = swap(root, tmp_path / "nowhere")
    assert result.returncode == 2 and "not a QEMU source tree" in result.stderr
    assert run_mtc("qemu-swap", "--help").returncode == 0


def test_tables_that_need_mtcs_host_checks_are_not_swapped(trees):
    root, qemu = trees
    hw = root / "machines" / "hw.mtc"
    hw.write_text(
        hw.read_text().replace(
            '${TYPE_PCI_DEVICE}.x-pcie-ext-tag = "false"',
            '${TYPE_PCI_DEVICE}.x-pcie-ext-tag = "false"\n    a.b = "1" if accel == kvm',
        )
    )
    before = snapshot(qemu)
    result = swap(root, qemu)
    assert result.returncode == 1
    assert "hw_compat.c.inc: error: machines/ has compat entries under host guards" in (
        result.stderr
    )
    assert snapshot(qemu) == before


def test_the_c_swapped_in_is_that_of_the_trees_release(trees):
    """A QEMU 9.2 tree gets 9.2's machine types, however far machines/ has
    gone since; --at chooses; a development tree (X.Y.50) gets the newest."""
    root, qemu = trees
    pristine = snapshot(qemu)
    inc = qemu / "hw/riscv/riscv_virt_machines.c.inc"
    for version, args, newest in (
        ("9.2.0\n", [], "9_2"),
        ("9.2.0\n", ["--at", "10.0"], "10_0"),
        ("10.0.50\n", [], "10_0"),
        ("10.0.2\n", [], "10_0"),
    ):
        for path, text in pristine.items():
            (qemu / path).write_text(text)
        inc.unlink(missing_ok=True)
        (qemu / "VERSION").write_text(version)
        result = swap(root, qemu, *args)
        assert result.returncode == 0, result.stderr
        text = inc.read_text()
        functions = re.findall(r"static void riscv_virt_machine_(\w+?)_options", text)
        assert functions[0] == newest, (version, args, functions)
        assert ("riscv_virt_machine_10_0_options" in text) == (newest == "10_0")
