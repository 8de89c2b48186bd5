"""The replayed state of a session: its live history, rewind stack and header facts.

The transcript is an append-only log; this model is what replaying it produces. Rewinds
cut the live history but keep the cut messages on an undo stack (and in the log), so
"undo the last rewind" can bring them back until a new message is appended.

A checkpoint (``smelt.session.checkpoint``, ``:compact``) stands for the live messages before
its ``index`` in requests, by its ``summary``; the messages themselves stay. A rewind to
before a checkpoint drops it with the messages it cuts (undo brings both back).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from smelt_repl.session_core.content import first_line, message_text

_SHARED_KEYS = ("type", "role", "model")


def _share_values(record: dict) -> None:
    """One string object for all equal values of the keys that repeat on every message (a
    parsed record has its own copy of each: ~180 bytes a message, 1.7 MiB at 10k)."""
    for key in _SHARED_KEYS:
        value = record.get(key)
        if type(value) is str and len(value) <= 200:
            record[key] = sys.intern(value)


@dataclass(frozen=True)
class Turn:
    """One user message of the live history, as the rewind picker shows it."""

    block_idx: int
    label: str


@dataclass
class History:
    """Live messages plus what replay needs to answer questions about them."""

    session_id: str = ""
    created_at_ms: int = 0
    updated_at_ms: int = 0
    cwd: str = ""
    parent_id: str | None = None
    title: str | None = None
    model: str | None = None
    messages: list[dict] = field(default_factory=list)
    # context_tokens known after each live message (inherited from the one before).
    context: list[int | None] = field(default_factory=list)
    # what each rewind cut: messages, their context figures, the checkpoints it dropped
    undo_stack: list[tuple[list[dict], list[int | None], list[dict]]] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)  # in force, oldest first
    messages_ever: int = 0
    first_user_ever: str | None = None

    def apply(self, record: dict) -> None:
        """Replay one transcript record; unknown record types are ignored."""
        kind = record.get("type")
        ts = record.get("ts_ms")
        if type(ts) is int and ts > self.updated_at_ms:
            self.updated_at_ms = ts
        if kind == "message":
            _share_values(record)
            self.append(record)
        elif kind in ("rewind", "undo_rewind", "checkpoint"):
            self._apply_edit(kind, record)
        elif kind == "title":
            title = record.get("title")
            self.title = title if isinstance(title, str) and title else None
        elif kind == "session":
            self._apply_header(record)

    def append(self, message: dict) -> None:
        """Add a message to the live history; this ends any chance to undo earlier rewinds."""
        if message.get("role") not in ("user", "assistant", "system", "tool", "agent"):
            return
        self.messages.append(message)
        ctx = message.get("context_tokens")
        self.context.append(ctx if isinstance(ctx, int) else (self.context[-1] if self.context else None))
        self.undo_stack.clear()
        self.messages_ever += 1
        if self.first_user_ever is None and message.get("role") == "user":
            self.first_user_ever = message_text(message.get("content"))
        model = message.get("model")
        if isinstance(model, str) and model:
            self.model = model

    @property
    def checkpoint(self) -> dict | None:
        """The checkpoint requests are built from (the latest in force), if any."""
        return self.checkpoints[-1] if self.checkpoints else None

    def add_checkpoint(self, record: dict) -> None:
        """Put a (checked, see ``checkpoint_problem``) checkpoint record in force; like a new
        message, this ends any chance to undo earlier rewinds."""
        self.checkpoints.append(record)
        self.undo_stack.clear()

    def rewind(self, to: int) -> list[dict]:
        """Cut the live history to its first ``to`` messages; return the cut ones. The
        checkpoints that summarise a cut message are dropped with them."""
        cut, cut_ctx = self.messages[to:], self.context[to:]
        dropped = [c for c in self.checkpoints if c["index"] > to]
        del self.messages[to:]
        del self.context[to:]
        self.checkpoints = [c for c in self.checkpoints if c["index"] <= to]
        self.undo_stack.append((cut, cut_ctx, dropped))
        return cut

    def undo(self) -> list[dict]:
        """Bring back the messages (and checkpoints) cut by the most recent rewind; return them."""
        cut, cut_ctx, dropped = self.undo_stack.pop()
        self.messages.extend(cut)
        self.context.extend(cut_ctx)
        self.checkpoints.extend(dropped)
        return cut

    def turns(self) -> list[Turn]:
        """One row per user message of the live history."""
        return [
            Turn(idx, first_line(message_text(msg.get("content"))))
            for idx, msg in enumerate(self.messages)
            if msg.get("role") == "user"
        ]

    def context_tokens(self) -> int | None:
        """Prompt-side tokens of the latest model call that the live history still contains."""
        return self.context[-1] if self.context else None

    def subtitle(self) -> str | None:
        """The first user message of the live history, else the first one ever written."""
        for msg in self.messages:
            if msg.get("role") == "user":
                return message_text(msg.get("content"))
        return self.first_user_ever

    def _apply_edit(self, kind: str, record: dict) -> None:
        """Replay a history edit (rewind, undo, checkpoint), skipping one that cannot apply."""
        if kind == "rewind":
            to = record.get("to")
            if isinstance(to, int) and 0 <= to <= len(self.messages):
                self.rewind(to)
        elif kind == "undo_rewind":
            if self.undo_stack:
                self.undo()
        elif checkpoint_problem(record, len(self.messages)) is None:
            self.add_checkpoint(record)

    def _apply_header(self, record: dict) -> None:
        self.session_id = str(record.get("id") or self.session_id)
        created = record.get("created_at_ms")
        if type(created) is int:
            self.created_at_ms = created
            # A fork copies older messages: the session itself is never older than its creation.
            self.updated_at_ms = max(self.updated_at_ms, created)
        cwd = record.get("cwd")
        self.cwd = cwd if isinstance(cwd, str) else self.cwd
        parent = record.get("parent_id")
        self.parent_id = parent if isinstance(parent, str) else None
        for name in ("title", "model"):
            value = record.get(name)
            if isinstance(value, str) and value:
                setattr(self, name, value)


def checkpoint_problem(record: dict, live_count: int) -> str | None:
    """Why ``record`` cannot be a checkpoint of a live history of ``live_count`` messages
    (a non-empty ``summary``; an ``index`` from 1 to ``live_count``), None when it can."""
    summary, index = record.get("summary"), record.get("index")
    if not isinstance(summary, str) or not summary.strip():
        return "the summary must be a non-empty string"
    if type(index) is not int or not 0 < index <= live_count:
        return f"the first live message index must be from 1 to {live_count}, got {index!r}"
    if not isinstance(record.get("kind", ""), str):
        return "the kind must be a string"
    return None
