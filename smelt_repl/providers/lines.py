"""Reading a response body within bounds: lines no longer than a limit, a body no larger.

httpx's own `iter_lines` keeps a line growing until its end arrives, so a server that sends
one endless line takes all the memory there is; these readers stop at `limit` bytes with a
`BodyTooLarge` the caller turns into one clear line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

MAX_LINE_BYTES = 16 * 1024 * 1024  # an SSE line (one event's data) longer than this fails the call
MAX_BODY_BYTES = 16 * 1024 * 1024  # a whole JSON reply (a server that does not stream), likewise


class BodyTooLarge(Exception):
    """A line, or a whole body, passed its limit; `what` says which."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} over {limit / (1024 * 1024):g} MiB")
        self.what = what
        self.limit = limit


def bounded_lines(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[str]:
    """Text lines (UTF-8, ends split off) of a byte stream split at LF, CRLF or CR, as SSE
    says; `BodyTooLarge` once a line passes `limit` bytes. A last unterminated line is
    yielded too."""
    for batch in bounded_line_batches(chunks, limit):
        yield from batch


def bounded_line_batches(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[list[str]]:
    """`bounded_lines` a list at a time: the lines each chunk completes (none is empty)."""
    buffer = bytearray()
    scanned = 0  # bytes of `buffer` known to hold no line end
    for chunk in chunks:
        has_cr = b"\r" in chunk or buffer.endswith(b"\r")
        if not has_cr and b"\n" in chunk:  # the usual case: LF only, split in one go
            whole = buffer + chunk if buffer else chunk
            end = whole.rindex(b"\n")  # decoded in one go: a line end never splits a character
            yield whole[:end].decode("utf-8", "replace").split("\n")
            rest = whole[end + 1 :]
            buffer, scanned = bytearray(rest), len(rest)
            if len(buffer) > limit:
                raise BodyTooLarge("a line of the stream", limit)
            continue
        buffer += chunk
        batch, start = [], 0
        while True:
            end = _line_end(buffer, max(start, scanned), has_cr)
            if end < 0:
                break
            if buffer[end] == 0x0D and end + 1 == len(buffer):
                break  # a CR at the end: its LF may come with the next chunk
            batch.append(buffer[start:end].decode("utf-8", "replace"))
            start = end + (2 if buffer[end : end + 2] == b"\r\n" else 1)
        del buffer[:start]
        scanned = len(buffer) - (1 if buffer.endswith(b"\r") else 0)
        if batch:
            yield batch
        if len(buffer) > limit:
            raise BodyTooLarge("a line of the stream", limit)
    if buffer:
        yield [buffer.rstrip(b"\r").decode("utf-8", "replace")]


def bounded_body(chunks: Iterable[bytes], limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body; `BodyTooLarge` once it passes `limit` bytes."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge("the reply body", limit)
    return bytes(body)


def _line_end(buffer: bytearray, start: int, has_cr: bool) -> int:
    """Index of the first CR or LF at or after `start`, or -1 (a CR is looked for only
    before the next LF, so a long buffer is not scanned again for each line)."""
    lf = buffer.find(b"\n", start)
    if not has_cr:
        return lf
    cr = buffer.find(b"\r", start, lf if lf >= 0 else len(buffer))
    return cr if cr >= 0 else lf
