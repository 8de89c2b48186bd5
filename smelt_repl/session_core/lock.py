"""Per-session locks: a live process that has a session open holds ``flock`` on its lock file.

The kernel drops the lock when the process exits or dies, so a lock left by a dead process
is never an obstacle. The holder's pid is written into the file for error messages.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from smelt_repl.session_core.errors import SessionLocked
from smelt_repl.session_core.fsio import FILE_MODE

LOCK_FILE = "lock"


class SessionLock:
    """An exclusive, non-blocking lock on one session directory."""

    def __init__(self, session_dir: Path) -> None:
        self.path = session_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, *, create: bool = True) -> bool:
        """Take the lock, raising SessionLocked if another holder has it.

        With ``create=False`` a missing lock file means nobody holds it: returns False
        without creating anything.
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
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise SessionLocked(
                f"session {self.path.parent.name[:8]} is open in {who}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
