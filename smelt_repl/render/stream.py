"""Streaming entry points: feed text deltas, get back complete rendered lines."""

from __future__ import annotations

from collections.abc import Callable

from .ansi import sanitize
from .blocks import LineRenderer
from .failures import report_failure


class StreamRenderer:
    """Renders a reply that arrives in arbitrary deltas, releasing only complete lines.

    The terminal scrollback is line-oriented, so a line is rendered once its newline arrives
    (the rest waits in a buffer). Because rendering depends only on complete lines,
    ``"".join(feed(d) for d in deltas) + finish() == render_markdown("".join(deltas))``.

    ``width`` may be a function: it is asked again for every delta (not every line: a
    delta's lines arrive at one moment), so a terminal resized while the reply streams
    wraps what is still to come at its new width.
    """

    def __init__(self, width: int | Callable[[], int] = 80, color: bool = True) -> None:
        self._width = width if callable(width) else None
        self._lines = LineRenderer(0 if callable(width) else width, color)
        self._pending: list[str] = []

    def feed(self, delta: str) -> str:
        """Add a delta; return the rendered text of every line it completed (may be empty)."""
        if not isinstance(delta, str):
            delta = delta.decode("utf-8", "replace") if isinstance(delta, bytes) else str(delta)
        if "\n" not in delta:
            if delta:
                self._pending.append(delta)
            return ""
        self._pending.append(delta)
        *lines, rest = "".join(self._pending).split("\n")
        self._pending = [rest] if rest else []
        if self._width is not None:  # asked once a delta: a delta's lines arrive together
            self._lines.set_width(self._width())
        return "".join(self._render(line) for line in lines)

    def finish(self) -> str:
        """Render the unterminated last line, close an open fence, and reset for reuse."""
        rest = "".join(self._pending)
        self._pending = []
        if self._width is not None:
            self._lines.set_width(self._width())
        out = self._render(rest) if rest else ""
        return out + self._lines.close()

    def _render(self, line: str) -> str:
        if line.endswith("\r"):
            line = line[:-1]
        try:
            return self._lines.line(line)
        except Exception as exc:  # never lose a reply to a rendering bug: show the line as-is
            report_failure("rendering a line", exc)
            return sanitize(line) + "\n"


def render_markdown(text: str, width: int = 80, color: bool = True) -> str:
    """Render a whole message exactly as streaming it would have."""
    renderer = StreamRenderer(width, color)
    return renderer.feed(text) + renderer.finish()
