"""File locks: ``flock`` held on a lock file while a process has something open.

The kernel drops the lock when the process exits or dies, so a lock left by a dead process
is never an obstacle. ``FileLock`` is the one wrapper around ``flock``; ``SessionLock`` is
the per-session lock, which never waits and writes the holder's pid for error messages;
``held_elsewhere`` probes whether another live process holds one.
A lock file is never opened through a symlink, and must be a regular file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from smelt_repl.session_core.errors import SessionLocked, UnsafeStoreFile
from smelt_repl.session_core.fsio import StoreDir, open_regular

LOCK_FILE = "lock"


class FileLock:
    """An exclusive ``flock`` on one file; a with-block holds it, waiting for other holders."""

    def __init__(self, path: Path, *, directory: StoreDir | None = None, label: str = "") -> None:
        """``path`` is the lock file; with ``directory`` it is opened relative to that directory
        (by its last component), so no symlink on the way is followed."""
        self.path = path
        self.directory = directory
        self.label = label or (directory.label if directory is not None else "")
        self._fd: int | None = None

    def acquire(self, *, wait: bool = True, create: bool = True) -> bool:
        """Take the lock and return True (at once if already held).

        With ``create=False`` a missing lock file means nobody holds it: returns False
        without creating anything. With ``wait=False`` a lock held elsewhere raises
        BlockingIOError instead of waiting. A lock file that is not a regular file raises
        UnsafeStoreFile.
        """
        if self._fd is not None:
            return True
        try:
            fd = self._open(os.O_RDWR | (os.O_CREAT if create else 0))
        except FileNotFoundError:
            if create:
                raise
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self, flags: int) -> int:
        if self.directory is None:
            return open_regular(self.path, flags, label=self.label)
        return open_regular(self.path.name, flags, dir_fd=self.directory.fd, label=self.label)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SessionLock(FileLock):
    """The lock on one session directory: it does not wait, and it records the holder's pid."""

    def __init__(self, session_dir: Path, directory: StoreDir | None = None) -> None:
        super().__init__(session_dir / LOCK_FILE, directory=directory,
                         label=f"session {session_dir.name[:8]}")

    def acquire(self, *, wait: bool = False, create: bool = True) -> bool:
        """Take the lock, raising SessionLocked (naming the holder) if another one has it.

        With ``create=False`` a missing lock file means nobody holds it: returns False
        without creating anything.
        """
        if self._fd is not None:
            return True
        try:
            if not super().acquire(wait=wait, create=create):
                return False
        except BlockingIOError:
            holder = self._holder()
            who = f"process {holder}" if holder else "another process"
            raise SessionLocked(f"session {self.path.parent.name[:8]} is open in {who}") from None
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return True

    def _holder(self) -> int | None:
        """The pid the holder wrote into the lock file, if it can be read."""
        try:
            fd = self._open(os.O_RDONLY)
            try:
                text = os.read(fd, 32).decode().strip()
            finally:
                os.close(fd)
            return int(text) if text else None
        except (OSError, ValueError, UnsafeStoreFile):
            return None


def held_elsewhere(session_dir: Path) -> bool:
    """True when another live process holds the lock of ``session_dir``: a non-blocking probe, made
    only when the pid recorded in the lock file is alive (so an idle lock is not touched)."""
    try:
        fd = os.open(session_dir / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        if not holder.isdigit() or int(holder) == os.getpid() or not _alive(int(holder)):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
    except OSError:
        return False
    finally:
        os.close(fd)  # drops the probe's lock, if it took one


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
