"""The fuzzer: inputs, how each is run, and what must hold for every one.

Shared by tests/test_fuzz.py (a bounded run in CI) and bench/fuzz.py (the
long run the README records).  Three kinds of input:

- the real corpus (machines/) with one file mutated at byte level: bits
  flipped, bytes inserted (often hostile ones: 08, 0x, \\xff, U+FFFE, NUL,
  braces, quotes), ranges deleted or repeated;
- the real corpus with one file mutated at token level: tokens deleted,
  repeated, swapped, or replaced by another token of the file or by a hostile
  one (huge and badly spelt numbers, strings with control characters);
- programs generated on a small valid base: declarations of every kind with
  names, numbers, versions and strings drawn from plausible and hostile sets.

Each input is compiled in this process by `mtc build` (cli.main) in a scratch
project whose generated/ holds a previous build.  For every input:

- the exit status is 0 or 1: never 3 (an internal error), nor a traceback;
- every line of stderr is a diagnostic 'file:line:col: severity: message'
  (line and column at least 1) or a source or caret line under one, or the
  closing 'mtc: errors found' line;
- when the build fails, generated/ is exactly as it was; in any case no
  temporary or journal is left there;
- when it succeeds, every XML output is well-formed and every JSON output
  parses.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_INPUT = 60  # a hang is a failure, not a stuck CI job

_DIAGNOSTIC_RE = re.compile(r"[^\s:][^:]*:[1-9][0-9]*:[1-9][0-9]*: (error|warning|note): \S")

# ---- running one input -------------------------------------------------------------


class Timeout(BaseException):
    """Raised by the alarm: not an Exception, so cli.main cannot swallow it."""


@dataclass
class Outcome:
    status: int
    stderr: str
    seconds: float
    size: int  # bytes of input


def _alarm(signum, frame):
    raise Timeout(f"no result after {SECONDS_PER_INPUT} s")


class Workspace:
    """A scratch project: machines/ (the real corpus or the base program) and
    the generated/ a build of it wrote."""

    def __init__(self, root: Path, corpus: bool):
        self.root = root
        machines = root / "machines"
        if corpus:
            shutil.copytree(ROOT / "machines", machines)
        else:
            machines.mkdir(parents=True)
            (machines / "base.mtc").write_text(BASE_PROGRAM)
        self.originals = {
            p.relative_to(machines).as_posix(): p.read_bytes()
            for p in sorted(machines.rglob("*"))
            if p.is_file()
        }
        first = self.run({})
        assert first.status == 0, first.stderr

    def sources(self, suffix: str = ".mtc") -> dict[str, bytes]:
        return {rel: data for rel, data in self.originals.items() if rel.endswith(suffix)}

    def snapshot(self) -> dict[str, bytes]:
        generated = self.root / "generated"
        return {
            p.relative_to(generated).as_posix(): p.read_bytes()
            for p in sorted(generated.rglob("*"))
            if p.is_file() or p.is_symlink()
        }

    def run(self, files: dict[str, bytes]) -> Outcome:
        """Build with `files` (paths below machines/) in place of the originals."""
        from mtc import cli

        machines = self.root / "machines"
        for rel, data in files.items():
            (machines / rel).write_bytes(data)
        err = io.StringIO()
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(SECONDS_PER_INPUT)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                status = cli.main(["build", "--root", str(self.root)])
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            for rel in files:
                original = self.originals.get(rel)
                if original is None:
                    (machines / rel).unlink()
                else:
                    (machines / rel).write_bytes(original)
        size = sum(len(data) for data in files.values())
        return Outcome(status, err.getvalue(), time.perf_counter() - start, size)

    def check(self, files: dict[str, bytes]) -> Outcome:
        """Run one input and assert everything the module docstring lists."""
        before = self.snapshot()
        outcome = self.run(files)
        after = self.snapshot()
        assert outcome.status in (0, 1), f"exit {outcome.status}:\n{outcome.stderr}"
        assert "Traceback" not in outcome.stderr, outcome.stderr
        assert_located(outcome.stderr)
        leftovers = [rel for rel in after if ".mtc-tmp." in rel or rel.endswith(".mtc-journal")]
        assert not leftovers, leftovers
        if outcome.status != 0:
            assert after == before, "a failed build changed generated/"
        else:
            for rel, data in after.items():
                if before.get(rel) == data:
                    continue
                if rel.endswith(".xml"):
                    etree.fromstring(data)
                elif rel.endswith(".json"):
                    json.loads(data)
        return outcome


def assert_located(stderr: str) -> None:
    """Every line is a located diagnostic, a source or caret line under one
    (indented), or mtc's closing line."""
    for line in stderr.split("\n"):
        if line and not line.startswith("    ") and not line.startswith("mtc: "):
            assert _DIAGNOSTIC_RE.match(line), f"a diagnostic without line:col: {line!r}"


# ---- mutations of the real corpus --------------------------------------------------

# Bytes and tokens that have broken compilers before, this one included.
HOSTILE_BYTES = [
    b"08",
    b"0x",
    b"0X1F",
    b"0o9",
    b"0b101",
    b"-0",
    b"9" * 30,
    b"1" * 5000,
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\x1b[31m",
    b"\r",
    b"\xef\xbf\xbe",  # U+FFFE
    b"\\uFFFE",
    b"\\u0001",
    b"\\uD800",
    b"\\n",
    b'"',
    b"{",
    b"}",
    b"(",
    b"#",
    b"\n",
    b".",
    b",",
    b"=",
    b"${",
    b"${X}",
    b"*/",
    b"--",
    b"<&'>",
    b"if",
    b"not not not",
    b"optional",
]

HOSTILE_TOKENS = [
    "08",
    "0x",
    "0o17",
    "0xFFFFFFFFFFFFFFFFFFFF",
    "18446744073709551616",
    "-2147483649",
    "1" * 4400,
    "00.0",
    "99999999999.0",
    "1.2.3",
    "gen999.1",
    "gen16.300",
    "0KiB",
    "99999999999TiB",
    '"\\uFFFE"',
    '"' + "1" * 5000 + '"',
    '"0x' + "f" * 5000 + '"',
    '"\\uFFFF"',
    '"a\\nb\\tc"',
    '"\\u0001"',
    '"*/ --"',
    '"m->x = 0; system(\\"id\\")"',
    '"pc_q35_machines"',
    "host_features",
    "pc_q35_machines",
    "${TYPE_X86_CPU}",
    "${NOPE}",
    "true",
    "config.CONFIG_NOPE",
    "{",
    "}",
]

_TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[A-Za-z0-9_.${}&\-]+|.', re.S)


@st.composite
def byte_mutations(draw, sources: dict[str, bytes]) -> dict[str, bytes]:
    rel = draw(st.sampled_from(sorted(sources)))
    data = bytearray(sources[rel])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "insert", "hostile", "delete", "repeat")))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "hostile":
            data[pos:pos] = draw(st.sampled_from(HOSTILE_BYTES))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 200))]
        elif op == "repeat":
            chunk = data[pos : pos + draw(st.integers(1, 400))]
            data[pos:pos] = chunk * draw(st.integers(1, 3))
    return {rel: bytes(data)}


@st.composite
def token_mutations(draw, sources: dict[str, bytes]) -> dict[str, bytes]:
    rel = draw(st.sampled_from(sorted(sources)))
    tokens = _TOKEN_RE.findall(sources[rel].decode("utf-8"))
    words = [i for i, tok in enumerate(tokens) if not tok.isspace()]
    for _ in range(draw(st.integers(1, 4))):
        if not words:
            break
        index = words[draw(st.integers(0, len(words) - 1))]
        op = draw(st.sampled_from(("delete", "repeat", "swap", "other", "hostile")))
        if op == "delete":
            tokens[index] = ""
        elif op == "repeat":
            tokens[index] = f"{tokens[index]} {tokens[index]}"
        elif op == "swap":
            other = words[draw(st.integers(0, len(words) - 1))]
            tokens[index], tokens[other] = tokens[other], tokens[index]
        elif op == "other":
            tokens[index] = tokens[words[draw(st.integers(0, len(words) - 1))]]
        else:
            tokens[index] = draw(st.sampled_from(HOSTILE_TOKENS))
    return {rel: "".join(tokens).encode("utf-8")}


# ---- generated programs -----------------------------------------------------------

# A small project that builds: what the generated declarations are added to.
BASE_PROGRAM = """\
release 9.1 date 2024-09-03
release 9.2 date 2024-12-10
release 10.0 date 2025-04-22
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 define TYPE_X86_CPU "x86_64-cpu" }
target i386 { binary "qemu-system-i386" arch i686 wordsize 32 define TYPE_X86_CPU "i386-cpu" }
option max-cpus int c "m->max_cpus" query "cpu-max"
option default-ram-id str c "m->default_ram_id" query "default-ram-id"
option default-cpu-type typename c "m->default_cpu_type" query "default-cpu-type"
option rma-limit size c "pcmc->rma_limit"
const CPU_VERSION_LEGACY = 0
option default-cpu-version int c "pcmc->default_cpu_version"
lifecycle { deprecate-after 3 delete-after 6 reason "old" }
compat pc_q35_compat_defaults { pcie-root-port.x-pcie-flr-init = "off" }
compat hw 9.2 { virtio-net-pci.x = "on" }
compat hw 9.1 { e1000.migrate = "off" optional }
compat pc 9.1 { EPYC-${TYPE_X86_CPU}.npt = "off" }
family pc-q35 {
    name "pc-q35-{version}"
    targets x86_64, i386
    alias q35
    desc "Standard PC (Q35 + ICH9, 2009)"
    compat pc_q35_compat_defaults
    option max-cpus = 4096
    option default-ram-id = "pc.ram"
    option default-cpu-type = "qemu64-${TYPE_X86_CPU}"
}
machine pc-q35 10.0 { alias default }
machine pc-q35 9.2 { compat hw 9.2 option default-cpu-version = CPU_VERSION_LEGACY }
machine pc-q35 9.1 { compat hw 9.1, pc 9.1 option max-cpus = 288 }
"""

_NAMES = st.one_of(
    st.sampled_from(
        ["pc-q35", "hw", "pc", "x86_64", "i386", "max-cpus", "default-ram-id", "q35", "fam"]
    ),
    st.from_regex(r"[a-z][a-z0-9_\-]{0,12}", fullmatch=True),
    st.sampled_from(["host_features", "pc_q35_machines", "compat", "Host_features"]),
)
_MACROS = st.one_of(
    st.sampled_from(["CPU_VERSION_LEGACY", "TYPE_X86_CPU", "NOPE"]),
    st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True),
)
_INTS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(0, 2**40).map(hex),
    st.integers(0, 2**40).map(lambda n: f"0o{n:o}"),
    st.sampled_from(["08", "0X1F", "0b11", "00", "-0x10", "1" * 5000, "12ab"]),
)
_VERSIONS = st.one_of(
    st.sampled_from(["9.1", "9.2", "10.0", "10.1", "8.0", "4.0.1", "08.0", "9.02"]),
    st.from_regex(r"[0-9]{1,12}\.[0-9]{1,12}(\.[0-9]{1,3})?", fullmatch=True),
)
_CHARS = st.one_of(
    st.characters(codec="utf-8", exclude_characters='"\\'),
    st.sampled_from(["\\n", "\\t", '\\"', "\\\\", "\\uFFFE", "\\uFFFF", "\\u0001", "\\u00e9"]),
    st.sampled_from(["*/", "--", "<", "&", "'", "${TYPE_X86_CPU}", "{version}", "?", "??="]),
)
_STRINGS = st.lists(_CHARS, max_size=12).map(lambda parts: '"' + "".join(parts) + '"')
_SIZES = st.one_of(
    st.integers(0, 2**50).map(lambda n: f"{n}GiB"), st.sampled_from(["08MiB", "0KiB"])
)
_VALUES = st.one_of(
    _INTS, _SIZES, _STRINGS, _MACROS, st.sampled_from(["true", "false", "&sym", "sym_bol"])
)
_GUARDS = st.sampled_from(
    [
        "",
        " if host.os == linux",
        " if host.kernel >= 6.2",
        " if host.kernel >= 99999999999.0",
        " if config.CONFIG_X",
        " if target == i386",
        " if not (accel == kvm or feature f)",
        " if host.os == linux and target == x86_64",
    ]
)


@st.composite
def declarations(draw) -> str:
    """One declaration of a random kind, with random parts."""
    name, other, macro = draw(_NAMES), draw(_NAMES), draw(_MACROS)
    version, number, string = draw(_VERSIONS), draw(_INTS), draw(_STRINGS)
    value, guard = draw(_VALUES), draw(_GUARDS)
    kind = draw(st.integers(0, 15))
    return [
        f"release {version} date 2025-0{draw(st.integers(1, 9))}-01",
        f"const {macro} = {number}",
        f"target {name} {{ binary {string} arch {other} wordsize {number} "
        f"define {macro} {draw(_STRINGS)} }}",
        f'option {name} {draw(st.sampled_from(["int", "str", "size", "bool", "typename"]))} '
        f"c {string} query {draw(_STRINGS)}",
        f"compat {name} {version} {{ {other}.{draw(_NAMES)} = {string}"
        f"{draw(st.sampled_from(['', ' optional']))}{guard} }}",
        f"compat {name} {{ {other}.x = {string}{guard} }}",
        f"family {name} extends pc-q35 {{ name {string} targets x86_64 "
        f"option {other} = {value}{guard} }}",
        f"machine pc-q35 {version} {{ compat {other} {draw(_VERSIONS)} "
        f"option {draw(_NAMES)} = {value}{guard} }}",
        f"machine {name} {version} {{ inherits {other} {draw(_VERSIONS)} }}",
        f"lifecycle {{ deprecate-after {number} delete-after {draw(_INTS)} "
        f"removal-notice {draw(_INTS)} reason {string} }}",
        f"platform {name} {{ os linux kernel {version} accel kvm features {other} }}",
        f"feature {name} {string}\nproperty {other}.x depends-on {name}",
        f"config CONFIG_X default {draw(st.sampled_from(['on', 'off']))} {string}",
        f"qom-type {name} extends device since {version} {{ {other} bool default {string} }}",
        f"machine pc-q35 {version} {{ deprecated since {draw(_VERSIONS)} {string} "
        f"removed {draw(_VERSIONS)} }}",
        f"option {name} int c {string}\nfamily pc-q35 {{ option {name} = {value} }}",
    ][kind]


@st.composite
def programs(draw) -> dict[str, bytes]:
    extra = "\n".join(draw(st.lists(declarations(), min_size=1, max_size=4)))
    return {"extra.mtc": extra.encode("utf-8")}
