"""What the model sees of a session: the checkpoint's summary, then the live messages from
the checkpoint's index on (all of them when there is no checkpoint).

The summary goes as a user message (as smelt does it: a lead line, then the summary), so
every provider format takes it; the request conversion merges it with a user message that
follows, as it merges any two adjacent user messages.
"""

from __future__ import annotations

from smelt_repl.session_core import Session
from smelt_repl.session_core.content import message_text

SUMMARY_LEAD = "Summary of the conversation so far:"


def summary_message(checkpoint: dict) -> dict:
    """The user message that stands for the messages a checkpoint summarises."""
    return {"role": "user", "content": f"{SUMMARY_LEAD}\n{checkpoint['summary']}"}


def first_live(session: Session) -> int:
    """Index of the first live message requests send as it is (0 without a checkpoint)."""
    checkpoint = session.checkpoint
    return checkpoint["index"] if checkpoint else 0


def model_rows(session: Session) -> list[dict]:
    """``smelt.session.model_messages()``: ``{role, content}`` rows, content as text, one per
    message the next request is built from (the summary first when a checkpoint applies)."""
    checkpoint = session.checkpoint
    head = [summary_message(checkpoint)] if checkpoint else []
    live = session.messages[first_live(session):]
    return [*head, *({"role": m.get("role", ""), "content": message_text(m.get("content"))} for m in live)]


def history_index(session: Session, row: int) -> int:
    """The live-history index of row ``row`` of ``model_rows`` (``row`` may be one past the
    last row); with a checkpoint, row 0 is its summary and row 1 its first live message."""
    checkpoint = session.checkpoint
    return checkpoint["index"] + row - 1 if checkpoint and row > 0 else row


class LiveGrowth:
    """Which messages of a live history are new since it was last read, so that what is
    derived from it (request messages, a character count) is extended, not made again: a
    history that only grew (the same list read with the same checkpoint, the message last read
    still in its place) has only its new messages to read; one that changed otherwise (a
    rewind, a checkpoint installed or dropped, another session) is read afresh from the
    checkpoint's index. This relies on messages never being changed in place."""

    def __init__(self) -> None:
        self._history: list[dict] | None = None
        self._checkpoint: dict | None = None
        self._done = 0  # messages read so far
        self._last: dict | None = None  # the last of them

    def unread(self, history: list[dict], checkpoint: dict | None) -> tuple[int, bool]:
        """Where the messages not read yet begin, and True when ``history`` is to be read
        afresh from there (what was derived before no longer holds)."""
        start = checkpoint["index"] if checkpoint else 0
        done = self._done
        if (history is self._history and checkpoint is self._checkpoint and len(history) >= done
                and (done == start or history[done - 1] is self._last)):
            return done, False
        return start, True

    def read(self, history: list[dict], checkpoint: dict | None) -> None:
        """Record that ``history``, with ``checkpoint``, has been read to its end."""
        self._history, self._checkpoint = history, checkpoint
        self._done, self._last = len(history), (history[-1] if history else None)

