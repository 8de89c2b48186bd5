"""A request body's JSON, its messages encoded once each across requests.

A turn on a long session sends the whole history again; encoding 25 MB of messages at every
turn is what would make it slow. ``MessagesJson`` keeps the encoded messages of the previous
request and encodes only the new ones (see ``continuation``). The body comes as a list of
pieces of at most about ``PIECE_BYTES`` (kept from turn to turn, never copied into one
buffer), which the transport sends one after another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from smelt_repl.session_core.jsonl import to_json

from .continuation import Continuation

PIECE_BYTES = 1 << 20


class MessagesJson:
    """The JSON body of each request, encoding only the messages the previous request did
    not have. Safe to use from several threads."""

    def __init__(self, encode: Callable[[dict], bytes]) -> None:
        """``encode(message)``: one message's JSON."""
        self._encode = encode
        self._lock = threading.Lock()
        self._continuation = Continuation()
        self._full: list[bytes] = []  # the previous request's messages, comma-separated...
        self._open = bytearray()  # ...the last of them still being filled up to PIECE_BYTES

    def body(self, fields: dict, messages: list[dict], leading: list[dict] | None = None) -> list[bytes]:
        """The pieces of ``fields`` as a JSON object with a ``messages`` member: ``leading``
        (encoded afresh: a system message) followed by ``messages``."""
        head = to_json(fields)
        first = b",".join(to_json(message) for message in leading or ())
        with self._lock:
            done = self._continuation.repeated(messages)
            if not done:
                self._full, self._open = [], bytearray()
            for message in messages[done:]:
                if self._full or self._open:
                    self._open += b","
                self._open += self._encode(message)
                if len(self._open) >= PIECE_BYTES:
                    self._full.append(bytes(self._open))
                    self._open = bytearray()
            self._continuation.remember(messages)
            comma = b"," if first and messages else b""
            separator = b"," if len(head) > 2 else b""
            start = b"".join([head[:-1], separator, b'"messages":[', first, comma])
            return [start, *self._full, bytes(self._open) + b"]}"]
