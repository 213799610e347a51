"""Asking a QEMU binary over QMP, with QEMU started by mtc itself.

`mtc import-qom --qemu` and `mtc verify` run the binary with nothing that
needs the host: no machine, TCG, no default devices, no display, no user
configuration, the guest stopped:

    BINARY -machine none -accel tcg -nodefaults -no-user-config -display none -S
           -qmp unix:DIR/qmp.sock,server=on,wait=off

DIR is a private temporary directory (mode 0700) that also takes QEMU's
stderr, and is removed afterwards.  Commands are sent one at a time; events
are skipped.  A QEMU that exits or crashes raises QemuGone, so a caller can
start a fresh one and go on.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .records import record

ARGS = ["-machine", "none", "-accel", "tcg", "-nodefaults", "-no-user-config"]
ARGS += ["-display", "none", "-S"]
START_TIMEOUT = 30.0  # seconds until the QMP socket must exist
COMMAND_TIMEOUT = 120.0  # seconds QEMU may take to answer one command
# The greeting and qmp_capabilities take milliseconds, but QEMU 10.0.2 is not
# always well there (qemu-system-s390x, about 1 start in 300): it may greet
# twice, hang, or crash.  A repeated greeting is skipped, and every command
# carries an id its answer must match; a QEMU that hangs or is killed by a
# signal in the handshake is replaced by a fresh one, once.  One that exits
# with a status is not: that is an answer.
HANDSHAKE_TIMEOUT = 20.0
HANDSHAKE_TRIES = 2


class QemuError(Exception):
    """The binary cannot be asked at all; the message is fit for the user."""


class QemuGone(QemuError):
    """QEMU exited (or crashed, or stopped answering) while being asked."""

    def __init__(self, message: str, how: str, hung: bool = False, crashed: bool = False):
        super().__init__(message)
        self.how = how  # "killed by SIGABRT", "exit status 1", "no answer in 120 s"
        self.hung = hung  # it stopped answering (and was killed), rather than exited
        self.crashed = crashed  # a signal ended it


class QmpError(QemuError):
    """QEMU refused a command: its error class and description."""

    def __init__(self, command: str, error_class: str, desc: str):
        super().__init__(f"{command}: {desc}")
        self.command = command
        self.error_class = error_class
        self.desc = desc


@record(frozen=True)
class QemuVersion:
    """What the QMP greeting says: 10.0.2, package "Debian 1:10.0.2+ds-2"."""

    major: int
    minor: int
    micro: int
    package: str = ""

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.micro}"

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)

    @property
    def release(self) -> str:
        """The X.Y release the binary is: 10.0.2 is 10.0.  A development
        tree (micro 50 and up: 10.0.50, 10.0.90 for 10.1-rc0) already holds
        the next release's machine types, so it counts as that release."""
        if self.micro < 50:
            return f"{self.major}.{self.minor}"
        if self.minor < 2:  # QEMU since 4.0: X.0, X.1, X.2, then (X+1).0
            return f"{self.major}.{self.minor + 1}"
        return f"{self.major + 1}.0"

    def describe(self) -> str:
        """10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)"""
        return f"{self} ({self.package})" if self.package else str(self)


class Qemu:
    """One running QEMU, as a context manager:

    with Qemu("/usr/bin/qemu-system-x86_64") as qemu:
        qemu.command("query-target")
    """

    def __init__(self, binary: str, command_timeout: float = COMMAND_TIMEOUT):
        self.binary = binary
        self.name = Path(binary).name  # what messages and registries call it
        self.command_timeout = command_timeout
        self.version: QemuVersion | None = None
        self._dir: str | None = None
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._reader = None
        self._last_id = 0  # of the last command sent

    @classmethod
    def launch(cls, binary: str) -> "Qemu":
        """A started QEMU the caller closes (or one that raised, cleaned up)."""
        return cls(binary).__enter__()

    def __enter__(self) -> "Qemu":
        for attempt in range(1, HANDSHAKE_TRIES + 1):
            try:
                self.start()
                return self
            except QemuGone as exc:
                self.close()
                if not (exc.hung or exc.crashed) or attempt == HANDSHAKE_TRIES:
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def __exit__(self, *exc) -> None:
        self.close()

    # -- starting and stopping --

    def start(self) -> None:
        path = self._executable()
        self._dir = tempfile.mkdtemp(prefix="mtc-qmp-")  # mode 0700
        sock_path = os.path.join(self._dir, "qmp.sock")
        stderr = open(os.path.join(self._dir, "stderr"), "wb")
        try:
            self._process = subprocess.Popen(
                [path, *ARGS, "-qmp", f"unix:{sock_path},server=on,wait=off"],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                cwd=self._dir,
            )
        except OSError as exc:
            raise QemuError(f"cannot run {self.binary}: {exc.strerror or exc}") from None
        finally:
            stderr.close()
        self._sock = self._connect(sock_path)
        self._sock.settimeout(min(HANDSHAKE_TIMEOUT, self.command_timeout))
        self._reader = self._sock.makefile("rb")
        greeting = self._read("the QMP greeting")
        self.version = _version(greeting)
        if self.version is None:
            raise QemuError(f"{self.binary} does not greet like QEMU's QMP: {_short(greeting)}")
        self.command("qmp_capabilities")
        self._sock.settimeout(self.command_timeout)

    def _connect(self, sock_path: str) -> socket.socket:
        """Connect once QEMU listens: the socket file appears when QEMU binds
        it, a moment before it accepts connections."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise self._gone("exited before opening its QMP socket")
            if os.path.exists(sock_path):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(sock_path)
                    return sock
                except (ConnectionRefusedError, FileNotFoundError):
                    sock.close()
            if time.monotonic() > deadline:
                raise self._gone(
                    f"accepted no QMP connection within {START_TIMEOUT:.0f} s", kill=True, hung=True
                )
            time.sleep(0.02)

    def _executable(self) -> str:
        found = self.binary if os.sep in self.binary else shutil.which(self.binary)
        if found is None or not os.path.exists(found):
            raise QemuError(f"{self.binary}: no such file")
        if os.path.isdir(found) or not os.access(found, os.X_OK):
            raise QemuError(f"{self.binary}: not an executable file")
        return found

    def close(self) -> None:
        process = self._process
        if process is not None and process.poll() is None and self._sock is not None:
            # Wait for the answer: QEMU drops a command whose connection
            # closes before it is read.
            try:
                self._sock.settimeout(10)
                self._send({"execute": "quit"})
                self._read("quit")
            except QemuError:
                pass
            except OSError:
                pass
        for closable in (self._reader, self._sock):
            if closable is not None:
                try:
                    closable.close()
                except OSError:
                    pass
        self._reader = self._sock = None
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- commands --

    def command(self, name: str, **arguments):
        """The command's "return" value; QmpError if QEMU refuses it,
        QemuGone if QEMU dies or does not answer."""
        self._last_id += 1
        message: dict = {"execute": name, "id": self._last_id}
        if arguments:
            message["arguments"] = arguments
        try:
            self._send(message)
        except OSError:
            raise self._gone(f"was gone when sent {name}") from None
        reply = self._read(name, self._last_id)
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            raise QmpError(name, str(error.get("class", "")), str(error.get("desc", reply)))
        if "return" not in reply:
            raise QemuError(f"{self.binary}: unexpected answer to {name}: {_short(reply)}")
        return reply["return"]

    def _send(self, message: dict) -> None:
        assert self._sock is not None
        self._sock.sendall(json.dumps(message).encode() + b"\n")

    def _read(self, what: str, answering: int | None = None) -> dict:
        """The next message that is not an event; with `answering`, the
        answer to the command of that id (a repeated greeting or a stray
        answer is skipped)."""
        while True:
            try:
                line = self._reader.readline() if self._reader is not None else b""
            except socket.timeout:
                waited = self._sock.gettimeout() if self._sock is not None else None
                waited = self.command_timeout if waited is None else waited
                raise self._gone(
                    f"did not answer {what} within {waited:.0f} s",
                    kill=True,
                    how=f"no answer in {waited:.0f} s",
                    hung=True,
                ) from None
            except OSError:
                line = b""
            if not line:
                raise self._gone(f"closed the connection during {what}")
            try:
                message = json.loads(line)
            except ValueError:
                raise QemuError(f"{self.binary}: not QMP: {_short(line)}") from None
            if not isinstance(message, dict) or "event" in message:
                continue
            if answering is None or message.get("id") == answering:
                return message

    def _gone(
        self, what: str, kill: bool = False, how: str | None = None, hung: bool = False
    ) -> QemuGone:
        """QemuGone saying how QEMU ended and its last line of stderr."""
        process = self._process
        if process is not None and kill and process.poll() is None:
            process.kill()
        status = None
        if process is not None:
            try:
                status = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                status = process.wait()
        if how is None:
            how = _exit_text(status)
        message = f"{self.binary} {what} ({how})"
        last = self._stderr_tail()
        if last:
            message += f": {last}"
        crashed = not hung and status is not None and status < 0
        return QemuGone(message, how, hung, crashed)

    def _stderr_tail(self) -> str:
        if self._dir is None:
            return ""
        try:
            text = Path(self._dir, "stderr").read_text(errors="replace")
        except OSError:
            return ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""


def _version(greeting: dict) -> QemuVersion | None:
    try:
        info = greeting["QMP"]["version"]
        qemu = info["qemu"]
        package = str(info.get("package", "")).strip()
        return QemuVersion(int(qemu["major"]), int(qemu["minor"]), int(qemu["micro"]), package)
    except (KeyError, TypeError, ValueError):
        return None


def _exit_text(status: int | None) -> str:
    if status is None:
        return "still running"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def _short(value: object) -> str:
    text = value.decode(errors="replace") if isinstance(value, bytes) else json.dumps(value)
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:200] + "..."
