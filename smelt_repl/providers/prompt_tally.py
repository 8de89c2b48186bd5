"""Facts about a request's messages, kept across requests so that a long session is not
read again at every turn: its token count, and whether an assistant message carries a mark.
Only the messages the previous request did not have are read (see ``continuation``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from smelt_repl.session_core.content import message_text

from .continuation import Continuation


@dataclass(frozen=True)
class Tally:
    """What ``PromptTally`` knows of a list of messages."""

    tokens: int  # the sum of the token counts of their texts
    marked: bool  # an assistant message's text contains the mark


_EMPTY = Tally(0, False)


class PromptTally:
    """The ``Tally`` of each request's messages, reading only those the previous request
    did not have. Safe to use from several threads."""

    def __init__(self, count: Callable[[str], int], mark: str) -> None:
        self._count = count
        self._mark = mark
        self._lock = threading.Lock()
        self._continuation = Continuation()
        self._tally = _EMPTY

    def __call__(self, messages: list[dict]) -> Tally:
        """The tally of ``messages``."""
        with self._lock:
            done = self._continuation.repeated(messages)
            tally = self._tally if done else _EMPTY
            tokens, marked = tally.tokens, tally.marked
            for message in messages[done:]:
                text = message_text(message.get("content"))
                tokens += self._count(text)
                marked = marked or (message.get("role") == "assistant" and self._mark in text)
            self._continuation.remember(messages)
            self._tally = Tally(tokens, marked)
            return self._tally
