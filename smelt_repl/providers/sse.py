"""Server-sent events: turn a stream of text lines into (event, data) records."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
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
    reader = SseReader()
    for line in lines:
        for event, data in reader.feed((line,)):
            yield SseEvent(event, data)
    tail = reader.end()
    if tail is not None:
        yield SseEvent(tail[0], tail[1], complete=False)


class SseReader:
    """`parse_sse` fed a list of lines at a time (a fast stream's socket read: hundreds of
    events), answering the (event, data) pairs those lines completed."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, lines: Iterable[str]) -> list[tuple[str | None, str]]:
        """The events `lines` complete, in order; an event still open waits for more. A
        list of two lines or more must hold no CR or LF (as `bounded_line_batches` gives)."""
        out: list[tuple[str | None, str]] = []
        if type(lines) is list and len(lines) > 2:
            if not lines[0]:  # the blank line ending an event the last lines began
                out += self.feed(lines[:1])
                lines = lines[1:]
            if not self._data:
                lines = self._take_usual(lines, out)
        data = self._data
        for line in lines:
            if line.startswith("data:"):  # the usual line, first
                line = line.rstrip("\r\n")
                data.append(line[6:] if line.startswith(" ", 5) else line[5:])
            elif not line.rstrip("\r\n"):
                if data:
                    out.append((self._event, "\n".join(data) if len(data) > 1 else data[0]))
                    data.clear()
                self._event = None
            else:
                self._field(line.rstrip("\r\n"))
        return out

    def _take_usual(self, lines: list[str], out: list[tuple[str | None, str]]) -> list[str]:
        """The usual stream (`data: ` lines, each followed by a blank one) read in one go
        into ``out``; answers the lines left for the general reading (all of them, unless
        ``lines`` have that shape)."""
        pairs = len(lines) // 2 * 2
        values, blanks = lines[0:pairs:2], lines[1:pairs:2]
        if any(blanks) or not all(map(str.startswith, values, repeat("data: "))):
            return lines
        out.append((self._event, values[0][6:]))
        out += [(None, value[6:]) for value in values[1:]]
        self._event = None
        return lines[pairs:]

    def end(self) -> tuple[str | None, str] | None:
        """The event the stream ended in the middle of (no blank line after it), if any."""
        if not self._data:
            return None
        event, data = self._event, "\n".join(self._data)
        self._event, self._data = None, []
        return event, data

    def _field(self, line: str) -> None:
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
