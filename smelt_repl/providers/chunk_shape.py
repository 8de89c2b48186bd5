"""Reading the usual chunk of a fast OpenAI-compatible stream without decoding it whole.

A server streams thousands of chunks that differ only in their text (``{"id": ..., "choices":
[{"index": 0, "delta": {"content": "word"}, ...}]}``). Once one of them has been decoded, what
comes before its content string and after it is known: a later record made of that head, a
plain string (no quote, no escape, nothing unprintable) and that tail is the same chunk with
other text, read with a few string operations instead of a JSON decoder and a walk of the
object (most of the cost of a token). Anything else goes the usual way.

A shape is taken only when it is certain: the chunk's content appears once in its record,
and the record with another string put in its place decodes to the same object with that
string as its content. Since a plain string is one JSON token whatever it holds, any record
of that head and tail then decodes to that object too.
"""

from __future__ import annotations

import orjson

_PROBE_JSON, _PROBE = '"\\u0000probe"', "\x00probe"  # a string no shape is taken from
_TRIES = 8  # chunks looked at before giving up on a stream whose chunks differ (random padding)


class ChunkShape:
    """The head and tail of one stream's usual text chunk, once learnt."""

    def __init__(self) -> None:
        self._head = ""
        self._tail = ""
        self._tries = 0

    def text(self, data: str) -> str | None:
        """The content of the record ``data`` when it has the learnt shape with a plain
        string, else None (the record is to be decoded)."""
        head, tail = self._head, self._tail
        if not head or len(data) < len(head) + len(tail) or not data.startswith(head) or not data.endswith(tail):
            return None
        inner = data[len(head):len(data) - len(tail)]
        return inner if _plain(inner) else None

    def learn(self, data: str, chunk: dict, text: str) -> None:
        """Take the shape of the record ``data``, decoded to ``chunk``, a plain text chunk
        of ``text`` (see ``openai_compat._plain_text``), when it can be found for certain."""
        if self._head or self._tries >= _TRIES or not text or not _plain(text):
            return
        self._tries += 1
        literal = f'"{text}"'
        at = data.find(literal)
        if at < 0 or data.find(literal, at + 1) >= 0:
            return  # sent escaped, or found more than once
        head, tail = data[:at], data[at + len(literal):]
        try:
            probe = orjson.loads(head + _PROBE_JSON + tail)
        except orjson.JSONDecodeError:
            return
        choice = chunk["choices"][0]
        expected = {**chunk, "choices": [{**choice, "delta": {**choice["delta"], "content": _PROBE}},
                                         *chunk["choices"][1:]]}
        if probe == expected:
            self._head, self._tail = head + '"', '"' + tail


def _plain(text: str) -> bool:
    """Whether ``text`` is written in JSON as itself between quotes (nothing escaped)."""
    return '"' not in text and "\\" not in text and text.isprintable()
