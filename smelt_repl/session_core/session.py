"""An open session: the live history in memory and its directory on disk, kept in step.

A new session exists only in memory until its first message: empty sessions are never
persisted. Every change goes to the canonical logs first (transcript, ledger) and then to
the derived files (content.txt, meta.json) and the root catalog's change marker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smelt_repl.session_core.content import message_text, search_blob, searchable_text
from smelt_repl.session_core.derived import (
    ATTACHMENTS_DIR,
    CONTENT_FILE,
    LEDGER_FILE,
    META_FILE,
    TRANSCRIPT_FILE,
    build_meta,
)
from smelt_repl.session_core.errors import SessionError, SessionRefused
from smelt_repl.session_core.fsio import AppendLog, StoreDir, make_private_dir
from smelt_repl.session_core.history import History, Turn, checkpoint_problem
from smelt_repl.session_core.ids import session_label
from smelt_repl.session_core.jsonl import dumps_line, encode_text, stored_line, to_json
from smelt_repl.session_core.ledger import TokenTotals, now_ms, usage_record
from smelt_repl.session_core.lock import SessionLock
from smelt_repl.session_core.tail import TailFirst
from smelt_repl.session_core.usage import Usage

if TYPE_CHECKING:
    from smelt_repl.session_core.catalog import Catalog


@dataclass(frozen=True)
class RewindResult:
    """What a rewind removed: the cut messages and the user text to put back in the prompt."""

    block_idx: int
    restored_text: str
    removed: list[dict]


class Session:
    """One session, opened by this process (which holds its lock once it is persisted).

    Its files are reached through its directory's descriptor (``directory``, opened without
    following a symlink), never by path, so nothing it writes can land outside the store.
    Opened for a resume, it may hold only the end of its history (``tail``, what the first
    frame shows) until the rest is needed: ``history`` and every change replay it first.
    """

    # The logs exist once the session has its directory (see _bind).
    _transcript: AppendLog
    _ledger: AppendLog
    _content: AppendLog

    def __init__(self, session_dir: Path, history: History, totals: TokenTotals, catalog: Catalog,
                 *, directory: StoreDir | None = None, lock: SessionLock | None = None) -> None:
        self.dir = session_dir
        self.tail = TailFirst(history)  # the history in memory: only its end until load_rest, maybe
        self._meta_stale = False
        self.totals = totals
        self._catalog = catalog
        self._lock = lock or SessionLock(session_dir, directory)
        self._directory: StoreDir | None = None
        if directory is not None:
            self._bind(directory)
        self._ledger_size = 0  # the transcript's size is read from disk when meta.json is written
        self._content_empty = True
        self._persisted = False
        self._closed = False

    # -- facts ---------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The session id (the directory name)."""
        return self.tail.current.session_id

    @property
    def cwd(self) -> str:
        """The directory the session was started in."""
        return self.tail.current.cwd

    @property
    def created_at_ms(self) -> int:
        """When the session was created (Unix epoch ms)."""
        return self.tail.current.created_at_ms

    @property
    def parent_id(self) -> str | None:
        """The session this one was forked from, if any."""
        return self.tail.current.parent_id

    @property
    def title(self) -> str | None:
        """The session's title, if one was set."""
        return self.tail.current.title

    @property
    def history(self) -> History:
        """The replayed state of the whole transcript (replayed now if it was deferred)."""
        if not self.tail.loaded:
            self.load_rest()
        return self.tail.current

    @property
    def messages(self) -> list[dict]:
        """The live history (message records, oldest first). Do not mutate."""
        return self.history.messages

    @property
    def persisted(self) -> bool:
        """True once the session has a directory on disk."""
        return self._persisted

    def turns(self) -> list[Turn]:
        """User turns of the live history, as ``{block_idx, label}`` rows."""
        return self.history.turns()

    def context_tokens(self) -> int | None:
        """Prompt-side tokens of the latest model call the live history contains."""
        return self.tail.current.context_tokens()

    def cost(self) -> float:
        """USD spent by every model call this session made."""
        return self.totals.cost_usd

    def tokens(self) -> dict:
        """Cumulative token usage (the shape of ``smelt.session.tokens()``)."""
        return self.totals.as_dict()

    @property
    def checkpoint(self) -> dict | None:
        """The checkpoint in force (``summary``, ``index``, ``kind``), None without one."""
        return self.history.checkpoint

    @property
    def can_undo_rewind(self) -> bool:
        """True when the last history edit was a rewind that can be undone."""
        return bool(self.history.undo_stack)

    # -- changes -------------------------------------------------------------------------

    def append_message(self, role: str, content: object, *, durable: bool = True, **extra: object) -> dict:
        """Append a message to the transcript and the live history; fsync when ``durable``.

        ``extra`` fields (``model``, ``context_tokens``, ``cancelled``, ``error``,
        ``reasoning_content``, ...) are stored with the message.
        """
        record = {"type": "message", "role": role, "content": content, "ts_ms": now_ms(), **extra}
        record = self._write_transcript(record, fsync=durable)
        self.history.append(record)
        text = searchable_text(record)
        if text:
            self._content.append(encode_text(text if self._content_empty else "\n" + text), fsync=False)
            self._content_empty = False
        self._after_change()
        return record

    def add_checkpoint(self, summary: str, index: int, kind: str = "manual") -> dict | None:
        """Let ``summary`` stand for the live messages before ``index`` in requests from now
        on (the transcript keeps them all); index 0 installs nothing (None). Raises
        SessionRefused, nothing written, for an empty summary or an index out of range."""
        record = {"type": "checkpoint", "summary": summary, "index": index, "kind": kind, "ts_ms": now_ms()}
        if index == 0 and type(index) is int:
            return None
        problem = checkpoint_problem(record, len(self.history.messages))
        if problem is not None:
            raise SessionRefused(f"cannot install the checkpoint: {problem}")
        record = self._write_transcript(record, fsync=True)
        self.history.add_checkpoint(record)
        self._after_change()
        return record

    def store_attachment(self, data: bytes, suffix: str) -> str:
        """Keep a copy of an attached file under a content-addressed name; returns its path
        relative to the session directory (``attachments/<sha256><suffix>``)."""
        name = hashlib.sha256(data).hexdigest() + suffix
        self._persist_dir()
        with self._dir().subdir(ATTACHMENTS_DIR, f"session {self.id[:8]} attachments") as folder:
            if folder.lstat(name) is None:
                folder.atomic_write(name, data)
        return f"{ATTACHMENTS_DIR}/{name}"

    def read_attachment(self, file: str) -> bytes | None:
        """The bytes of ``attachments/<name>`` (None when missing or not one of ours)."""
        folder_name, _, name = file.partition("/")
        if folder_name != ATTACHMENTS_DIR or not name or "/" in name or name.startswith(".") or not self._persisted:
            return None
        try:
            with self._dir().subdir(ATTACHMENTS_DIR, f"session {self.id[:8]} attachments") as folder:
                return folder.read(name)
        except (OSError, SessionError):
            return None

    def record_usage(self, model: str, usage: Usage, cost_usd: float = 0.0, *,
                     reasoning_estimated: bool = False) -> dict:
        """Record one model call's usage and cost in the ledger (fsynced); ``reasoning_estimated``
        marks a reasoning count that is our estimate, not the server's."""
        record = usage_record(model, usage, cost_usd)
        if reasoning_estimated:
            record["reasoning_estimated"] = True
        record["history_len"] = len(self.history.messages)
        self._write_ledger(record, fsync=True)
        self.totals.add(record)
        self._after_change()
        return record

    def record_event(self, kind: str, **fields: object) -> dict | None:
        """Append a lifecycle event (``agent_stop``, ``load``, ...) to the ledger.

        Nothing is written for a session that was never persisted (it has no directory).
        """
        if not self._persisted:
            return None
        record = {"type": kind, **fields, "ts_ms": now_ms()}
        self._write_ledger(record, fsync=True)
        self._after_change()
        return record

    def set_title(self, title: str | None) -> None:
        """Set (or clear with None/"") the session's title."""
        record = self._write_transcript({"type": "title", "title": title or None, "ts_ms": now_ms()}, fsync=True)
        self.history.title = record["title"]
        self._after_change()

    def rewind_target(self, block_idx: int | None) -> int:
        """The message index a rewind to ``block_idx`` cuts at (None: the first user turn).

        Raises SessionRefused when ``block_idx`` is not a user turn.
        """
        turns = self.history.turns()
        if block_idx is None:
            if not turns:
                raise SessionRefused("nothing to rewind: the session has no user turn")
            return turns[0].block_idx
        if isinstance(block_idx, bool) or not any(t.block_idx == block_idx for t in turns):
            shown = ", ".join(str(t.block_idx) for t in turns) or "none"
            raise SessionRefused(f"block {block_idx!r} is not a user turn (user turns: {shown})")
        return block_idx

    def rewind_to(self, block_idx: int | None) -> RewindResult:
        """Cut the user turn at ``block_idx`` and all after it (None: the first turn).

        Raises SessionRefused when ``block_idx`` is not a user turn; nothing changes then.
        """
        block_idx = self.rewind_target(block_idx)
        restored = message_text(self.history.messages[block_idx].get("content"))
        self._write_transcript({"type": "rewind", "to": block_idx, "ts_ms": now_ms()}, fsync=True)
        removed = self.history.rewind(block_idx)
        self._write_ledger({"type": "rewind", "to": block_idx, "removed": len(removed), "ts_ms": now_ms()}, fsync=True)
        self._rewrite_content()
        self._after_change()
        return RewindResult(block_idx, restored, removed)

    def undo_rewind(self) -> list[dict]:
        """Bring back what the most recent rewind cut (only while no message was added since)."""
        if not self.can_undo_rewind:
            raise SessionRefused("nothing to undo: no rewind since the last message")
        self._write_transcript({"type": "undo_rewind", "ts_ms": now_ms()}, fsync=True)
        restored = self.history.undo()
        self._write_ledger({"type": "undo_rewind", "restored": len(restored), "ts_ms": now_ms()}, fsync=True)
        self._rewrite_content()
        self._after_change()
        return restored

    @property
    def closed(self) -> bool:
        """True once close() was called; a closed session refuses every change."""
        return self._closed

    def close(self) -> None:
        """Close the logs and release the lock."""
        self._closed = True
        if self._directory is not None:
            for log in (self._transcript, self._ledger, self._content):
                log.close()
        self._lock.release()
        if self._directory is not None:
            self._directory.close()

    # -- used by the store ---------------------------------------------------------------

    def load_rest(self) -> None:
        """Replay the whole transcript if only its tail was read (a no-op otherwise); meta.json
        changes held back meanwhile are written then."""
        if self.tail.load(unless=lambda: self._closed) and self._meta_stale:  # closed: the tail stays
            self._meta_stale = False
            self._write_meta()

    def attach_existing(self, ledger_bytes: int, content_bytes: int | None = None) -> None:
        """Mark a session replayed from disk as persisted, taking its lock (SessionLocked if held).

        ``content_bytes``: the size of a content.txt that a fresh meta.json vouches for, kept
        as it is (appends go on from there); None: content.txt is rebuilt."""
        self._lock.acquire()
        self._persisted = True
        self._ledger_size = ledger_bytes
        if content_bytes is None:
            self._rewrite_content()
        else:
            self._content_empty = content_bytes == 0
        self._write_meta()

    def write_initial(self, messages: list[dict], ledger_records: list[dict],
                      checkpoints: list[dict] | None = None) -> None:
        """Persist a brand-new transcript (fork, legacy conversion) atomically, then its ledger.

        ``checkpoints`` (records in force in the source) follow the messages they summarise.
        The directory may already exist (a legacy session being converted in place).
        """
        self._persist_dir(with_header=False)
        self._catalog.note_change(self.id)
        stored = [stored_line(m) for m in messages]
        marks = [stored_line(c) for c in checkpoints or []]
        self._dir().atomic_write(TRANSCRIPT_FILE, dumps_line(self._header())
                                 + b"".join(line for line, _ in [*stored, *marks]))
        self._dir().sync()
        for _line, message in stored:
            self.history.append(message)
        for _line, mark in marks:
            self.history.add_checkpoint(mark)
        for record in ledger_records:
            self._write_ledger(record, fsync=False)
            if record.get("type") == "usage":
                self.totals.add(record)
        self._ledger.sync()
        self._rewrite_content()
        self._after_change()

    # -- internals -----------------------------------------------------------------------

    def _header(self) -> dict:
        h = self.history
        header = {"type": "session", "v": 1, "id": h.session_id, "created_at_ms": h.created_at_ms,
                  "cwd": h.cwd, "parent_id": h.parent_id, "model": h.model}
        if h.title:
            header["title"] = h.title
        return header

    def _bind(self, directory: StoreDir) -> None:
        """Use ``directory`` (this session's, opened) for every file of the session."""
        self._directory = directory
        self._lock.directory = directory
        self._transcript = AppendLog(directory, TRANSCRIPT_FILE)
        self._ledger = AppendLog(directory, LEDGER_FILE)
        self._content = AppendLog(directory, CONTENT_FILE, seal_torn=False)

    def _dir(self) -> StoreDir:
        assert self._directory is not None, "the session has no directory yet"
        return self._directory

    def _persist_dir(self, *, with_header: bool = True) -> None:
        if self._closed:
            raise SessionRefused(f"session {self.id[:8]} is closed")
        if self._persisted:
            return
        if self._directory is None:
            self._bind(_create_session_dir(self.dir))
        self._dir().make_dir(ATTACHMENTS_DIR)
        self._lock.acquire()
        self._persisted = True
        if with_header:
            self._write_transcript_bytes(dumps_line(self._header()), fsync=False)
            self._dir().sync()

    def _write_transcript(self, record: dict, *, fsync: bool) -> dict:
        """Append ``record``; returns it as written (text repaired, see ``jsonl.to_json``)."""
        self._persist_dir()
        self.history.updated_at_ms = max(self.history.updated_at_ms, record["ts_ms"])
        data, record = stored_line(record)
        self._write_transcript_bytes(data, fsync=fsync)
        return record

    def _write_transcript_bytes(self, data: bytes, *, fsync: bool) -> None:
        self._catalog.note_change(self.id)
        self._transcript.append(data, fsync=fsync)

    def _write_ledger(self, record: dict, *, fsync: bool) -> None:
        self._persist_dir()
        data = dumps_line(record)
        self._ledger.append(data, fsync=fsync)
        self._ledger_size += len(data)

    def _rewrite_content(self) -> None:
        self._content.close()
        blob = search_blob(self.history.messages)
        self._dir().atomic_write(CONTENT_FILE, encode_text(blob), fsync=False)
        self._content_empty = not blob

    def _after_change(self) -> None:
        self._write_meta()
        self._catalog.note_change(self.id)

    def _write_meta(self) -> None:
        if not self.tail.loaded:  # written from the whole history, once it is replayed
            self._meta_stale = True
            return
        # The transcript size is read from disk so a torn-line repair newline is counted.
        st = self._dir().lstat(TRANSCRIPT_FILE)
        meta = build_meta(self.history, transcript_size=st.st_size if st else 0, ledger_size=self._ledger_size)
        self._dir().atomic_write(META_FILE, to_json(meta))


def _create_session_dir(session_dir: Path) -> StoreDir:
    """Create a new session's directory (0700, the parent fsynced) and open it."""
    make_private_dir(session_dir.parent)
    with StoreDir.open_root(session_dir.parent) as root:
        root.make_dir(session_dir.name)
        directory = root.subdir(session_dir.name, session_label(session_dir.name))
        root.sync()
    return directory
