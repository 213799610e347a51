"""Writing files so that no reader ever sees half of one, and never through a
symbolic link.

atomic_write() replaces one file in one rename (the registry, a depfile).
OutputTree is a directory mtc writes a whole set of files into (generated/,
or -o DIR): every directory below its root is opened by file descriptor with
O_NOFOLLOW, so a symlink anywhere below the root is refused, never followed,
and nothing is written or deleted outside the root.  Temporary files are
named TEMP_PREFIX + name + random suffix in the directory of the file they
will replace, so a later build can recognise and remove any a killed one
left behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

TEMP_PREFIX = ".mtc-tmp."
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class OutputError(Exception):
    """An I/O problem with a file mtc writes: `path` as the user knows it and
    what the operating system said."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def os_message(exc: OSError) -> str:
    return exc.strerror or str(exc)


def temp_name(name: str) -> str:
    return f"{TEMP_PREFIX}{name}.{os.urandom(4).hex()}"


def is_temp(name: str) -> bool:
    return name.startswith(TEMP_PREFIX)


def atomic_write(path: str | os.PathLike, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` in one rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / temp_name(target.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.lexists(tmp):
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


class OutputTree:
    """A directory mtc writes into, walked by file descriptor.

    `shown` is the root as messages name it (generated, or -o's DIR).  The
    root itself may be a symlink only when `follow_root` (-o DIR names a
    directory the user chose); generated/ may not.  Every method raises
    OutputError, never a bare OSError."""

    def __init__(self, root: Path, shown: str, follow_root: bool, create: bool):
        self.root = root
        self.shown = shown.rstrip("/")
        self._fds: dict[str, int] = {}
        flags = _DIR_FLAGS | (0 if follow_root else os.O_NOFOLLOW)
        try:
            if not follow_root and root.is_symlink():
                raise OutputError(
                    self.shown,
                    f"is a symbolic link (to {os.readlink(root)}): mtc writes only into a "
                    "real directory here (use 'mtc build -o DIR' to write elsewhere)",
                )
            if create:
                root.mkdir(parents=True, exist_ok=True)
            self._fds[""] = os.open(root, flags)
        except FileNotFoundError:
            self._fds.clear()  # nothing there yet: every file is missing
        except OSError as exc:
            raise OutputError(self.shown, self._why(exc)) from None

    @property
    def exists(self) -> bool:
        return "" in self._fds

    def show(self, rel: str) -> str:
        return f"{self.shown}/{rel}" if rel else self.shown

    @staticmethod
    def _why(exc: OSError) -> str:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link: mtc does not write through one"
        if exc.errno == errno.ENOTDIR:
            return "is not a directory"
        return os_message(exc)

    # -- directories ------------------------------------------------------------
    def directory(self, rel_dir: str, create: bool) -> int | None:
        """The fd of rel_dir ('' is the root), opened without following a
        symlink; None if it is missing and not `create`d."""
        if rel_dir in self._fds:
            return self._fds[rel_dir]
        if not self.exists:
            return None
        parent_rel, _, name = rel_dir.rpartition("/")
        parent = self.directory(parent_rel, create)
        if parent is None:
            return None
        try:
            if create:
                try:
                    os.mkdir(name, 0o755, dir_fd=parent)
                except FileExistsError:
                    pass
            fd = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=parent)
        except FileNotFoundError:
            return None
        except OSError as exc:
            why = self._why(exc)
            if exc.errno in (errno.ELOOP, errno.ENOTDIR) and self.kind(rel_dir) == "link":
                why = self._why(OSError(errno.ELOOP, "link"))
            raise OutputError(self.show(rel_dir), why) from None
        self._fds[rel_dir] = fd
        return fd

    def _split(self, rel: str, create: bool) -> tuple[int | None, str]:
        rel_dir, _, name = rel.rpartition("/")
        return self.directory(rel_dir, create), name

    def lock(self, shared: bool = False) -> None:
        """Hold a lock on the root until close(): builds into one directory
        run one at a time, and a check never reads half of a build."""
        if self.exists:
            try:
                fcntl.flock(self._fds[""], fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            except OSError:
                pass  # a file system without locks (some NFS): builds must not overlap

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> "OutputTree":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- files --------------------------------------------------------------------
    def kind(self, rel: str) -> str | None:
        """'file', 'dir', 'link', 'other', or None if missing."""
        fd, name = self._split(rel, create=False)
        if fd is None:
            return None
        try:
            mode = os.lstat(name, dir_fd=fd).st_mode
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(self.show(rel), self._why(exc)) from None
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISREG(mode):
            return "file"
        return "dir" if stat.S_ISDIR(mode) else "other"

    def read(self, rel: str) -> bytes | None:
        """A regular file's bytes; None if missing (or not a regular file:
        a symlink is never followed)."""
        fd, name = self._split(rel, create=False)
        if fd is None:
            return None
        try:
            # O_NONBLOCK: a FIFO someone left here must not hang the build.
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            file_fd = os.open(name, flags, dir_fd=fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if self.kind(rel) != "file":
                return None
            raise OutputError(self.show(rel), f"cannot read: {os_message(exc)}") from None
        with os.fdopen(file_fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            try:
                return handle.read()
            except OSError as exc:
                raise OutputError(self.show(rel), f"cannot read: {os_message(exc)}") from None

    def write_temp(self, rel: str, data: bytes) -> str:
        """Write `data` to a new temporary beside rel; its name."""
        fd, name = self._split(rel, create=True)
        tmp = temp_name(name)
        try:
            file_fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o644,
                dir_fd=fd,
            )
            with os.fdopen(file_fd, "wb") as handle:
                handle.write(data)
                os.fchmod(handle.fileno(), 0o644)  # whatever the umask
        except OSError as exc:
            self.unlink_quietly(self._join(rel, tmp))
            raise OutputError(self.show(rel), f"cannot write: {os_message(exc)}") from None
        return self._join(rel, tmp)

    @staticmethod
    def _join(rel: str, name: str) -> str:
        rel_dir = rel.rpartition("/")[0]
        return f"{rel_dir}/{name}" if rel_dir else name

    def replace(self, tmp_rel: str, rel: str) -> None:
        """Rename a temporary over rel (a symlink at rel is replaced, not followed)."""
        fd, name = self._split(rel, create=False)
        tmp_name = tmp_rel.rpartition("/")[2]
        try:
            if self.kind(rel) == "dir":
                raise IsADirectoryError(21, "Is a directory")
            os.replace(tmp_name, name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError as exc:
            raise OutputError(self.show(rel), f"cannot write: {os_message(exc)}") from None

    def unlink(self, rel: str) -> None:
        fd, name = self._split(rel, create=False)
        if fd is None:
            return
        try:
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(self.show(rel), f"cannot remove: {os_message(exc)}") from None

    def unlink_quietly(self, rel: str) -> None:
        try:
            self.unlink(rel)
        except OutputError:
            pass

    def remove_empty_dir(self, rel_dir: str) -> None:
        """rmdir rel_dir if it is now empty (a backend's folder no output uses)."""
        parent_rel, _, name = rel_dir.rpartition("/")
        parent = self.directory(parent_rel, create=False)
        if parent is None or not name:
            return
        fd = self._fds.pop(rel_dir, None)
        if fd is not None:
            os.close(fd)
        try:
            os.rmdir(name, dir_fd=parent)
        except OSError:
            pass  # not empty, or not ours to remove

    def touch(self, rel: str) -> None:
        fd, name = self._split(rel, create=False)
        try:
            os.utime(name, dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            raise OutputError(self.show(rel), f"cannot touch: {os_message(exc)}") from None

    def walk(self, rel_dir: str = "", recursive: bool = True):
        """(rel, kind) of every entry below rel_dir, depth first, sorted by
        name; directories are entered (never through a symlink) if
        `recursive`."""
        fd = self.directory(rel_dir, create=False)
        if fd is None:
            return
        try:
            with os.scandir(fd) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            raise OutputError(self.show(rel_dir), f"cannot list: {os_message(exc)}") from None
        for name in names:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            kind = self.kind(rel)
            yield rel, kind
            if kind == "dir" and recursive:
                yield from self.walk(rel)
