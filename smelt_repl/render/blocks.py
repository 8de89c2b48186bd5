"""Block structure of a reply, decided one complete source line at a time.

Every source line renders on its own, from the line and the state left by the lines before
it (an open fence, the enclosing list items), never from lines after it. That is what makes a
streamed reply render exactly like the whole message. Setext headings and other constructs
that need look-ahead are therefore not recognised. Tables are the one exception, decided the
same way in both cases: a line with a pipe waits for the next (is it a delimiter row?), and a
table's rows wait for its end (see ``table.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ansi import BOLD, DIM, HEADING, ITALIC, MARKER, QUOTE, UNDERLINE, Span, cell_width, emit, sanitize, wrap
from .code import CodeHighlighter, language_of
from .failures import report_failure
from .inline import inline_spans
from .table import Table, delimiter_alignments, split_cells

_FENCE_RE = re.compile(r"(`{3,}|~{3,})(.*)$")
_HEADING_RE = re.compile(r"(#{1,6})(?:[ \t]+(.*))?$")
_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_RULE_RE = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET_RE = re.compile(r"[-*+](?:[ \t]+(.*))?$")
_ORDERED_RE = re.compile(r"(\d{1,9}[.)])(?:[ \t]+(.*))?$")
_TABLE_RULE_CHARS = frozenset("|-: \t")
_MARK_STARTS = frozenset("`~#-*_+>|")  # with a digit: what a line that is not paragraph text starts with
_BULLETS = "•◦▪"
_TASKS = {"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "}
_HEADING_STYLES = (BOLD | HEADING | UNDERLINE, BOLD | HEADING, BOLD)  # h1, h2, h3 and deeper
MIN_WRAP = 20  # wrap no narrower than this, however deep the nesting


def _may_head_table(text: str) -> bool:
    """Whether `text` could be a table's header row (it is one if a delimiter row follows)."""
    body = text.lstrip(" ")
    if "|" not in body or len(text) - len(body) >= 4 or body.startswith((">", "#", "```", "~~~")):
        return False
    return _BULLET_RE.match(body) is None and _ORDERED_RE.match(body) is None


class _Fence:
    """An open fenced block: its marker, source indent, output prefix and highlighter."""

    __slots__ = ("char", "length", "indent", "prefix", "highlighter")

    def __init__(self, marker: str, indent: int, prefix: str, highlighter: CodeHighlighter | None):
        self.char = marker[0]
        self.length = len(marker)
        self.indent = indent
        self.prefix = prefix
        self.highlighter = highlighter


class LineRenderer:
    """Turns complete source lines into rendered terminal lines, keeping block state."""

    def __init__(self, width: int = 80, color: bool = True) -> None:
        self.width = 0
        self.set_width(width)
        self.color = color
        self._fence: _Fence | None = None
        self._lists: list[tuple[int, int]] = []  # (source indent, output content column)
        self._in_item = False  # last line was list-item text (for lazy continuations)
        self._held: str | None = None  # a line with a pipe, waiting: is the next a delimiter row?
        self._table: Table | None = None

    def set_width(self, width: int) -> None:
        """Wrap the lines rendered from now on to `width` columns (0: no wrapping)."""
        self.width = width if width and width > 0 else 0

    def line(self, raw: str) -> str:
        """Rendered text (one or more lines, each ending in a newline) for one source line;
        "" while the line is held back as part of a table (or a possible table header)."""
        text = sanitize(raw)
        if self._fence is not None:
            return self._code_line(text)
        text = text.expandtabs(4).rstrip()
        out = ""
        if self._table is not None:
            if "|" in text:
                return self._table_step(lambda table: table.add(text, self._table_room(table)))
            out = self._end_table()
        elif self._held is not None:
            held, self._held = self._held, None
            aligns = delimiter_alignments(text, len(split_cells(held)))
            if aligns is not None:
                self._start_table(held, text, aligns)
                return ""
            out = self._text_line(held)
        if _may_head_table(text):
            self._held = text
            return out
        return out + self._text_line(text)

    def _text_line(self, text: str) -> str:
        body = text.lstrip(" ")
        was_item, self._in_item = self._in_item, False
        return self._block_line(body, len(text) - len(body), was_item) if body else "\n"

    def _block_line(self, body: str, indent: int, was_item: bool) -> str:
        first = body[0]
        if (first in _MARK_STARTS or first.isdecimal()) and (marked := self._marked_line(body, indent)) is not None:
            return marked
        if was_item and indent == 0 and self._lists:
            col = self._lists[-1][1]  # lazy continuation of the item above
        else:
            col = self._nest(indent)
        self._in_item = bool(self._lists)
        return self._block(self._inline(body), [(0, " " * col)])

    def _marked_line(self, body: str, indent: int) -> str | None:
        """A fence, heading, rule, quote, list item or table-like row; None for paragraph text."""
        fence = _FENCE_RE.match(body)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            return self._open_fence(fence.group(1), fence.group(2), indent)
        if indent < 4 and (heading := _HEADING_RE.match(body)):
            return self._heading(len(heading.group(1)), heading.group(2) or "", indent)
        if indent < 4 and _RULE_RE.match(body):
            return self._rule(self._nest(indent))
        if body.startswith(">"):
            return self._quote(body, self._nest(indent))
        if (item := _BULLET_RE.match(body) or _ORDERED_RE.match(body)) is not None:
            self._in_item = True
            return self._list_item(item, indent)
        if body.startswith("|"):
            style = DIM if "-" in body and _TABLE_RULE_CHARS.issuperset(body) else 0
            return emit([(0, " " * self._nest(indent)), (style, body)], self.color) + "\n"
        return None

    def close(self) -> str:
        """Finish the message: draw a held table, close an open fence, forget all state."""
        out = self._end_table() if self._table is not None else ""
        if self._held is not None:
            held, self._held = self._held, None
            out += self._text_line(held)
        fence, self._fence = self._fence, None
        self._lists.clear()
        self._in_item = False
        if fence is None:
            return out
        return out + self._fence_line(fence.prefix, fence.char * fence.length)

    def _start_table(self, header: str, delimiter: str, aligns: list[str]) -> None:
        body = header.lstrip(" ")
        col = self._nest(len(header) - len(body))
        self._in_item = False
        self._table = Table(body, delimiter.lstrip(" "), aligns, " " * col, self.color)

    def _table_room(self, table: Table) -> int:
        return max(self.width - len(table.prefix), MIN_WRAP) if self.width else 0

    def _end_table(self) -> str:
        out = self._table_step(lambda table: table.close(self._table_room(table)))
        self._table = None
        return out

    def _table_step(self, step: Callable[[Table], str]) -> str:
        """Run a drawing step of the open table; if it fails, show the table's source lines."""
        table = self._table
        assert table is not None
        try:
            return step(table)
        except Exception as exc:  # never lose a reply to a rendering bug
            report_failure("drawing a table", exc)
            self._table = None
            return table.raw()

    def _nest(self, indent: int) -> int:
        """Leave the list items a line at `indent` closes; the column its content aligns to."""
        while self._lists and self._lists[-1][0] >= indent:
            self._lists.pop()
        return self._lists[-1][1] if self._lists else 0

    def _inline(self, text: str, base: int = 0) -> list[Span]:
        return inline_spans(text, base, ticks=not self.color)

    def _block(
        self, content: list[Span], prefix: list[Span], first: list[Span] | None = None
    ) -> str:
        """Wrap `content` under `prefix` (`first` replaces it on the first line)."""
        first = prefix if first is None else first
        room = 0
        if self.width:
            room = max(self.width - cell_width("".join(t for _, t in first)), MIN_WRAP)
        lines = wrap(content, room)
        out = [emit(first + lines[0], self.color)]
        out.extend(emit(prefix + line, self.color) for line in lines[1:])
        return "\n".join(out) + "\n"

    def _heading(self, level: int, text: str, indent: int) -> str:
        col = self._nest(indent)
        text = _CLOSING_HASHES_RE.sub("", text)
        style = _HEADING_STYLES[min(level, 3) - 1]
        marks: list[Span] = [] if self.color else [(0, "#" * level + " ")]
        return self._block(marks + self._inline(text, style), [(0, " " * col)])

    def _rule(self, col: int) -> str:
        length = max(self.width - col, 3) if self.width else 40
        return emit([(0, " " * col), (DIM, "─" * length)], self.color) + "\n"

    def _quote(self, body: str, col: int) -> str:
        depth = 0
        while body.startswith(">"):
            body = body[2:] if body.startswith("> ") else body[1:]
            depth += 1
        body = body.strip()
        prefix = [(0, " " * col), (QUOTE | DIM, "│ " * depth)]
        if heading := _HEADING_RE.match(body):
            return self._block(self._inline(heading.group(2) or "", BOLD), prefix)
        if (bullet := _BULLET_RE.match(body)) and not _RULE_RE.match(body):
            marker = [(MARKER, "• ")]
            content = self._inline(bullet.group(1) or "", ITALIC)
            return self._block(content, prefix + [(0, "  ")], prefix + marker)
        return self._block(self._inline(body, ITALIC), prefix)

    def _list_item(self, item: re.Match[str], indent: int) -> str:
        col = self._nest(indent)
        ordered = item.re is _ORDERED_RE
        marker = item.group(1) if ordered else _BULLETS[len(self._lists) % len(_BULLETS)]
        text = (item.group(2) if ordered else item.group(1)) or ""
        content_col = col + cell_width(marker) + 1
        self._lists.append((indent, content_col))
        task = _TASKS.get(text[:4])
        content = self._inline(text[4:] if task else text)
        if task:
            content.insert(0, (MARKER, task))
        first = [(0, " " * col), (MARKER, marker), (0, " ")]
        return self._block(content, [(0, " " * content_col)], first)

    def _open_fence(self, marker: str, info: str, indent: int) -> str:
        prefix = " " * self._nest(indent)
        language = language_of(info)
        highlighter = CodeHighlighter(language) if self.color else None
        self._fence = _Fence(marker, indent, prefix, highlighter)
        return self._fence_line(prefix, marker + info.strip())

    def _fence_line(self, prefix: str, text: str) -> str:
        return prefix + emit([(DIM, text)], self.color) + "\n"

    def _code_line(self, text: str) -> str:
        fence = self._fence
        assert fence is not None
        body = text.lstrip(" ")
        indent = len(text) - len(body)
        closer = body.rstrip()
        is_closer = len(closer) >= fence.length and closer == fence.char * len(closer)
        if is_closer and indent <= fence.indent + 3:
            self._fence = None
            return self._fence_line(fence.prefix, closer)
        code = text[min(indent, fence.indent):]
        if fence.highlighter is not None:
            code = fence.highlighter.line(code)
        return fence.prefix + code + "\n"
