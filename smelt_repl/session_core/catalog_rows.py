"""The catalog's records: finding the session directories at the root, deriving a record
from one, and checking cached records against the disk.

A record is a list row followed by the stamp ``size, mtime_ns, is_legacy`` of the canonical
file it came from (``RECORD_FIELDS``). Every lookup is relative to a directory descriptor and
never follows a symlink; an entry that cannot be listed is reported (one line each) and left
out, so one bad directory never stops a listing.
"""

from __future__ import annotations

import os
import random
import stat
from collections.abc import Callable, Collection, Iterable

from smelt_repl.session_core.catalog_file import ID, LEGACY, STAMP, Record
from smelt_repl.session_core.content import subtitle_of
from smelt_repl.session_core.derived import (
    META_FILE,
    ROW_FIELDS,
    TRANSCRIPT_FILE,
    fresh_meta,
    read_fresh_meta,
    rebuild_meta,
)
from smelt_repl.session_core.errors import InvalidSessionId, SessionDamaged
from smelt_repl.session_core.fsio import StoreDir, lstat_at, read_pair
from smelt_repl.session_core.ids import MAX_ID_LENGTH, session_label, validate_session_id
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_first_user_message,
    legacy_header,
    legacy_messages,
    parse_legacy,
)

Report = Callable[[str, str], object]  # (entry name, one line for a person about it)
NEWEST_CHECKED = 256  # stamps checked on a process's first listing: the newest sessions,
WINDOW_CHECKED = 768  # and a window of the others at a random place


def session_dirs(root_fd: int, known: Collection[str], report: Report,
                 candidates: Iterable[str] | None = None) -> tuple[set[str], list[str]]:
    """Names of the real directories at the root that can be sessions, and the other entries
    a listing must look at again (symlinks, invalid names), each reported.

    Symlinks and directories whose name is not a valid id (not UTF-8, control characters)
    are reported and left out; plain files and the store's dot-files are ignored. With
    ``candidates`` the root is not read: every ``known`` name is taken to be a directory
    still (the root has not changed since) and only the candidates are looked at.
    """
    names, links = _scan_root(root_fd) if candidates is None else _look_at(candidates, known, root_fd)
    odd = []
    for name in names.difference(known):
        if name.startswith(".") or not _valid_name(name, report):
            names.discard(name)
            odd.append(name)
    for link in links:
        if not link.startswith("."):
            report(link, f"{session_label(link)} is a symbolic link, not a directory; skipped")
            odd.append(link)
    return names, [name for name in odd if not name.startswith(".")]


def _scan_root(root_fd: int) -> tuple[set[str], list[str]]:
    """The directories and the symlinks at the root, in one pass (50k entries are not all
    held at once)."""
    names, links = set(), []
    with os.scandir(root_fd) as found:
        for entry in found:
            if entry.is_dir(follow_symlinks=False):
                names.add(entry.name)
            elif entry.is_symlink():
                links.append(entry.name)
    return names, links


def _look_at(candidates: Iterable[str], known: Collection[str], root_fd: int) -> tuple[set[str], list[str]]:
    """``known`` and the candidates that are directories, and the candidates that are symlinks."""
    names, links = set(known), []
    for name in candidates:
        st = lstat_at(name, root_fd)
        if st is not None and stat.S_ISDIR(st.st_mode):
            names.add(name)
        elif st is not None and stat.S_ISLNK(st.st_mode):
            links.append(name)
    return names, links


def _valid_name(name: str, report: Report) -> bool:
    if name.isascii() and name.isalnum() and len(name) <= MAX_ID_LENGTH:  # every id we make: no need to look closer
        return True
    try:
        validate_session_id(name)
    except InvalidSessionId as exc:
        report(name, f"{exc}; skipped")
        return False
    return True


def derive_record(directory: StoreDir, name: str, unsettled: Callable[[StoreDir], object] | None = None,
                  ) -> Record | None:
    """The record of session ``name`` (open as ``directory``); None if it holds no session
    with messages. ``unsettled`` is called with the directory when it shows the trace of an
    interrupted write (no fresh meta.json, or no transcript yet): where crash debris lies.

    Raises SessionDamaged (or OSError) for one that cannot be read: a transcript that is
    not a regular file, an unreadable file, a corrupt legacy session.json.
    """
    st = directory.lstat(TRANSCRIPT_FILE)
    if st is None:
        if unsettled is not None:
            unsettled(directory)
        return _legacy_record(directory, name)
    if not stat.S_ISREG(st.st_mode):
        directory.check_regular(TRANSCRIPT_FILE)
    meta = read_fresh_meta(directory, name, st.st_size)
    if meta is None:
        if unsettled is not None:
            unsettled(directory)
        rebuilt = rebuild_meta(directory, name)
        if rebuilt is None:
            return None
        meta = rebuilt[1]
    if not meta.get("messages_ever"):
        return None
    return _record(meta, st)


def settled_record(root_fd: int, name: str) -> Record | None:
    """The record of session ``name`` when it is settled (a regular transcript and a fresh
    meta.json of a session with messages), read in six system calls; None for anything
    else, which ``derive_record`` then looks at closely (and reports)."""
    found = read_pair(name, TRANSCRIPT_FILE, META_FILE, root_fd)
    if found is None:
        return None
    transcript, data = found
    meta = fresh_meta(data, name, transcript.st_size)
    if meta is None or not meta["messages_ever"]:
        return None
    return _record(meta, transcript)


def _record(meta: dict, transcript: os.stat_result) -> Record:
    """A transcript's record: the list row of its fresh meta.json, then its stamp."""
    return [*map(meta.get, ROW_FIELDS), transcript.st_size, transcript.st_mtime_ns, 0]


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


def ids_to_check(newest_first: list[Record]) -> list[str]:
    """The sessions whose stamps a process's first listing checks: all of a small store; of
    a large one the newest and a window of the rest at a random place, so that a change
    made without a marker is caught by a later listing if not by this one."""
    count = len(newest_first)
    if count <= NEWEST_CHECKED + WINDOW_CHECKED:
        return [record[ID] for record in newest_first]
    start = random.randrange(NEWEST_CHECKED, count)
    window = newest_first[start : start + WINDOW_CHECKED]
    window += newest_first[NEWEST_CHECKED : NEWEST_CHECKED + WINDOW_CHECKED - len(window)]  # wrapped
    return [record[ID] for record in newest_first[:NEWEST_CHECKED] + window]


def stale_ids(ids: Iterable[str], records: dict[str, Record], root_fd: int) -> set[str]:
    """Ids whose record is malformed or whose canonical file changed. This loop is the cost
    of a process's first listing (one stat per session checked), so it stays flat."""
    stale = set()
    lstat = os.stat
    transcript = "/" + TRANSCRIPT_FILE
    for sid in ids:
        try:
            record = records[sid]
            if record[ID] != sid:
                stale.add(sid)
                continue
            if record[LEGACY]:  # legacy: its session.json, unless a transcript has appeared since
                if canonical_stamp(sid, root_fd) != record[STAMP:]:
                    stale.add(sid)
                continue
            st = lstat(sid + transcript, dir_fd=root_fd, follow_symlinks=False)
        except (KeyError, TypeError, IndexError, OSError):
            stale.add(sid)  # malformed entry, or the canonical file is gone or replaced
            continue
        if st.st_size != record[STAMP] or st.st_mtime_ns != record[STAMP + 1]:
            stale.add(sid)
    return stale


def _legacy_record(directory: StoreDir, name: str) -> Record | None:
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
    return [name, header.get("title"), subtitle_of(legacy_first_user_message(data)), header["cwd"],
            header["parent_id"], header["updated_at_ms"], header["created_at_ms"],
            st.st_size + (directory.size(META_FILE) or 0), header["model"], len(messages),
            st.st_size, st.st_mtime_ns, 1]
