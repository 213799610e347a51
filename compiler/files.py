"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` in one rename.  The temporary file's dot
    name keeps it out of every directory walk mtc makes."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_if_changed(path: str | os.PathLike, data: bytes) -> bool:
    """atomic_write() unless `path` already holds `data`; True if written."""
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    atomic_write(path, data)
    return True
