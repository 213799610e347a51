"""How a family is written in C is data in machines/ (c-family, c-file,
c-scope, c-header, c-type-name): a family declared only there gets C that
compiles, a family without a description gets a warning, and what the C
cannot express is an error with its location.  Also the DSL additions the C
needs: `define` macros in compat entries and `expr` options.
"""

import json
import shutil

import pytest

from c_harness import (
    assert_harness_agrees_with_json,
    build_project,
    parse_harness,
    walk,
)
from conftest import ROOT, run_mtc

FIXTURE = ROOT / "tests" / "fixtures" / "riscv-virt"


@pytest.fixture
def riscv(tmp_path):
    shutil.copytree(FIXTURE / "machines", tmp_path / "machines")
    return tmp_path


def edit(root, name, old, new):
    path = root / "machines" / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1))


def build_fails(root, *args):
    before = sorted((root / "generated").rglob("*")) if (root / "generated").exists() else None
    result = run_mtc("build", "--root", str(root), *args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    if before is None:
        assert not (root / "generated").exists()  # nothing half-written
    return result.stderr


# -- a family declared only in machines/ ----------------------------------------------


def test_a_new_family_gets_c_that_compiles_without_python(riscv, tmp_path):
    # Nothing in mtc's C backend knows this family: only the fixture does.
    sources = [*(ROOT / "compiler" / "backends" / "c").iterdir(), ROOT / "compiler" / "cchecks.py"]
    for source in sources:
        if source.is_file():
            assert "riscv" not in source.read_text().lower(), source
    generated = build_project(riscv)
    text = (generated / "c" / "riscv_virt_machines.c.inc").read_text()
    assert "static void riscv_virt_machine_9_2_options(MachineClass *mc)\n" in text
    assert "\nDEFINE_RISCV_VIRT_MACHINE(9, 2)\n" in text  # as the template spells it
    assert "    RISCVVirtMachineClass *rvmc = RISCV_VIRT_MACHINE_CLASS(mc);\n" in text
    assert "Included by hw/riscv/virt.c in place of its part" in " ".join(text.split())
    out = tmp_path / "out"
    out.mkdir()
    machines, _ = parse_harness(walk(generated / "c", out, "riscv64"))
    assert sorted(machines) == ["virt-10.0", "virt-9.2"]
    assert_harness_agrees_with_json(machines, generated, "riscv64", {"riscv-virt"})
    old = machines["virt-9.2"]
    assert old["props"] == [
        ("arm-cpu", "backcompat-pauth-default-use-qarma5", "true", False),
        ("pci-device", "x-pcie-ext-tag", "false", False),
    ]
    assert old["options"]["no-aia-migration"] is True
    assert machines["virt-10.0"]["alias"] == "virt" and machines["virt-10.0"]["default"]


def test_a_family_without_a_description_gets_a_warning(riscv):
    text = (riscv / "machines" / "riscv.mtc").read_text()
    (riscv / "machines" / "riscv.mtc").write_text(text[: text.index("c-file")])
    result = run_mtc("build", "--root", str(riscv))
    assert result.returncode == 0, result.stderr
    assert (
        "machines/riscv.mtc:13:1: warning: family riscv-virt has no c-family: the C backend "
        "writes none of its machines [-Wc-description]\n"
    ) in result.stderr
    assert not list((riscv / "generated" / "c").glob("riscv*"))
    quiet = run_mtc("build", "--root", str(riscv), "-Wno-c-description")
    assert quiet.returncode == 0 and "c-description" not in quiet.stderr
    assert "error: family riscv-virt has no c-family" in build_fails(riscv, "-E", "c-description")


def test_a_scope_without_a_description_gets_a_warning(riscv):
    edit(riscv, "hw.mtc", "compat hw 10.0 {\n}", "compat hw 10.0 {\n}\ncompat vendor 1.0 { }")
    edit(riscv, "releases.mtc", "release 9.2", "release 1.0 date 2000-01-01\nrelease 9.2")
    result = run_mtc("build", "--root", str(riscv))
    assert result.returncode == 0, result.stderr
    assert (
        "warning: compat scope vendor has no c-scope: the C backend writes none of its sets "
        "[-Wc-description]"
    ) in result.stderr


@pytest.mark.parametrize(
    "name, old, new, message",
    [
        (
            "riscv.mtc",
            '"riscv_virt_machine_{version}_options"',
            '"riscv_virt_machine_{verison}_options"',
            "riscv.mtc:37:5: error: unknown placeholder {verison} in "
            '"riscv_virt_machine_{verison}_options" (known: {version})',
        ),
        (
            "riscv.mtc",
            "machine riscv-virt 9.2 {",
            "machine riscv-virt 9.2.1 { compat hw 9.2 }\nmachine riscv-virt 9.2 {",
            "riscv.mtc:24:1: error: virt-9.2.1: c-family riscv-virt has no bugfix define",
        ),
        (
            "riscv.mtc",
            "machine riscv-virt 10.0 { alias default }",
            "machine riscv-virt 10.0 { alias }",
            "error: virt-10.0 is not the default, which its c-family's latest define sets",
        ),
        (
            "riscv.mtc",
            '    local rvmc "RISCVVirtMachineClass *rvmc = RISCV_VIRT_MACHINE_CLASS(mc);"\n',
            "",
            "riscv.mtc:27:5: error: option no-aia-migration is written rvmc->no_aia_migration, "
            "but c-family riscv-virt declares no local rvmc",
        ),
        (
            "riscv.mtc",
            "families riscv-virt",
            "families riscv-virt, riscv-vrit",
            "error: unknown family 'riscv-vrit'; did you mean 'riscv-virt'?",
        ),
        (
            "riscv.mtc",
            "    families riscv-virt\n",
            '    families riscv-virt\n    split riscv-virt 8.0 "x.c.inc"\n',
            "error: family riscv-virt has no machine 8.0",
        ),
        (
            "riscv.mtc",
            "c-header",
            "c-family riscv-virt2 { base inline }\nc-header",
            "error: c-family riscv-virt2: unknown family; did you mean 'riscv-virt'?",
        ),
        (
            "hw.mtc",
            'c-scope hw {\n    tables "hw_compat.c.inc"',
            'c-scope hw {\n    tables "riscv_virt_machines.c.inc"',
            'error: "riscv_virt_machines.c.inc" is generated twice',
        ),
        (
            "hw.mtc",
            "c-scope hw {",
            "c-scope hs {",
            "error: c-scope hs: no versioned compat set has scope hs",
        ),
        (
            "riscv.mtc",
            '    base elsewhere "virt_machine_class_init() and DEFINE_RISCV_VIRT_MACHINE_IMPL"\n',
            "",
            "error: c-family riscv-virt: say what sets the family's own options",
        ),
        (
            "riscv.mtc",
            'c-header "target/riscv/cpu-qom.h" { TYPE_RISCV_CPU,',
            'c-header "target/riscv/cpu.h" { TYPE_RISCV_CPU }\n'
            'c-header "target/riscv/cpu-qom.h" { TYPE_RISCV_CPU,',
            "error: TYPE_RISCV_CPU is declared by two c-headers",
        ),
        (
            "riscv.mtc",
            '    define "DEFINE_RISCV_VIRT_MACHINE({major}, {minor})"\n',
            "",
            "error: c-family riscv-virt: no plain define",
        ),
    ],
)
def test_what_the_c_description_cannot_say_is_an_error(riscv, name, old, new, message):
    edit(riscv, name, old, new)
    assert message in build_fails(riscv)


def test_a_scope_a_described_family_adds_needs_a_c_scope(riscv):
    edit(riscv, "hw.mtc", "c-scope hw {", "c-scope hw2 {")
    stderr = build_fails(riscv)
    assert "error: compat scope hw has no c-scope: C cannot add hw 9.2" in stderr


# -- macros of 'define' and expr options --------------------------------------------------


def test_a_defined_macro_expands_everywhere_but_in_c(riscv):
    edit(
        riscv,
        "hw.mtc",
        "arm-cpu.backcompat",
        '${TYPE_PCI_DEVICE}.${PROP_X} = "1"\n    arm-cpu.backcompat',
    )
    edit(
        riscv, "hw.mtc", "define TYPE_PCI_DEVICE", 'define PROP_X "x-prop"\ndefine TYPE_PCI_DEVICE'
    )
    generated = build_project(riscv)
    machines = json.loads((generated / "json" / "riscv64.json").read_text())["machines"]
    old = next(m for m in machines if m["name"] == "virt-9.2")
    assert old["compat-props"][0]["qom-type"] == "pci-device"
    assert old["compat-props"][0]["property"] == "x-prop"
    text = (generated / "c" / "hw_compat.c.inc").read_text()
    assert '    { TYPE_PCI_DEVICE, PROP_X, "1" },\n' in text


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "arm-cpu.backcompat-pauth-default-use-qarma5",
            "arm-cpu.${PROP_Y}",
            "error: unknown macro ${PROP_Y} in a property: declare it with 'define PROP_Y",
        ),
        (
            'define TYPE_PCI_DEVICE "pci-device"',
            'define TYPE_PCI_DEVICE "pci-device"\ndefine TYPE_PCI_DEVICE "pci"',
            "error: macro TYPE_PCI_DEVICE is declared twice",
        ),
    ],
)
def test_what_define_cannot_do(riscv, old, new, message):
    edit(riscv, "hw.mtc", old, new)
    assert message in build_fails(riscv)


def test_a_target_and_define_cannot_both_define_a_macro(riscv):
    edit(
        riscv,
        "hw.mtc",
        "define TYPE_PCI_DEVICE",
        'define TYPE_RISCV_CPU "x"\ndefine TYPE_PCI_DEVICE',
    )
    assert "error: macro TYPE_RISCV_CPU is declared twice" in build_fails(riscv)


def test_an_expr_option_is_c_and_json_leaves_it_out(riscv):
    edit(
        riscv,
        "riscv.mtc",
        "option prefer-sockets bool",
        'option no-floppy expr c "m->no_floppy"\noption prefer-sockets bool',
    )
    edit(
        riscv,
        "riscv.mtc",
        "    option prefer-sockets = true\n",
        "    option prefer-sockets = true\n    option no-floppy = `!module_object_class_by_name(TYPE_ISA_FDC)`\n",
    )
    generated = build_project(riscv)
    text = (generated / "c" / "riscv_virt_machines.c.inc").read_text()
    assert "    mc->no_floppy = !module_object_class_by_name(TYPE_ISA_FDC);\n" in text
    machines = json.loads((generated / "json" / "riscv64.json").read_text())["machines"]
    old = next(m for m in machines if m["name"] == "virt-9.2")
    # QEMU evaluates it when it runs: the JSON has no value to report.
    assert "no-floppy" not in old["options"] and "prefer-sockets" in old["options"]
    edit(riscv, "riscv.mtc", "`!module_object_class_by_name(TYPE_ISA_FDC)`", "true")
    assert "option no-floppy is of type expr: expected a `C expression`, got true or false" in (
        build_fails(riscv)
    )
