"""How much of a long session goes on screen when it is loaded: the last N user turns, with
one line saying how much is above (``:history`` shows earlier turns). Replaying 10,000
messages through the Markdown renderer would take seconds before the first prompt and
write more than a terminal's scrollback keeps."""

from __future__ import annotations

from collections.abc import Sequence


def tail_start(messages: Sequence[dict], turns: int, end: int | None = None) -> int:
    """Index of the first message of the last ``turns`` user turns before ``end`` (default:
    all of them); 0 when there are fewer, or when ``turns`` is 0 (everything)."""
    end = len(messages) if end is None else end
    if turns <= 0:
        return 0
    seen = 0
    for index in range(end - 1, -1, -1):
        if messages[index].get("role") == "user":
            seen += 1
            if seen == turns:
                return index
    return 0


def hidden_note(hidden: int) -> str:
    """The line above a replayed tail."""
    noun = "message" if hidden == 1 else "messages"
    return f"… {hidden:,} earlier {noun} not shown (:history shows more)"
