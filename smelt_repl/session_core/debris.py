"""Crash debris in the sessions root, and where it is cleaned.

A crash can leave temp files (``.*.tmp``, at the root and in session directories), the trash
of an interrupted delete (``.trash-*``) and session directories that never got a transcript.
Only debris older than an hour is removed (younger may be in use), never a directory whose
lock a live process holds, and never anything reached through a symlink.

A rebuild of the catalog cleans the root (temp files, trash, abandoned directories) and the
session directories that show an interrupted write: no transcript, or no meta.json fresh for
the transcript (meta.json is replaced last after every change of a session, so a crash
mid-change leaves it stale). Listing every directory to look for temp files would double the
cost of a rebuild. The other session directories (a crash while only content.txt, the search
text cache, was rewritten) are cleaned when the session is next opened.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

from smelt_repl.session_core.catalog_rows import has_canonical_file
from smelt_repl.session_core.errors import SessionError
from smelt_repl.session_core.fsio import TMP_SUFFIX, StoreDir
from smelt_repl.session_core.lock import SessionLock

DEBRIS_AGE_S = 3600
TRASH_PREFIX = ".trash-"


def debris_cutoff_ns(now: float | None = None) -> int:
    """The mtime (ns) before which debris is old enough to remove."""
    return int(((time.time() if now is None else now) - DEBRIS_AGE_S) * 1e9)


def trash_name(session_id: str) -> str:
    """A fresh name to rename a session directory to before removing it."""
    return f"{TRASH_PREFIX}{session_id}-{os.urandom(4).hex()}"


def remove_tree(root: StoreDir, name: str) -> None:
    """Remove the directory ``name`` of the root and all it holds, following no symlink."""
    shutil.rmtree(name, dir_fd=root.fd, ignore_errors=True)


def clean_root(root: StoreDir, cutoff_ns: int) -> None:
    """Remove old temp files and trash of interrupted deletes from the root."""
    try:
        dot_names = [name for name in os.listdir(root.fd) if name[0] == "."]  # names only: 10k sessions are skipped fast
    except OSError:
        return
    for name in dot_names:
        try:
            st = os.stat(name, dir_fd=root.fd, follow_symlinks=False)
        except OSError:
            continue
        if st.st_mtime_ns >= cutoff_ns:
            continue
        if name.endswith(TMP_SUFFIX) and not stat.S_ISDIR(st.st_mode):
            _unlink(root, name)
        elif name.startswith(TRASH_PREFIX) and stat.S_ISDIR(st.st_mode):
            remove_tree(root, name)


def clean_temp_files(directory: StoreDir, cutoff_ns: int) -> None:
    """Remove old temp files from a session directory."""
    try:
        temps = [name for name in os.listdir(directory.fd) if name[0] == "." and name.endswith(TMP_SUFFIX)]
    except OSError:
        return
    for name in temps:
        st = directory.lstat(name)
        if st is not None and st.st_mtime_ns < cutoff_ns and not stat.S_ISDIR(st.st_mode):
            _unlink(directory, name)


def remove_if_abandoned(root: StoreDir, directory: StoreDir, name: str, cutoff_ns: int) -> None:
    """Remove the session directory ``name`` (open as ``directory``) if a crash left it
    without a transcript more than an hour ago and no live process holds its lock."""
    try:
        if has_canonical_file(directory) or os.fstat(directory.fd).st_mtime_ns >= cutoff_ns:
            return
        lock = SessionLock(Path(name), directory)
        lock.acquire(create=False)
    except (OSError, SessionError):
        return  # held by a live process (SessionLocked), or not ours to judge
    try:
        if has_canonical_file(directory):
            return
        trash = trash_name(name)
        os.rename(name, trash, src_dir_fd=root.fd, dst_dir_fd=root.fd)
    except OSError:
        return
    finally:
        lock.release()
    remove_tree(root, trash)


def _unlink(directory: StoreDir, name: str) -> None:
    try:
        os.unlink(name, dir_fd=directory.fd)
    except OSError:
        pass
