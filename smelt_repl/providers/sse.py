"""Server-sent events: turn a stream of text lines into (event, data) records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass
class SseEvent:
    """One dispatched event. `complete` is False when the stream ended mid-event."""

    event: str | None
    data: str
    complete: bool = True


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Yield events from SSE lines (line endings already split off, CRLF tolerated).

    Follows the WHATWG rules that matter here: `:` comments, `data:` lines joined with
    newlines, one optional space after the colon, a blank line dispatching the event.
    A trailing event with no closing blank line is still yielded, marked incomplete, so
    callers can tell a cut stream from a malformed one.
    """
    event: str | None = None
    data: list[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event, "\n".join(data))
            event, data = None, []
            continue
        if line.startswith("data:"):  # the usual line, first
            data.append(line[6:] if line.startswith(" ", 5) else line[5:])
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value or None
    if data:
        yield SseEvent(event, "\n".join(data), complete=False)
