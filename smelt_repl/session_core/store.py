"""The sessions root: creating, opening, listing, deleting and searching sessions.

Every function that takes an id validates it before touching the disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import orjson

from smelt_repl.session_core.catalog import Catalog
from smelt_repl.session_core.content import search_blob
from smelt_repl.session_core.derived import (
    CONTENT_FILE,
    TRANSCRIPT_FILE,
    build_meta,
    ledger_size,
    read_fresh_meta,
    replay_transcript,
)
from smelt_repl.session_core.errors import SessionLocked, SessionNotFound, SessionRefused
from smelt_repl.session_core.fsio import atomic_write, file_size, read_bytes
from smelt_repl.session_core.history import History
from smelt_repl.session_core.ids import new_session_id, resolve_prefix, validate_session_id
from smelt_repl.session_core.jsonl import parse_lines
from smelt_repl.session_core.ledger import TokenTotals, now_ms, sum_usage, usage_record
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_cost,
    legacy_header,
    legacy_messages,
    legacy_search_text,
    read_legacy,
)
from smelt_repl.session_core.lock import SessionLock
from smelt_repl.session_core.session import Session

TEXT_WORKERS = 8


class SessionStore:
    """All sessions under one root directory (``<state>/sessions``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.catalog = Catalog(self.root)

    # -- creating and opening --------------------------------------------------------------

    def new_session(self, cwd: str, *, model: str | None = None, parent_id: str | None = None,
                    title: str | None = None) -> Session:
        """A new, empty session; it is written to disk with its first message."""
        session_id = new_session_id()
        history = History(session_id=session_id, created_at_ms=now_ms(), cwd=cwd,
                          parent_id=parent_id, title=title, model=model)
        history.updated_at_ms = history.created_at_ms
        return Session(self.root / session_id, history, TokenTotals(), self.catalog)

    def open(self, session_id: str) -> Session:
        """Open a persisted session by exact id, replaying its transcript and ledger.

        A legacy session (session.json only) is converted to the current format first;
        session.json itself is left untouched. Raises SessionLocked when another process
        has it open, SessionNotFound when it does not exist.
        """
        session_dir = self._dir(session_id)
        if not self._is_session_dir(session_dir):
            raise SessionNotFound(f"no session {session_id[:12]!r}")
        lock = SessionLock(session_dir)
        lock.acquire()  # before reading: a writer that finishes meanwhile is then fully seen
        try:
            if not (session_dir / TRANSCRIPT_FILE).exists():
                return self._convert_legacy(session_dir, lock)
            replayed = replay_transcript(session_dir)
            if replayed is None:
                raise SessionNotFound(f"no session {session_id[:12]!r}")
            history, _size = replayed
            history.session_id = session_id
            totals = sum_usage(_ledger_records(session_dir))
            session = Session(session_dir, history, totals, self.catalog, lock=lock)
            session.attach_existing(ledger_size(session_dir))
            return session
        except BaseException:
            lock.release()
            raise

    def fork(self, source: Session) -> Session:
        """A new session holding ``source``'s live messages and title, with parent_id set.

        The source is not modified. Cost and tokens start at zero.
        """
        if not source.messages:
            raise SessionRefused("nothing to fork: the session has no messages")
        child = self.new_session(source.cwd, model=source.history.model, parent_id=source.id,
                                 title=source.title)
        event = {"type": "fork", "parent_id": source.id, "ts_ms": now_ms()}
        child.write_initial([dict(m) for m in source.messages], [event])
        return child

    def reset(self, current: Session) -> Session:
        """Log ``agent_stop`` (reason ``user_cancel_and_clear``) on ``current``, close it, and
        return a new empty session in the same cwd. The old session stays on disk if it was
        persisted (an empty one never was)."""
        current.record_event("agent_stop", reason="user_cancel_and_clear")
        current.close()
        return self.new_session(current.cwd, model=current.history.model)

    # -- finding -------------------------------------------------------------------------

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of a persisted session given its id or a unique prefix (≥ 4 chars)."""
        validate_session_id(id_or_prefix)
        if self._is_session_dir(self.root / id_or_prefix):
            return id_or_prefix
        try:
            names = [n for n in os.listdir(self.root) if not n.startswith(".")]
        except FileNotFoundError:
            names = []
        return resolve_prefix(id_or_prefix, [n for n in names if self._is_session_dir(self.root / n)])

    def list(self, *, exclude: str | None = None) -> list[dict]:
        """Persisted sessions, newest ``updated_at_ms`` first, without ``exclude``."""
        rows = [row for row in self.catalog.rows() if row["id"] != exclude]
        rows.sort(key=_updated_at, reverse=True)
        return rows

    def most_recent_in(self, cwd: str) -> str | None:
        """The id of the most recently updated session started in ``cwd``."""
        for row in self.list():
            if row.get("cwd") == cwd:
                return row["id"]
        return None

    # -- removing ------------------------------------------------------------------------

    def delete(self, session_id: str, *, current_id: str | None = None) -> None:
        """Remove a session's directory.

        Refuses the current session (SessionRefused) and one another live process has open
        (SessionLocked); an unknown id raises SessionNotFound.
        """
        session_dir = self._dir(session_id)
        if session_id == current_id:
            raise SessionRefused("refusing to delete the current session")
        if not self._is_session_dir(session_dir):
            raise SessionNotFound(f"no session {session_id[:12]!r}")
        lock = SessionLock(session_dir)
        lock.acquire(create=False)
        try:
            trash = self.root / f".trash-{session_id}-{os.urandom(4).hex()}"
            os.rename(session_dir, trash)
        finally:
            lock.release()
        import shutil

        shutil.rmtree(trash, ignore_errors=True)
        self.catalog.note_change(session_id)

    # -- search text ---------------------------------------------------------------------

    def text(self, session_id: str) -> str | None:
        """The session's searchable text (content.txt), rebuilt and cached when missing or stale."""
        session_dir = self._dir(session_id)
        transcript_size = file_size(session_dir / TRANSCRIPT_FILE)
        if transcript_size is not None:
            return self._transcript_text(session_dir, transcript_size)
        if (session_dir / LEGACY_FILE).exists():
            return self._legacy_text(session_dir)
        return None

    def texts(self, session_ids: Iterable[str]) -> dict[str, str]:
        """``text()`` of many ids, read on a thread pool; missing (or invalid) ids are omitted."""
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return {}
        chunk = max(1, -(-len(ids) // TEXT_WORKERS))
        batches = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
        from concurrent.futures import ThreadPoolExecutor  # only searches pay for the import

        out: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=min(TEXT_WORKERS, len(batches))) as pool:
            for result in pool.map(self._text_batch, batches):
                out.update(result)
        return out

    # -- internals -----------------------------------------------------------------------

    def _dir(self, session_id: str) -> Path:
        return self.root / validate_session_id(session_id)

    @staticmethod
    def _is_session_dir(path: Path) -> bool:
        return (path / TRANSCRIPT_FILE).is_file() or (path / LEGACY_FILE).is_file()

    def _text_batch(self, ids: list[str]) -> dict[str, str]:
        out = {}
        for session_id in ids:
            try:
                text = self.text(session_id)
            except Exception:  # an unreadable session is "missing" for a batch read
                continue
            if text is not None:
                out[session_id] = text
        return out

    def _transcript_text(self, session_dir: Path, transcript_size: int) -> str | None:
        if read_fresh_meta(session_dir, transcript_size) is not None:
            cached = read_bytes(session_dir / CONTENT_FILE)
            if cached is not None:
                return cached.decode("utf-8", errors="replace")
        replayed = replay_transcript(session_dir)
        if replayed is None:
            return None
        history, size = replayed
        blob = search_blob(history.messages)
        meta = build_meta(history, transcript_size=size, ledger_size=ledger_size(session_dir))
        _cache_if_unowned(session_dir, {CONTENT_FILE: blob.encode(), "meta.json": orjson.dumps(meta)})
        return blob

    def _legacy_text(self, session_dir: Path) -> str | None:
        legacy_path = session_dir / LEGACY_FILE
        content_path = session_dir / CONTENT_FILE
        try:
            if os.stat(content_path).st_mtime_ns >= os.stat(legacy_path).st_mtime_ns:
                return content_path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            pass
        try:
            blob = legacy_search_text(read_legacy(legacy_path))
        except (LegacyFormatError, OSError):
            return None
        _cache_if_unowned(session_dir, {CONTENT_FILE: blob.encode()})
        return blob

    def _convert_legacy(self, session_dir: Path, lock: SessionLock) -> Session:
        try:
            data = read_legacy(session_dir / LEGACY_FILE)
        except LegacyFormatError as exc:
            raise SessionNotFound(f"cannot read legacy session: {exc}") from None
        mtime_ms = os.stat(session_dir / LEGACY_FILE).st_mtime_ns // 1_000_000
        header = legacy_header(data, session_dir.name, mtime_ms)
        history = History()
        history.apply(header)
        history.updated_at_ms = header["updated_at_ms"]
        session = Session(session_dir, history, TokenTotals(), self.catalog, lock=lock)
        ledger = [{"type": "load", "converted_from": LEGACY_FILE, "ts_ms": now_ms()}]
        cost = legacy_cost(data)
        if cost:
            ledger.insert(0, usage_record(header.get("model") or "unknown", cost_usd=cost) | {"legacy": True})
        session.write_initial(legacy_messages(data), ledger)
        return session


def _updated_at(row: dict) -> int:
    return row.get("updated_at_ms") or 0


def _ledger_records(session_dir: Path) -> list[dict]:
    path = session_dir / "ledger.jsonl"
    data = read_bytes(path)
    return list(parse_lines(data, path)) if data else []


def _cache_if_unowned(session_dir: Path, files: dict[str, bytes]) -> None:
    """Write derived files, unless a live process owns the session (it keeps them itself)."""
    lock = SessionLock(session_dir)
    try:
        lock.acquire()
    except (SessionLocked, OSError):
        return
    try:
        for name, data in files.items():
            atomic_write(session_dir / name, data, fsync=False)
    finally:
        lock.release()
