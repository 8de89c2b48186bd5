"""File-system primitives of the store: nothing under the sessions root is opened through a
symlink, and only regular files are read or written.

A ``StoreDir`` is a directory opened without following a symlink; the files in it are opened
relative to its descriptor with ``O_NOFOLLOW`` and ``O_NONBLOCK`` (a FIFO cannot hang a
reader) and checked with ``fstat`` before use, so a path found in the store never leads
outside it. Files are created 0600 and directories 0700. Derived files are replaced
atomically (a fresh temp file, optional fsync, rename).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from smelt_repl.session_core.errors import UnsafeStoreFile

FILE_MODE = 0o600
DIR_MODE = 0o700
TMP_SUFFIX = ".tmp"
_SAFE = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
# What opening a symlink, a directory or a reader-less FIFO with _SAFE fails with.
_REFUSED_ERRNOS = frozenset({errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.ENXIO, errno.EMLINK})
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def kind_of(mode: int) -> str:
    """A person's name for the type of file ``mode`` describes ("a symbolic link", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def lstat_at(name: str | Path, dir_fd: int | None = None) -> os.stat_result | None:
    """``lstat`` of ``name``; None when it does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None


def open_regular(name: str | Path, flags: int, *, dir_fd: int | None = None, label: str = "") -> int:
    """Open ``name`` without following a symlink and only if it is a regular file.

    Anything else raises UnsafeStoreFile naming what was found; a missing file raises
    FileNotFoundError as usual.
    """
    return _open_regular(name, flags, dir_fd, label)[0]


def _open_regular(name: str | Path, flags: int, dir_fd: int | None, label: str) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(name, flags | _SAFE, FILE_MODE, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in _REFUSED_ERRNOS:
            raise _refusal(name, label, lstat_at(name, dir_fd)) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _refusal(name, label, st)
    return fd, st


def _read_all(fd: int, size: int) -> bytes:
    """Everything left to read from a regular file of ``size`` bytes (it may have grown)."""
    first = os.read(fd, size + 1)
    if len(first) <= size:
        return first
    chunks = [first]
    while chunks[-1]:
        chunks.append(os.read(fd, 1 << 16))
    return b"".join(chunks)


class StoreDir:
    """A directory of the store, opened without following a symlink.

    ``label`` names it in messages ("session 1a2b3c4d", "the sessions directory"); ``path``
    is where it was opened, for logs.
    """

    def __init__(self, fd: int, label: str, path: str) -> None:
        self.fd = fd
        self.label = label
        self.path = path

    @classmethod
    def open_root(cls, path: Path, label: str = "the sessions directory") -> StoreDir:
        """Open the sessions root itself; its path is the user's to choose, symlinks and all."""
        return cls(os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), label, str(path))

    @classmethod
    def open(cls, path: Path, label: str) -> StoreDir:
        """Open the directory ``path``; UnsafeStoreFile if its last component is a symlink or
        not a directory."""
        return cls(_open_dir(path, label, None), label, str(path))

    def subdir(self, name: str, label: str) -> StoreDir:
        """Open the sub-directory ``name`` (see ``open``)."""
        return StoreDir(_open_dir(name, label, self.fd), label, f"{self.path}/{name}")

    def lstat(self, name: str) -> os.stat_result | None:
        """``lstat`` of an entry; None when it does not exist."""
        return lstat_at(name, self.fd)

    def open_file(self, name: str, flags: int) -> int:
        """Open a regular file of this directory (see ``open_regular``)."""
        return open_regular(name, flags, dir_fd=self.fd, label=self.label)

    def read(self, name: str) -> bytes | None:
        """A regular file's bytes; None when it does not exist."""
        try:
            fd, st = _open_regular(name, os.O_RDONLY, self.fd, self.label)
        except FileNotFoundError:
            return None
        try:
            return _read_all(fd, st.st_size)
        finally:
            os.close(fd)

    def size(self, name: str) -> int | None:
        """Size in bytes of a regular file; None when missing or not one (sizes add ``or 0``)."""
        st = self.lstat(name)
        return st.st_size if st is not None and stat.S_ISREG(st.st_mode) else None

    def check_regular(self, *names: str) -> None:
        """Raise UnsafeStoreFile if one of ``names`` exists and is not a regular file."""
        for name in names:
            st = self.lstat(name)
            if st is not None and not stat.S_ISREG(st.st_mode):
                raise _refusal(name, self.label, st)

    def atomic_write(self, name: str, data: bytes | list[bytes], *, fsync: bool = True) -> None:
        """Replace ``name`` with ``data`` (bytes, or parts written in turn) via a fresh temp
        file, optional fsync, and rename."""
        tmp = f".{name}.{os.urandom(6).hex()}{TMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE, dir_fd=self.fd)
        try:
            try:
                for part in [data] if isinstance(data, bytes) else data:
                    write_all(fd, part)
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException as exc:
            _unlink_quietly(tmp, self.fd)
            if isinstance(exc, IsADirectoryError):
                raise _refusal(name, self.label, self.lstat(name)) from None
            raise

    def make_dir(self, name: str) -> None:
        """Create a 0700 sub-directory; an existing one is left alone."""
        try:
            os.mkdir(name, DIR_MODE, dir_fd=self.fd)
        except FileExistsError:
            pass

    def sync(self) -> None:
        """fsync the directory, so entries just created or renamed in it survive a power loss."""
        os.fsync(self.fd)

    def close(self) -> None:
        """Close the descriptor (idempotent)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> StoreDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AppendLog:
    """An append-only file of newline-terminated records in a StoreDir, opened lazily.

    Each record goes out in one ``write`` call. If a previous crash left the file without a
    trailing newline (a torn last line), a newline is written first so that the torn
    fragment stays a line of its own and cannot swallow the next record; ``seal_torn=False``
    turns that off for files that are not line-oriented.
    """

    def __init__(self, directory: StoreDir, name: str, *, seal_torn: bool = True) -> None:
        self.directory = directory
        self.name = name
        self.seal_torn = seal_torn
        self._fd: int | None = None

    def append(self, line: bytes, *, fsync: bool = False) -> None:
        """Append one record (``line`` must end with a newline). A write that fails part way
        (disk full, a file size limit) is cut back off before the error is raised, so the
        file never keeps half a record."""
        fd = self._open()
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(fd, view):]
        except OSError:
            if len(view) < len(line):
                os.ftruncate(fd, os.fstat(fd).st_size - (len(line) - len(view)))
            raise
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
            fd = self.directory.open_file(self.name, os.O_RDWR | os.O_APPEND | os.O_CREAT)
            try:
                if self.seal_torn and not _ends_with_newline(fd):
                    write_all(fd, b"\n")
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
        return self._fd


def _ends_with_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"


def read_pair(dir_name: str, stat_name: str, read_name: str, root_fd: int) -> tuple[os.stat_result, bytes] | None:
    """The ``lstat`` of ``stat_name`` (a regular file) and the bytes read from ``read_name``,
    both in the sub-directory ``dir_name`` of ``root_fd``, opened as a ``StoreDir`` opens
    them; None when anything is missing or is not what it should be (the caller then looks
    closer). Six system calls and nothing more: a catalog rebuild does this for every session.

    ``read_name`` is read without an ``fstat``, so the caller must only trust bytes that
    validate: with ``O_NONBLOCK`` a FIFO reads empty at once and a directory fails (a device
    would need root to plant)."""
    try:
        dir_fd = os.open(dir_name, _DIR_FLAGS, dir_fd=root_fd)
    except OSError:
        return None
    try:
        found = os.stat(stat_name, dir_fd=dir_fd, follow_symlinks=False)
        fd = os.open(read_name, os.O_RDONLY | _SAFE, dir_fd=dir_fd)
        try:
            data = _read_all(fd, _SMALL_FILE)  # one read when it is under 64 KiB
        finally:
            os.close(fd)
    except OSError:
        return None
    finally:
        os.close(dir_fd)
    return (found, data) if stat.S_ISREG(found.st_mode) else None


_SMALL_FILE = (1 << 16) - 1  # a size to read a file of unknown size by (a meta.json is ~600 bytes)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(path: str | Path, label: str, dir_fd: int | None) -> int:
    try:
        return os.open(path, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            found = lstat_at(path, dir_fd)
            if found is not None:
                raise UnsafeStoreFile(f"{label} is {kind_of(found.st_mode)}, not a directory") from None
        raise


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing one is left alone."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _unlink_quietly(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def _refusal(name: str | Path, label: str, found: os.stat_result | None) -> UnsafeStoreFile:
    what = f"is {kind_of(found.st_mode)}, not a regular file" if found is not None else "is not a regular file"
    where = f"{label}: " if label else ""
    return UnsafeStoreFile(f"{where}{Path(name).name} {what}")
