"""A request body's JSON, its messages encoded once each across requests.

A turn on a long session sends the whole history again; encoding 25 MB of messages at every
turn is what would make it slow. ``MessagesJson`` keeps the encoded messages of the previous
request (as one comma-joined buffer) and encodes only the new ones (see ``continuation``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from smelt_repl.session_core.jsonl import to_json

from .continuation import Continuation


class MessagesJson:
    """The JSON array of each request's messages, encoding only those the previous request
    did not have. Safe to use from several threads."""

    def __init__(self, encode: Callable[[dict], bytes]) -> None:
        """``encode(message)``: one message's JSON."""
        self._encode = encode
        self._lock = threading.Lock()
        self._continuation = Continuation()
        self._joined = bytearray()  # the previous request's messages, comma-separated

    def body(self, fields: dict, messages: list[dict], leading: list[dict] | None = None) -> bytes:
        """``fields`` as a JSON object with a ``messages`` member: ``leading`` (encoded afresh:
        a system message) followed by ``messages``."""
        head = to_json(fields)
        first = b",".join(to_json(message) for message in leading or ())
        with self._lock:
            done = self._continuation.repeated(messages)
            if not done:
                self._joined = bytearray()
            for message in messages[done:]:
                if self._joined:
                    self._joined += b","
                self._joined += self._encode(message)
            self._continuation.remember(messages)
            comma = b"," if first and self._joined else b""
            separator = b"," if len(head) > 2 else b""
            return b"".join([head[:-1], separator, b'"messages":[', first, comma, self._joined, b"]}"])
