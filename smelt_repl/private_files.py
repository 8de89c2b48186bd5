"""Files of the program's own under the state directory that are not sessions (the app log,
the prompt history): opened without following a symlink and only when they are regular
files, so a planted link never leads a write outside the state directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600


class UnsafePrivateFile(OSError):
    """The path is a symlink, or exists and is not a regular file (or its folder is a link)."""


def open_private(path: Path, flags: int) -> int:
    """``os.open`` of ``path`` (created 0600 with O_CREAT) that refuses symlinks and non-regular
    files, including a folder of it that is a symlink."""
    folder = path.parent
    if folder.is_symlink():
        raise UnsafePrivateFile(f"{folder} is a symbolic link")
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, FILE_MODE)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePrivateFile(f"{path} is not a regular file")
    os.set_blocking(fd, True)
    return fd
