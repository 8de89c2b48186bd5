"""A derived catalog of list rows at the sessions root, kept correct across processes.

``<root>/.catalog.json`` caches one row per session. Writers drop a marker
``<root>/.changes/<id>`` before and after each change; a lister, holding
``<root>/.catalog.lock``, removes each marker *before* re-deriving that session's row, so a
change that races with the lister leaves a fresh marker behind for the next listing.
Sessions that appear or vanish without a marker are found by comparing the directory
listing with the catalog; legacy rows are checked against their ``session.json`` stat
because the original smelt writes no markers. A missing or corrupt catalog is rebuilt.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import orjson

from smelt_repl.session_core.derived import (
    META_FILE,
    TRANSCRIPT_FILE,
    build_meta,
    ledger_size,
    read_fresh_meta,
    replay_transcript,
    row_from_meta,
)
from smelt_repl.session_core.fsio import FILE_MODE, atomic_write, make_private_dir
from smelt_repl.session_core.ids import is_valid_session_id
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_first_user_message,
    legacy_header,
    legacy_messages,
    read_legacy,
)

CATALOG_FILE = ".catalog.json"
CATALOG_LOCK = ".catalog.lock"
CHANGES_DIR = ".changes"
CATALOG_VERSION = 1


class Catalog:
    """The list rows of every persisted session under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache_key: tuple[int, int, int] | None = None
        self._cache_rows: dict[str, dict] | None = None

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
        """Every persisted session's row (unsorted), reconciled with the disk."""
        if not self.root.is_dir():
            return []
        with _locked(self.root / CATALOG_LOCK):
            rows, loaded = self._load()
            names = {n for n in os.listdir(self.root) if not n.startswith(".")}
            todo = self._claim_markers()
            todo.update(n for n in names if n not in rows and is_valid_session_id(n))
            todo.update(sid for sid, row in rows.items() if "legacy_stamp" in row and _legacy_stamp(self.root / sid) != row["legacy_stamp"])
            changed = not loaded
            for sid in [sid for sid in rows if sid not in names]:
                del rows[sid]
                changed = True
            for sid in todo:
                row = derive_row(self.root / sid) if sid in names else None
                if row is None:
                    changed |= rows.pop(sid, None) is not None
                else:
                    rows[sid] = row
                    changed = True
            if changed:
                self._save(rows)
        return [dict(row) for row in rows.values()]

    def _claim_markers(self) -> set[str]:
        changes = self.root / CHANGES_DIR
        try:
            names = os.listdir(changes)
        except FileNotFoundError:
            return set()
        claimed = set()
        for name in names:
            try:
                os.unlink(changes / name)
            except FileNotFoundError:
                pass
            claimed.add(name)
        return claimed

    def _load(self) -> tuple[dict[str, dict], bool]:
        path = self.root / CATALOG_FILE
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {}, False
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._cache_key and self._cache_rows is not None:
            return self._cache_rows, True
        try:
            data = orjson.loads(path.read_bytes())
        except (orjson.JSONDecodeError, OSError):
            return {}, False
        if not isinstance(data, dict) or data.get("v") != CATALOG_VERSION or not isinstance(data.get("rows"), dict):
            return {}, False
        self._cache_key, self._cache_rows = key, data["rows"]
        return data["rows"], True

    def _save(self, rows: dict[str, dict]) -> None:
        path = self.root / CATALOG_FILE
        atomic_write(path, orjson.dumps({"v": CATALOG_VERSION, "rows": rows}), fsync=False)
        st = os.stat(path)
        self._cache_key, self._cache_rows = (st.st_ino, st.st_mtime_ns, st.st_size), rows


def derive_row(session_dir: Path) -> dict | None:
    """A session's list row from its files (None if it is not a session with messages)."""
    try:
        transcript_size = os.stat(session_dir / TRANSCRIPT_FILE).st_size
    except (FileNotFoundError, NotADirectoryError):
        return _legacy_row(session_dir)
    meta = read_fresh_meta(session_dir, transcript_size)
    if meta is None:
        replayed = replay_transcript(session_dir)
        if replayed is None:
            return None
        history, size = replayed
        meta = build_meta(history, transcript_size=size, ledger_size=ledger_size(session_dir))
    if not meta.get("messages_ever"):
        return None
    return row_from_meta(meta)


def _legacy_row(session_dir: Path) -> dict | None:
    stamp = _legacy_stamp(session_dir)
    if stamp is None:
        return None
    try:
        data = read_legacy(session_dir / LEGACY_FILE)
    except (LegacyFormatError, OSError):
        return None
    header = legacy_header(data, session_dir.name, stamp[1] // 1_000_000)
    messages = legacy_messages(data)
    if not messages:
        return None
    subtitle = legacy_first_user_message(data)
    return {
        "id": session_dir.name,
        "title": header.get("title"),
        "subtitle": subtitle.strip().splitlines()[0][:200] if subtitle and subtitle.strip() else None,
        "cwd": header["cwd"],
        "parent_id": header["parent_id"],
        "updated_at_ms": header["updated_at_ms"],
        "created_at_ms": header["created_at_ms"],
        "size_bytes": stamp[0] + _size(session_dir / META_FILE),
        "model": header["model"],
        "message_count": len(messages),
        "legacy_stamp": list(stamp),
    }


def _legacy_stamp(session_dir: Path) -> list[int] | None:
    try:
        st = os.stat(session_dir / LEGACY_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if os.path.exists(session_dir / TRANSCRIPT_FILE):
        return None
    return [st.st_size, st.st_mtime_ns]


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class _locked:
    """Hold an exclusive flock on ``path`` for the duration of a with-block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)
