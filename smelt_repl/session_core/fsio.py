"""Small file-system primitives with the modes and durability the store promises.

Files are created 0600 and directories 0700. Canonical logs are appended with one
``write`` per record on an ``O_APPEND`` descriptor; derived files are replaced atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing one is left alone."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def fsync_dir(path: Path) -> None:
    """fsync a directory, so entries just created or renamed in it survive a power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` via a temp file, optional fsync, and rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        _write_all(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist (or is not a regular file)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def file_size(path: Path) -> int | None:
    """Size in bytes, or None when missing (``file_size(p) or 0`` where sizes add up)."""
    try:
        return os.stat(path).st_size
    except (FileNotFoundError, NotADirectoryError):
        return None


class AppendLog:
    """An append-only file of newline-terminated records, opened lazily.

    Each record goes out in one ``write`` call. If a previous crash left the file without a
    trailing newline (a torn last line), a newline is written first so that the torn
    fragment stays a line of its own and cannot swallow the next record; ``seal_torn=False``
    turns that off for files that are not line-oriented.
    """

    def __init__(self, path: Path, *, seal_torn: bool = True) -> None:
        self.path = path
        self.seal_torn = seal_torn
        self._fd: int | None = None

    def append(self, line: bytes, *, fsync: bool = False) -> None:
        """Append one record (``line`` must end with a newline)."""
        fd = self._open()
        _write_all(fd, line)
        if fsync:
            os.fsync(fd)

    def sync(self) -> None:
        """fsync what was appended so far."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the descriptor; a later append reopens it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            if self.seal_torn and not _ends_with_newline(self.path):
                _write_all(fd, b"\n")
            self._fd = fd
        return self._fd


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
