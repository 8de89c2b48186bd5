"""A derived catalog of list rows at the sessions root, kept correct across processes.

``<root>/.catalog.json`` caches one row per session, stamped with the size and mtime of the
canonical file it was derived from. Writers drop a marker ``<root>/.changes/<id>`` before
and after each change; a lister, holding ``<root>/.catalog.lock``, removes each marker
*before* re-deriving that session's row, so a change that races with the lister leaves a
fresh marker behind for the next listing. Sessions that appear or vanish are found by
comparing the directory listing with the catalog. Stamps are checked against the disk
whenever the catalog is read from disk (each new process), so a change made without a
marker (a hand edit, the original smelt) is caught too; within one process, where the
catalog was last written by this process, markers suffice, except for legacy rows, which
are always checked. A missing, corrupt or partly corrupt catalog is rebuilt.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from smelt_repl.session_core.content import subtitle_of
from smelt_repl.session_core.derived import (
    META_FILE,
    TRANSCRIPT_FILE,
    build_meta,
    ledger_size,
    read_fresh_meta,
    replay_transcript,
    row_from_meta,
)
from smelt_repl.session_core.fsio import FILE_MODE, atomic_write, file_size, make_private_dir
from smelt_repl.session_core.ids import is_valid_session_id
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_first_user_message,
    legacy_header,
    legacy_messages,
    read_legacy,
)
from smelt_repl.session_core.lock import FileLock

CATALOG_FILE = ".catalog.json"
CATALOG_LOCK = ".catalog.lock"
CHANGES_DIR = ".changes"
CATALOG_VERSION = 2


class Catalog:
    """The list rows of every persisted session under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: tuple[dict[str, dict], dict[str, list]] | None = None

    def note_change(self, session_id: str) -> None:
        """Mark a session as changed so the next listing re-derives its row."""
        path = self.root / CHANGES_DIR / session_id
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        except FileNotFoundError:
            make_private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        os.close(fd)

    def rows(self) -> list[dict]:
        """Every persisted session's row (unsorted, fresh copies), reconciled with the disk."""
        if not self.root.is_dir():
            return []
        with FileLock(self.root / CATALOG_LOCK):
            rows, stamps, source = self._load()
            names = {n for n in os.listdir(self.root) if not n.startswith(".")}
            todo = self._claim_markers()
            todo.update(n for n in names if n not in rows and is_valid_session_id(n))
            todo.update(self._stale(rows, stamps, check_all=source == "disk"))
            changed = source == "none"
            for sid in [sid for sid in rows if sid not in names]:
                del rows[sid]
                stamps.pop(sid, None)
                changed = True
            for sid in todo:
                derived = derive_row(self.root / sid) if sid in names else None
                if derived is None:
                    changed |= rows.pop(sid, None) is not None
                    stamps.pop(sid, None)
                else:
                    rows[sid], stamps[sid] = derived
                    changed = True
            self._store(rows, stamps, write=changed)
        return [dict(row) for row in rows.values()]

    def _stale(self, rows: dict[str, dict], stamps: dict[str, list], *, check_all: bool) -> set[str]:
        """Ids whose entry is malformed or whose stamp no longer matches the canonical file.

        Only legacy entries are checked unless ``check_all`` (the catalog came from disk).
        """
        if check_all:
            ids = list(rows)
        else:
            ids = [sid for sid, stamp in stamps.items() if stamp[2]]
        if not ids:
            return set()
        root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return _stale_ids(ids, rows, stamps, root_fd)
        finally:
            os.close(root_fd)

    def _claim_markers(self) -> set[str]:
        changes = self.root / CHANGES_DIR
        try:
            names = os.listdir(changes)
        except FileNotFoundError:
            return set()
        for name in names:
            try:
                os.unlink(changes / name)
            except FileNotFoundError:
                pass
        return set(names)

    def _load(self) -> tuple[dict[str, dict], dict[str, list], str]:
        """Rows, stamps, and where they came from: "cache" (this process), "disk" or "none"."""
        path = self.root / CATALOG_FILE
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {}, {}, "none"
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._cache_key and self._cache is not None:
            return *self._cache, "cache"
        try:
            data = orjson.loads(path.read_bytes())
        except (orjson.JSONDecodeError, OSError):
            return {}, {}, "none"
        if not isinstance(data, dict) or data.get("v") != CATALOG_VERSION:
            return {}, {}, "none"
        rows, stamps = data.get("rows"), data.get("stamps")
        if not isinstance(rows, dict) or not isinstance(stamps, dict):
            return {}, {}, "none"
        # Malformed entries are caught by the stamp check that follows every load from disk.
        self._cache_key, self._cache = key, (rows, stamps)
        return rows, stamps, "disk"

    def _store(self, rows: dict[str, dict], stamps: dict[str, list], *, write: bool) -> None:
        path = self.root / CATALOG_FILE
        if write:
            atomic_write(path, orjson.dumps({"v": CATALOG_VERSION, "rows": rows, "stamps": stamps}), fsync=False)
            st = os.stat(path)
            self._cache_key = (st.st_ino, st.st_mtime_ns, st.st_size)
        self._cache = (rows, stamps)


def _stale_ids(ids: list[str], rows: dict[str, dict], stamps: dict[str, list], root_fd: int) -> set[str]:
    """Ids whose entry is malformed or whose canonical file changed. This loop is the cost of
    a process's first listing (one stat per session), so it stays flat and allocation-free."""
    stale = set()
    stat = os.stat
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
            st = stat(sid + transcript, dir_fd=root_fd)
        except (KeyError, TypeError, IndexError, OSError):
            stale.add(sid)  # malformed entry, or the canonical file is gone or replaced
            continue
        if st.st_size != stamp[0] or st.st_mtime_ns != stamp[1]:
            stale.add(sid)
    return stale


def derive_row(session_dir: Path) -> tuple[dict, list] | None:
    """A session's list row and the stamp ``[size, mtime_ns, is_legacy]`` of the canonical
    file it came from; None if the directory is not a session with messages."""
    try:
        st = os.stat(session_dir / TRANSCRIPT_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return _legacy_row(session_dir)
    meta = read_fresh_meta(session_dir, st.st_size)
    if meta is None:
        replayed = replay_transcript(session_dir)
        if replayed is None:
            return None
        history, size = replayed
        meta = build_meta(history, transcript_size=size, ledger_size=ledger_size(session_dir))
    if not meta.get("messages_ever"):
        return None
    return row_from_meta(meta), [st.st_size, st.st_mtime_ns, 0]


def canonical_stamp(session_id: str, root_fd: int) -> list[int] | None:
    """The stamp of the session's transcript, else of its legacy session.json."""
    for is_legacy, name in enumerate((TRANSCRIPT_FILE, LEGACY_FILE)):
        try:
            st = os.stat(f"{session_id}/{name}", dir_fd=root_fd)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return [st.st_size, st.st_mtime_ns, is_legacy]
    return None


def _legacy_row(session_dir: Path) -> tuple[dict, list] | None:
    try:
        st = os.stat(session_dir / LEGACY_FILE)
        data = read_legacy(session_dir / LEGACY_FILE)
    except (LegacyFormatError, OSError):
        return None
    header = legacy_header(data, session_dir.name, st.st_mtime_ns // 1_000_000)
    messages = legacy_messages(data)
    if not messages:
        return None
    row = {
        "id": session_dir.name,
        "title": header.get("title"),
        "subtitle": subtitle_of(legacy_first_user_message(data)),
        "cwd": header["cwd"],
        "parent_id": header["parent_id"],
        "updated_at_ms": header["updated_at_ms"],
        "created_at_ms": header["created_at_ms"],
        "size_bytes": st.st_size + (file_size(session_dir / META_FILE) or 0),
        "model": header["model"],
        "message_count": len(messages),
    }
    return row, [st.st_size, st.st_mtime_ns, 1]

