"""Telling, in O(1), whether a request's messages repeat the previous request's.

Successive requests of one conversation repeat the previous request's messages and add a
few. A list whose first message, and whose message where the previous list ended, are the
very objects the previous list had there is taken to repeat it whole: the engine's requests
are built so (its ``RequestMessages`` makes new dicts for a history that changed and never
changes one in place). Comparing 50,000 messages instead, even by identity, touches memory
all over a 25 MB history and costs more than the rest of a turn.
"""

from __future__ import annotations


class Continuation:
    """Remembers the ends of the last list of messages given, to answer ``repeated``."""

    def __init__(self) -> None:
        self._length = 0
        self._ends: tuple[dict, dict] | None = None  # kept alive: their ids cannot be reused

    def repeated(self, messages: list[dict]) -> int:
        """How many leading messages of ``messages`` the previous list had: all of its, or 0."""
        done, ends = self._length, self._ends
        if ends is None or len(messages) < done or ends[0] is not messages[0] or ends[1] is not messages[done - 1]:
            return 0
        return done

    def remember(self, messages: list[dict]) -> None:
        """Make ``messages`` the list the next ``repeated`` compares with."""
        self._length = len(messages)
        self._ends = (messages[0], messages[-1]) if messages else None
