"""The end of a long session read first: what the first frame of a resume needs (the last
user turns, the model of the last reply, the context figure) without parsing the whole
transcript, which is replayed right after (see ``Session.load_rest``).

A tail stands for the end of the live history only when that is certain: a fresh meta.json
vouches for the header facts and the live message count, and the records read (from the
first kept user turn to the end of the file) are appends only — a rewind, undo or checkpoint
among them, or the header, means the whole transcript is replayed instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from smelt_repl.session_core.history import History
from smelt_repl.session_core.jsonl import parse_lines

TAIL_CHUNK = 1 << 16  # read backwards this much at a time
TAIL_LIMIT = 1 << 21  # past this, the whole transcript is replayed before the first frame
_ROLES = ("user", "assistant", "system", "tool", "agent")
_EDITS = ("rewind", "undo_rewind", "checkpoint", "session")


def read_tail(fd: int, size: int, meta: dict, turns: int, source: str) -> tuple[History, int] | None:
    """The live history's last ``turns`` user turns (and what follows them) as a History with
    the header facts of ``meta``, and how many live messages come before them; None when the
    tail cannot be trusted or is not worth it (see the module docstring)."""
    if turns <= 0:
        return None
    end = size
    data = b""
    while end > 0 and size - end < TAIL_LIMIT:
        start = max(0, end - TAIL_CHUNK)
        data = os.pread(fd, end - start, start) + data
        end = start
        if end == 0:
            return None  # the whole file is in hand: replaying it is as cheap
        whole = data[data.index(b"\n") + 1:] if b"\n" in data else b""
        found = _tail_of(list(parse_lines(whole, source)), turns)
        if found is not None:
            return _history(found, meta)
    return None


def _tail_of(records: list[dict], turns: int) -> list[dict] | None:
    """The messages from the ``turns``-th last user message on, when ``records`` reach back
    that far with appends only and hold the last reply's model and a context figure."""
    seen = 0
    for index in range(len(records) - 1, -1, -1):
        record = records[index]
        kind = record.get("type")
        if kind in _EDITS:
            return None
        if kind == "message" and record.get("role") == "user":
            seen += 1
            if seen == turns:
                messages = [r for r in records[index:] if r.get("type") == "message" and r.get("role") in _ROLES]
                return messages if _knows_status(messages) else None
    return None


def _knows_status(messages: list[dict]) -> bool:
    """True when ``messages`` hold a reply naming its model and a context figure, so the
    status line reads the same from them as from the whole history."""
    has_model = any(m.get("role") == "assistant" and isinstance(m.get("model"), str) and m.get("model")
                    for m in messages)
    return has_model and any(isinstance(m.get("context_tokens"), int) for m in messages)


def _history(messages: list[dict], meta: dict) -> tuple[History, int] | None:
    hidden = meta["message_count"] - len(messages)
    if hidden < 0:
        return None
    history = History(session_id=meta["id"], created_at_ms=meta.get("created_at_ms") or 0,
                      updated_at_ms=meta.get("updated_at_ms") or 0, cwd=meta.get("cwd") or "",
                      parent_id=meta.get("parent_id"), title=meta.get("title"))
    for message in messages:
        history.append(message)
    history.model = meta.get("model") or history.model
    history.messages_ever = meta.get("messages_ever") or history.messages_ever
    return history, hidden


class TailFirst:
    """A session's history of which only the end may be in memory yet (``read_tail``): the
    whole is replayed once, at the first need, under a lock (any thread may need it)."""

    def __init__(self, history: History) -> None:
        self.current = history
        self.unloaded = 0  # live messages not in memory yet
        self._replay: Callable[[], History] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True when ``current`` is the whole history."""
        return self._replay is None

    def defer(self, replay: Callable[[], History], unloaded: int) -> None:
        """``current`` is only the end, ``unloaded`` messages short; ``replay`` gives the whole."""
        self._replay, self.unloaded = replay, unloaded

    def load(self, unless: Callable[[], bool]) -> bool:
        """Replay the whole history now, unless it is loaded or ``unless()`` holds; True when it
        was replayed by this call."""
        with self._lock:
            if self._replay is None or unless():
                return False
            self.current = self._replay()
            self._replay, self.unloaded = None, 0
            return True
