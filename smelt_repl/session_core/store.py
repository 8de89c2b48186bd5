"""The sessions root: creating, opening, listing, deleting and searching sessions.

Every function that takes an id validates it before touching the disk. Every error a caller
can meet is a SessionError with a one-line message: a file that is a symlink or not a
regular file is refused (UnsafeStoreFile), and a failed read or write of the disk becomes
StoreIOError.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from smelt_repl.session_core.catalog import Catalog
from smelt_repl.session_core.debris import clean_temp_files, debris_cutoff_ns, remove_tree, trash_name
from smelt_repl.session_core.derived import (
    CONTENT_FILE,
    LEDGER_FILE,
    META_FILE,
    TRANSCRIPT_FILE,
    ledger_size,
    open_tail,
    read_fresh_meta,
    replay_transcript,
)
from smelt_repl.session_core.errors import (
    SessionDamaged,
    SessionNotFound,
    SessionRefused,
    StoreIOError,
    UnsafeStoreFile,
    describe,
)
from smelt_repl.session_core.fsio import StoreDir, lstat_at
from smelt_repl.session_core.history import History
from smelt_repl.session_core.ids import new_session_id, resolve_prefix, session_label, validate_session_id
from smelt_repl.session_core.jsonl import clean_text, parse_lines
from smelt_repl.session_core.ledger import TokenTotals, now_ms, sum_usage, usage_record
from smelt_repl.session_core.legacy import (
    LEGACY_FILE,
    LegacyFormatError,
    legacy_cost,
    legacy_header,
    legacy_messages,
    parse_legacy,
)
from smelt_repl.session_core.lock import LOCK_FILE, SessionLock
from smelt_repl.session_core.search_text import session_text
from smelt_repl.session_core.session import Session

TEXT_WORKERS = min(8, os.cpu_count() or 2)  # more threads than cores only contend for the GIL
# Every file of a session directory the store reads or writes; each must be a regular file.
SESSION_FILES = (LOCK_FILE, TRANSCRIPT_FILE, LEDGER_FILE, META_FILE, CONTENT_FILE, LEGACY_FILE)


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
        history = History(session_id=session_id, created_at_ms=now_ms(), cwd=clean_text(cwd),
                          parent_id=parent_id, title=title and clean_text(title),
                          model=model and clean_text(model))
        history.updated_at_ms = history.created_at_ms
        return Session(self.root / session_id, history, TokenTotals(), self.catalog)

    def open(self, session_id: str, *, tail_turns: int = 0) -> Session:
        """Open a persisted session by exact id, replaying its transcript and ledger. With
        ``tail_turns``, a long transcript may be read from its end first, as far as that many
        user turns, and replayed whole at the first need (``Session.load_rest``).

        A legacy session (session.json only) is converted to the current format first;
        session.json itself is left untouched. Raises SessionLocked when another process
        has it open, SessionNotFound when it does not exist, SessionDamaged when one of its
        files is a symlink or not a regular file, StoreIOError when the disk refuses.
        """
        validate_session_id(session_id)
        with _disk_errors(f"cannot open {session_label(session_id)}"):
            if not self._is_session_dir(session_id):
                raise SessionNotFound(f"no session {session_id[:12]!r}")
            directory = StoreDir.open(self.root / session_id, session_label(session_id))
            try:
                return self._open_in(directory, session_id, tail_turns)
            except BaseException:
                directory.close()
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
        with _disk_errors(f"cannot fork {session_label(source.id)}"):
            child.write_initial([dict(m) for m in source.messages], [event],
                                [dict(c) for c in source.history.checkpoints])
        return child

    def reset(self, current: Session) -> Session:
        """Log ``agent_stop`` (reason ``user_cancel_and_clear``) on ``current``, close it, and
        return a new empty session in the same cwd. The old session stays on disk if it was
        persisted (an empty one never was)."""
        with _disk_errors(f"cannot write {session_label(current.id)}"):
            current.record_event("agent_stop", reason="user_cancel_and_clear")
        current.close()
        return self.new_session(current.cwd, model=current.history.model)

    # -- finding -------------------------------------------------------------------------

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of a persisted session given its id or a unique prefix (≥ 4 chars).

        A session directory that is a symlink is refused (UnsafeStoreFile).
        """
        validate_session_id(id_or_prefix)
        with _disk_errors("cannot read the sessions directory"):
            if self._is_session_dir(id_or_prefix):
                return id_or_prefix
            found = resolve_prefix(id_or_prefix, self._candidates())
            self._is_session_dir(found)  # a symlink is refused
            return found

    def list(self, *, exclude: str | None = None, warn: Callable[[str], object] | None = None) -> list[dict]:
        """Persisted sessions, newest ``updated_at_ms`` first, without ``exclude``.

        A session that cannot be listed is left out, with one line about it for ``warn``
        (default: the app log).
        """
        with _disk_errors("cannot list sessions"):
            rows = self.catalog.rows(warn)
            return rows if exclude is None else [row for row in rows if row["id"] != exclude]

    def list_records(self, *, warn: Callable[[str], object] | None = None) -> list[list]:
        """``list()`` as records (``catalog_file.RECORD_FIELDS``: the row's fields in order,
        then a stamp), the cheap form for printing many rows; they must not be changed."""
        with _disk_errors("cannot list sessions"):
            return self.catalog.records(warn)

    def most_recent_in(self, cwd: str) -> str | None:
        """The id of the most recently updated session started in ``cwd``."""
        cwd = clean_text(cwd)  # as it was stored
        for row in self.list():
            if row.get("cwd") == cwd:
                return row["id"]
        return None

    # -- removing ------------------------------------------------------------------------

    def delete(self, session_id: str, *, current_id: str | None = None) -> None:
        """Remove a session's directory.

        Refuses the current session (SessionRefused), one another live process has open
        (SessionLocked) and a directory that is a symlink (UnsafeStoreFile); an unknown id
        raises SessionNotFound.
        """
        validate_session_id(session_id)
        if session_id == current_id:
            raise SessionRefused("refusing to delete the current session")
        with _disk_errors(f"cannot delete {session_label(session_id)}"):
            if not self._is_session_dir(session_id):
                raise SessionNotFound(f"no session {session_id[:12]!r}")
            self._delete(session_id)
        self.catalog.note_change(session_id)

    # -- search text ---------------------------------------------------------------------

    def text(self, session_id: str) -> str | None:
        """The session's searchable text (content.txt), rebuilt and cached when missing or stale."""
        validate_session_id(session_id)
        with _disk_errors(f"cannot read {session_label(session_id)}"):
            try:
                directory = StoreDir.open(self.root / session_id, session_label(session_id))
            except FileNotFoundError:
                return None
            with directory:
                return session_text(directory, session_id)

    def texts(self, session_ids: Iterable[str]) -> dict[str, str]:
        """``text()`` of many ids, read on a thread pool; missing (or invalid) ids are omitted."""
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return {}
        try:
            root = StoreDir.open_root(self.root)
        except OSError:
            return {}
        chunk = max(1, -(-len(ids) // TEXT_WORKERS))
        batches = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
        from concurrent.futures import ThreadPoolExecutor  # only searches pay for the import

        out: dict[str, str] = {}
        with root, ThreadPoolExecutor(max_workers=min(TEXT_WORKERS, len(batches))) as pool:
            for result in pool.map(lambda batch: _text_batch(root, batch), batches):
                out.update(result)
        return out

    # -- internals -----------------------------------------------------------------------

    def _is_session_dir(self, name: str) -> bool:
        """True when ``name`` is a session directory (with a transcript or session.json);
        raises UnsafeStoreFile when it is a symlink."""
        with _disk_errors(f"cannot read {session_label(name)}"):
            st = lstat_at(self.root / name)
            if st is not None and stat.S_ISLNK(st.st_mode):
                raise UnsafeStoreFile(f"{session_label(name)} is a symbolic link, not a directory")
            return st is not None and stat.S_ISDIR(st.st_mode) and self._has_canonical_file(name)

    def _has_canonical_file(self, name: str) -> bool:
        path = self.root / name
        return lstat_at(path / TRANSCRIPT_FILE) is not None or lstat_at(path / LEGACY_FILE) is not None

    def _candidates(self) -> list[str]:
        """Names at the root a prefix may match: session directories, and symlinks (which
        resolving then refuses)."""
        try:
            with os.scandir(self.root) as entries:
                return [e.name for e in entries if not e.name.startswith(".") and (
                    e.is_symlink() or e.is_dir(follow_symlinks=False) and self._has_canonical_file(e.name))]
        except FileNotFoundError:
            return []

    def _open_in(self, directory: StoreDir, session_id: str, tail_turns: int = 0) -> Session:
        lock = SessionLock(self.root / session_id, directory)
        lock.acquire()  # before reading: a writer that finishes meanwhile is then fully seen
        try:
            clean_temp_files(directory, debris_cutoff_ns())  # a crash's leftovers (see ``debris``)
            directory.check_regular(*SESSION_FILES)
            if directory.lstat(TRANSCRIPT_FILE) is None:
                return self._convert_legacy(directory, session_id, lock)
            tail = open_tail(directory, session_id, tail_turns) if tail_turns > 0 else None
            if tail is not None:
                return self._open_from_tail(directory, session_id, lock, *tail)
            replayed = replay_transcript(directory, session_id)
            if replayed is None:
                raise SessionNotFound(f"no session {session_id[:12]!r}")
            history, size = replayed
            totals = sum_usage(_ledger_records(directory))
            session = Session(self.root / session_id, history, totals, self.catalog, directory=directory, lock=lock)
            session.attach_existing(ledger_size(directory), _vouched_content_size(directory, session_id, size))
            return session
        except BaseException:
            lock.release()
            raise

    def _open_from_tail(self, directory: StoreDir, session_id: str, lock: SessionLock, history: History,
                        unloaded: int, content_bytes: int) -> Session:
        totals = sum_usage(_ledger_records(directory))
        session = Session(self.root / session_id, history, totals, self.catalog, directory=directory, lock=lock)
        session.tail.defer(lambda: _replay_whole(directory, session_id), unloaded)
        session.attach_existing(ledger_size(directory), content_bytes)
        return session

    def _convert_legacy(self, directory: StoreDir, session_id: str, lock: SessionLock) -> Session:
        raw = directory.read(LEGACY_FILE)
        st = directory.lstat(LEGACY_FILE)
        if raw is None or st is None:
            raise SessionNotFound(f"no session {session_id[:12]!r}")
        try:
            data = parse_legacy(raw)
        except LegacyFormatError as exc:
            raise SessionDamaged(f"{directory.label}: {exc}") from None
        header = legacy_header(data, session_id, st.st_mtime_ns // 1_000_000)
        history = History()
        history.apply(header)
        history.session_id = session_id
        history.updated_at_ms = header["updated_at_ms"]
        session = Session(self.root / session_id, history, TokenTotals(), self.catalog, directory=directory,
                          lock=lock)
        ledger = [{"type": "load", "converted_from": LEGACY_FILE, "ts_ms": now_ms()}]
        cost = legacy_cost(data)
        if cost:
            ledger.insert(0, usage_record(header.get("model") or "unknown", cost_usd=cost) | {"legacy": True})
        session.write_initial(legacy_messages(data), ledger)
        return session

    def _delete(self, session_id: str) -> None:
        with StoreDir.open_root(self.root) as root:
            with root.subdir(session_id, session_label(session_id)) as directory:
                lock = SessionLock(self.root / session_id, directory)
                lock.acquire(create=False)
                try:
                    trash = trash_name(session_id)
                    os.rename(session_id, trash, src_dir_fd=root.fd, dst_dir_fd=root.fd)
                finally:
                    lock.release()
            remove_tree(root, trash)


@contextmanager
def _disk_errors(what: str) -> Iterator[None]:
    """Turn an OSError into StoreIOError: ``<what>: <reason>``."""
    try:
        yield
    except OSError as exc:
        raise StoreIOError(f"{what}: {describe(exc)}") from None


def _text_batch(root: StoreDir, ids: list[str]) -> dict[str, str]:
    """``text()`` of each id, its directory opened relative to the root's descriptor."""
    out = {}
    for session_id in ids:
        try:
            validate_session_id(session_id)
            with root.subdir(session_id, session_label(session_id)) as directory:
                text = session_text(directory, session_id)
        except Exception:  # an unreadable session is "missing" for a batch read
            continue
        if text is not None:
            out[session_id] = text
    return out


def _vouched_content_size(directory: StoreDir, session_id: str, transcript_size: int) -> int | None:
    """The size of content.txt when a fresh meta.json vouches for it (see ``search_text``), so
    opening a session need not rewrite it; None when it must be rebuilt."""
    if read_fresh_meta(directory, session_id, transcript_size) is None:
        return None
    return directory.size(CONTENT_FILE)


def _replay_whole(directory: StoreDir, session_id: str) -> History:
    with _disk_errors(f"cannot read {session_label(session_id)}"):
        replayed = replay_transcript(directory, session_id)
    if replayed is None:
        raise SessionNotFound(f"no session {session_id[:12]!r}")
    return replayed[0]


def _ledger_records(directory: StoreDir) -> list[dict]:
    data = directory.read(LEDGER_FILE)
    return list(parse_lines(data, f"{directory.path}/{LEDGER_FILE}")) if data else []
