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
