"""Integer literals and their ranges (compiler/numbers.py), from the spelling
to what C, JSON and libvirt make of them."""

import json
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_mtc
from mtc import numbers
from mtc.versions import Version


@pytest.mark.parametrize(
    "literal, value",
    [("0", 0), ("255", 255), ("-1", -1), ("0xff", 255), ("0xFF", 255), ("0o17", 15)]
    + [("-0x10", -16), ("0o0", 0), ("0x000000000000000000000000000000001", 1)],
)
def test_the_documented_spellings(literal, value):
    assert numbers.parse_int(literal) == value


@pytest.mark.parametrize(
    "literal, hint",
    [
        ("08", "no leading zero (write 8"),
        ("00", "no leading zero (write 0"),
        ("0X1F", "lowercase: 0x1F"),
        ("0O17", "lowercase: 0o17"),
        ("0b101", "write 0x5"),
        ("12ab", "write decimal (255), hexadecimal (0xff) or octal (0o377)"),
        ("0x", "write decimal"),
        ("0o8", "write decimal"),
    ],
)
def test_other_spellings_say_how_to_write_them(literal, hint):
    with pytest.raises(numbers.NumberError, match=rf"invalid number '{literal}': .*") as exc:
        numbers.parse_int(literal)
    assert hint in str(exc.value)


def test_huge_literals_are_out_of_range_without_converting_them():
    for literal in ("1" * 5000, "-" + "9" * 100000, "0x" + "f" * 5000):
        with pytest.raises(numbers.NumberError, match=r"out of range .* \(-2147483648"):
            numbers.parse_in(literal, numbers.C_INT)
    assert numbers.stand_in("1" * 5000, numbers.C_INT) == numbers.INT_MAX


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**64), 2**64))
def test_every_spelling_reads_back(n):
    sign = "-" if n < 0 else ""
    for literal in (str(n), f"{sign}{abs(n):#x}", f"{sign}0o{abs(n):o}"):
        assert numbers.parse_int(literal) == n


def test_c_reads_the_literals_as_mtc_does(tmp_path):
    """gcc itself checks that every C spelling mtc writes has the value mtc
    gives it (0o17 is written 017)."""
    literals = ["0", "255", "-1", "0xff", "0o17", "-0o17", "0o0", "0x7fffffff", "-2147483648"]
    lines = [
        f"_Static_assert(({numbers.c_literal(lit)}) == ({numbers.parse_int(lit)}LL), {lit!r:});"
        for lit in literals
    ]
    source = tmp_path / "literals.c"
    source.write_text("\n".join(line.replace("'", '"') for line in lines) + "\n")
    result = subprocess.run(
        ["gcc", "-std=c11", "-fsyntax-only", "-Werror", str(source)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_versions_are_decimal_without_leading_zeros():
    assert Version.parse("10.0").parts == (10, 0)
    assert Version.parse("4.0.1").parts == (4, 0, 1)
    for bad in ("08.0", "8.00", "1.2.3.4", "99999999999.0", "1" * 5000 + ".0", "8"):
        with pytest.raises(ValueError):
            Version.parse(bad)


PROGRAM = """\
target ppc64 {{ binary "qemu-system-ppc64" arch ppc64 wordsize 64 }}
release 9.2 date 2024-12-10
option max-cpus int c "m->max_cpus" query "cpu-max"
option nr-xirqs int c "smc->nr_xirqs"
const SPAPR_NR_XIRQS = 0x1000
family pseries {{
    name "pseries-{{version}}"
    targets ppc64
    option max-cpus = {max_cpus}
    option nr-xirqs = {xirqs}
}}
machine pseries 9.2 {{ default }}
c-file "spapr_machines.c.inc" {{ replaces "hw/ppc/spapr.c"  families pseries }}
c-family pseries {{
    function "spapr_machine_{{version}}_class_options" param "MachineClass *mc"
    define "DEFINE_SPAPR_MACHINE({{major}}, {{minor}});"
    base inline
    local smc "SpaprMachineClass *smc = SPAPR_MACHINE_CLASS(mc);"
}}
"""


def project(tmp_path, **values):
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "pseries.mtc").write_text(PROGRAM.format(**values))
    return run_mtc("build", "--root", str(tmp_path))


def test_an_octal_option_value_in_c_and_json(tmp_path):
    result = project(tmp_path, max_cpus="0x400", xirqs="0o17")
    assert result.returncode == 0, result.stderr
    c = (tmp_path / "generated" / "c" / "spapr_machines.c.inc").read_text()
    assert "smc->nr_xirqs = 017;" in c and "mc->max_cpus = 0x400;" in c
    machines = json.loads((tmp_path / "generated" / "json" / "ppc64.json").read_text())
    options = machines["machines"][0]["options"]
    assert options["nr-xirqs"] == 15 and options["max-cpus"] == 1024


@pytest.mark.parametrize(
    "max_cpus, message",
    [
        ("18446744073709551616", "18446744073709551616 is out of range for cpu-max"),
        ("0", "0 is out of range for cpu-max (QEMU's max_cpus) (1..2147483647)"),
        ("-1", "-1 is out of range for cpu-max"),
        ("08", "invalid number '08'"),
    ],
)
def test_out_of_range_option_values_are_located_errors(tmp_path, max_cpus, message):
    result = project(tmp_path, max_cpus=max_cpus, xirqs="SPAPR_NR_XIRQS")
    assert result.returncode == 1
    assert f"machines/pseries.mtc:9:23: error: option max-cpus: {message}" in result.stderr
    assert not (tmp_path / "generated").exists()
