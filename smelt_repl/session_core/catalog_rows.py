"""The catalog's list rows: finding the session directories at the root, deriving a row from
one, and checking cached rows against the disk.

A row is stamped ``[size, mtime_ns, is_legacy]`` from the canonical file it came from. Every
lookup is relative to a directory descriptor and never follows a symlink; an entry that
cannot be listed is reported (one line each) and left out, so one bad directory never stops
a listing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from smelt_repl.session_core.content import subtitle_of
from smelt_repl.session_core.derived import META_FILE, TRANSCRIPT_FILE, read_fresh_meta, rebuild_meta, row_from_meta
from smelt_repl.session_core.errors import InvalidSessionId, SessionDamaged
from smelt_repl.session_core.fsio import StoreDir
from smelt_repl.session_core.ids import session_label, validate_session_id
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_first_user_message,
    legacy_header,
    legacy_messages,
    parse_legacy,
)

Report = Callable[[str, str], object]  # (entry name, one line for a person about it)


def session_dirs(root_fd: int, known: Iterable[str], report: Report) -> set[str]:
    """Names of the real directories at the root that can be sessions.

    Symlinks and directories whose name is not a valid id (not UTF-8, control characters)
    are reported and left out; plain files and the store's dot-files are ignored.
    """
    with os.scandir(root_fd) as found:
        entries = list(found)
    names = {entry.name for entry in entries if entry.is_dir(follow_symlinks=False)}  # the flat loop is the fast one
    for name in names.difference(known):
        if name.startswith(".") or not _valid_name(name, report):
            names.discard(name)
    for link in [entry.name for entry in entries if entry.is_symlink()]:
        if not link.startswith("."):
            report(link, f"{session_label(link)} is a symbolic link, not a directory; skipped")
    return names


def _valid_name(name: str, report: Report) -> bool:
    try:
        validate_session_id(name)
    except InvalidSessionId as exc:
        report(name, f"{exc}; skipped")
        return False
    return True


def derive_row(directory: StoreDir, name: str) -> tuple[dict, list] | None:
    """The list row and stamp of session ``name`` (open as ``directory``); None if it holds no
    session with messages.

    Raises SessionDamaged (or OSError) for one that cannot be read: a transcript that is
    not a regular file, an unreadable file, a corrupt legacy session.json.
    """
    st = directory.lstat(TRANSCRIPT_FILE)
    if st is None:
        return _legacy_row(directory, name)
    directory.check_regular(TRANSCRIPT_FILE)
    meta = read_fresh_meta(directory, name, st.st_size)
    if meta is None:
        rebuilt = rebuild_meta(directory, name)
        if rebuilt is None:
            return None
        meta = rebuilt[1]
    if not meta.get("messages_ever"):
        return None
    return row_from_meta(meta), [st.st_size, st.st_mtime_ns, 0]


def has_canonical_file(directory: StoreDir) -> bool:
    """True when the directory holds a transcript or a legacy session.json (of any kind)."""
    return directory.lstat(TRANSCRIPT_FILE) is not None or directory.lstat(LEGACY_FILE) is not None


def canonical_stamp(session_id: str, root_fd: int) -> list[int] | None:
    """The stamp of the session's transcript, else of its legacy session.json."""
    for is_legacy, name in enumerate((TRANSCRIPT_FILE, LEGACY_FILE)):
        try:
            st = os.stat(f"{session_id}/{name}", dir_fd=root_fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return [st.st_size, st.st_mtime_ns, is_legacy]
    return None


def stale_ids(ids: list[str], rows: dict[str, dict], stamps: dict[str, list], root_fd: int) -> set[str]:
    """Ids whose entry is malformed or whose canonical file changed. This loop is the cost of
    a process's first listing (one stat per session), so it stays flat and allocation-free."""
    stale = set()
    lstat = os.stat
    transcript = "/" + TRANSCRIPT_FILE
    for sid in ids:
        try:
            stamp = stamps[sid]
            if rows[sid]["id"] != sid:
                stale.add(sid)
                continue
            if stamp[2]:  # legacy: its session.json, unless a transcript has appeared since
                if canonical_stamp(sid, root_fd) != stamp:
                    stale.add(sid)
                continue
            st = lstat(sid + transcript, dir_fd=root_fd, follow_symlinks=False)
        except (KeyError, TypeError, IndexError, OSError):
            stale.add(sid)  # malformed entry, or the canonical file is gone or replaced
            continue
        if st.st_size != stamp[0] or st.st_mtime_ns != stamp[1]:
            stale.add(sid)
    return stale


def _legacy_row(directory: StoreDir, name: str) -> tuple[dict, list] | None:
    raw = directory.read(LEGACY_FILE)
    if raw is None:
        return None
    st = directory.lstat(LEGACY_FILE)
    try:
        data = parse_legacy(raw)
    except LegacyFormatError as exc:
        raise SessionDamaged(f"{directory.label}: {exc}") from None
    messages = legacy_messages(data)
    if not messages or st is None:
        return None
    header = legacy_header(data, name, st.st_mtime_ns // 1_000_000)
    row = {
        "id": name,
        "title": header.get("title"),
        "subtitle": subtitle_of(legacy_first_user_message(data)),
        "cwd": header["cwd"],
        "parent_id": header["parent_id"],
        "updated_at_ms": header["updated_at_ms"],
        "created_at_ms": header["created_at_ms"],
        "size_bytes": st.st_size + (directory.size(META_FILE) or 0),
        "model": header["model"],
        "message_count": len(messages),
    }
    return row, [st.st_size, st.st_mtime_ns, 1]

