"""File locks: ``flock`` held on a lock file while a process has something open.

The kernel drops the lock when the process exits or dies, so a lock left by a dead process
is never an obstacle. ``FileLock`` is the one wrapper around ``flock``; ``SessionLock`` is
the per-session lock, which never waits and writes the holder's pid for error messages.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from smelt_repl.session_core.errors import SessionLocked
from smelt_repl.session_core.fsio import FILE_MODE

LOCK_FILE = "lock"


class FileLock:
    """An exclusive ``flock`` on one file; a with-block holds it, waiting for other holders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, wait: bool = True, create: bool = True) -> bool:
        """Take the lock and return True (at once if already held).

        With ``create=False`` a missing lock file means nobody holds it: returns False
        without creating anything. With ``wait=False`` a lock held elsewhere raises
        BlockingIOError instead of waiting.
        """
        if self._fd is not None:
            return True
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        try:
            fd = os.open(self.path, flags, FILE_MODE)
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

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SessionLock(FileLock):
    """The lock on one session directory: it does not wait, and it records the holder's pid."""

    def __init__(self, session_dir: Path) -> None:
        super().__init__(session_dir / LOCK_FILE)

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
            holder = _read_pid(self.path)
            who = f"process {holder}" if holder else "another process"
            raise SessionLocked(f"session {self.path.parent.name[:8]} is open in {who}") from None
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return True


def _read_pid(path: Path) -> int | None:
    try:
        with open(path, "rb") as fh:
            text = fh.read(32).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
