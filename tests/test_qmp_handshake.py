"""A QEMU that hangs in the QMP handshake is killed and started afresh, once
(qmp.py).  The real one did so once in a CI run (qemu-system-s390x 10.0.2
never answered qmp_capabilities); a stand-in binary that hangs on its first
start, or on every start, shows what mtc does."""

import os
import sys
import time

import pytest

from mtc import qmp

# A QMP server as QEMU runs it (-qmp unix:PATH,server=on,wait=off): greets,
# then answers every command -- except that it hangs after the greeting on
# the runs HANG_RUNS names (counted in the file RUNS beside it).
STAND_IN = r"""
import json, os, socket, sys, time
here = os.path.dirname(os.path.abspath(__file__))
runs_file = os.path.join(here, "RUNS")
run = int(open(runs_file).read()) + 1 if os.path.exists(runs_file) else 1
open(runs_file, "w").write(str(run))
spec = sys.argv[sys.argv.index("-qmp") + 1]
path = spec.removeprefix("unix:").split(",")[0]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
conn, _ = server.accept()
greeting = {"QMP": {"version": {"qemu": {"major": 10, "minor": 0, "micro": 2},
                                "package": "stand-in"}, "capabilities": []}}
conn.sendall(json.dumps(greeting).encode() + b"\n")
if run in HANG_RUNS:
    time.sleep(3600)
for line in conn.makefile("rb"):
    command = json.loads(line)["execute"]
    conn.sendall(json.dumps({"return": {"run": run}}).encode() + b"\n")
    if command == "quit":
        break
"""


def stand_in(tmp_path, hang_runs):
    script = tmp_path / "qemu-system-standin"
    script.write_text(
        f"#!{sys.executable}\nHANG_RUNS = {hang_runs!r}\n" + STAND_IN, encoding="utf-8"
    )
    os.chmod(script, 0o755)
    return script


@pytest.fixture
def quick_handshake(monkeypatch):
    monkeypatch.setattr(qmp, "HANDSHAKE_TIMEOUT", 1.0)


def test_a_qemu_that_hangs_once_is_started_again(tmp_path, quick_handshake):
    binary = stand_in(tmp_path, {1})
    started = time.monotonic()
    with qmp.Qemu(str(binary)) as qemu:
        assert qemu.version.describe().startswith("10.0.2")
        assert qemu.command("query-version") == {"run": 2}
    assert (tmp_path / "RUNS").read_text() == "2"
    assert time.monotonic() - started < 30


def test_a_qemu_that_always_hangs_is_an_error_after_two_tries(tmp_path, quick_handshake):
    binary = stand_in(tmp_path, {1, 2, 3})
    with pytest.raises(qmp.QemuGone) as raised:
        qmp.Qemu.launch(str(binary))
    assert raised.value.hung
    assert "did not answer qmp_capabilities within 1 s" in str(raised.value)
    assert (tmp_path / "RUNS").read_text() == "2"


def test_a_qemu_that_exits_is_not_started_again(tmp_path):
    binary = tmp_path / "qemu-system-exits"
    binary.write_text("#!/bin/sh\necho 'no such machine' >&2\nexit 1\n")
    os.chmod(binary, 0o755)
    with pytest.raises(qmp.QemuGone) as raised:
        qmp.Qemu.launch(str(binary))
    assert not raised.value.hung
    assert "exit status 1" in str(raised.value) and "no such machine" in str(raised.value)
