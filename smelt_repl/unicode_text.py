"""Text from outside made valid Unicode: model deltas, command-line arguments, stdin.

Nothing the user typed or the model wrote may be lost to an encoding error on its way to
disk (orjson refuses lone surrogates). JSON lets a server escape an emoji as a UTF-16
surrogate pair and split the pair over two deltas; ``SurrogateJoiner`` joins such pairs and
turns a surrogate that stays alone into U+FFFD. Bytes that are not UTF-8 (an argument,
binary stdin) are decoded with U+FFFD in place of what is not.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with surrogate pairs joined into their code points and lone surrogates as U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def text_from_bytes(data: bytes) -> str:
    """UTF-8 bytes as text; bytes that are not UTF-8 become U+FFFD."""
    return data.decode("utf-8", "replace")


def text_from_argv(arg: str) -> str:
    """A command-line argument as text: Python hands undecodable bytes over as surrogate
    escapes (``\\udcff``); they become U+FFFD."""
    if _SURROGATE.search(arg) is None:
        return arg
    return text_from_bytes(arg.encode("utf-8", "surrogateescape"))


class SurrogateJoiner:
    """Stream deltas in, valid text out: a high surrogate that ends a delta waits for the
    next one, so a pair split over two deltas comes out as one character."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """The valid text of ``text`` (plus what the last delta held back), minus a trailing
        high surrogate, which is held for the next delta."""
        text, self._held = self._held + text, ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self._held = text[:-1], text[-1]
        return valid_text(text)

    def flush(self) -> str:
        """What is still held at the end of the stream (a lone surrogate: U+FFFD)."""
        held, self._held = self._held, ""
        return valid_text(held)
