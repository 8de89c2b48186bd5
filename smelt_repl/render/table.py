"""GitHub-style Markdown tables, drawn with box borders and cells wrapped to fit the width.

Column widths depend on every row, so a table's rows are held back and the whole table is
drawn when a line that is not a row arrives (or the reply ends): a streamed reply and its
replay draw a table alike. Past ``MAX_HELD_ROWS`` rows the widths are fixed and later rows
are drawn as they arrive, so a huge table does not hide the reply until its end. When the
columns cannot get ``MIN_CELL`` cells each (or their whole text, when shorter), rows are
drawn as ``header: value`` lines instead.
"""

from __future__ import annotations

import re

from .ansi import BOLD, DIM, Span, cell_width, emit, sanitize, wrap
from .inline import inline_spans

MAX_HELD_ROWS = 50
MIN_CELL = 6  # narrower columns (unless their text is) break most words: draw stacked rows
_PIPE_RE = re.compile(r"(?<!\\)\|")
_DELIMITER_CELL_RE = re.compile(r":?-+:?")
Cell = list[Span]


def split_cells(line: str) -> list[str]:
    """The cells of a table row: outer pipes dropped, ``\\|`` kept as a literal pipe."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _PIPE_RE.split(body)]


def delimiter_alignments(line: str, columns: int) -> list[str] | None:
    """Alignments ("left", "right", "center") of a delimiter row such as ``|:--|--:|`` with
    `columns` cells; None when `line` is no such row."""
    if "|" not in line or "-" not in line:
        return None
    cells = split_cells(line)
    if len(cells) != columns or not all(_DELIMITER_CELL_RE.fullmatch(cell) for cell in cells):
        return None
    return [_alignment(cell) for cell in cells]


def _alignment(cell: str) -> str:
    if cell.endswith(":"):
        return "center" if cell.startswith(":") else "right"
    return "left"


class Table:
    """One table on its way: the header, then rows held until it can be drawn."""

    def __init__(self, header: str, delimiter: str, aligns: list[str], prefix: str, color: bool) -> None:
        self.prefix = prefix
        self.color = color
        self.aligns = aligns
        self.header = self._cells(split_cells(header), BOLD)
        self.rows: list[list[Cell]] = []
        self.source = [header, delimiter]  # raw lines, shown as they are if drawing fails
        self.widths: list[int] | None = None  # fixed once the table is first drawn
        self.stacked = False
        self.room = 0  # cells the table may take now (0: no limit)

    def add(self, line: str, room: int) -> str:
        """Take one row; the rendered text once rows are no longer held ("" until then)."""
        self.source.append(line)
        self.room = room
        row = self._cells(split_cells(line), 0)
        if self.widths is not None:
            return self._draw_rows([row])
        self.rows.append(row)
        return self._draw_head(room) if len(self.rows) >= MAX_HELD_ROWS else ""

    def close(self, room: int) -> str:
        """The rest of the table, down to its bottom border."""
        self.room = room
        out = self._draw_head(room) if self.widths is None else ""
        if self.stacked:
            return out
        return out + self._border("└", "┴", "┘")

    def raw(self) -> str:
        """The source lines, unrendered (for when drawing fails)."""
        return "".join(self.prefix + sanitize(line) + "\n" for line in self.source)

    def _cells(self, texts: list[str], style: int) -> list[Cell]:
        texts = (texts + [""] * len(self.aligns))[: len(self.aligns)]
        return [inline_spans(text, style, ticks=not self.color) for text in texts]

    def _draw_head(self, room: int) -> str:
        """Fix the column widths from the rows so far; draw the top, the header and them."""
        self.widths = column_widths(self._natural_widths(), room)
        self.stacked = not self.widths
        if self.stacked:
            return self._draw_rows(self.rows)
        head = self._border("┌", "┬", "┐") + self._draw_rows([self.header])
        return head + self._border("├", "┼", "┤") + self._draw_rows(self.rows)

    def _natural_widths(self) -> list[int]:
        rows = [self.header, *self.rows]
        return [max(_width(row[i]) for row in rows) for i in range(len(self.aligns))]

    def _border(self, left: str, middle: str, right: str) -> str:
        assert self.widths is not None
        line = left + middle.join("─" * (width + 2) for width in self.widths) + right
        return self.prefix + emit([(DIM, line)], self.color) + "\n"

    def _draw_rows(self, rows: list[list[Cell]]) -> str:
        if self.stacked:
            return "".join(self._stacked_row(row) for row in rows)
        return "".join(self._draw_row(row) for row in rows)

    def _draw_row(self, row: list[Cell]) -> str:
        assert self.widths is not None
        columns = [fit_cell(cell, width) for cell, width in zip(row, self.widths, strict=True)]
        out = []
        for index in range(max(len(lines) for lines in columns)):
            spans: list[Span] = [(DIM, "│")]
            for lines, width, align in zip(columns, self.widths, self.aligns, strict=True):
                line = lines[index] if index < len(lines) else []
                spans += [(0, " "), *_pad(line, width, align), (0, " "), (DIM, "│")]
            out.append(self.prefix + emit(spans, self.color) + "\n")
        return "".join(out)

    def _stacked_row(self, row: list[Cell]) -> str:
        """A row too wide for columns: one ``header: value`` line per cell, then a rule."""
        out = []
        for name, cell in zip(self.header, row, strict=True):
            label = [(style | DIM, text) for style, text in name] + [(DIM, ": ")]
            first, *rest = wrap(label + cell, max(self.room - 2, MIN_CELL) if self.room else 0)
            out.append(self.prefix + emit(first, self.color) + "\n")
            out += [self.prefix + "  " + emit(line, self.color) + "\n" for line in rest]
        return "".join(out) + self.prefix + emit([(DIM, "─" * MIN_CELL)], self.color) + "\n"


def column_widths(natural: list[int], room: int) -> list[int]:
    """Content widths of the columns in `room` cells (0: no limit), each column's borders and
    padding taken off first. Narrow columns keep their width and wide ones share the rest;
    [] when the columns cannot have ``MIN_CELL`` cells each (or less, if they need less)."""
    natural = [max(width, 1) for width in natural]
    if room <= 0:
        return natural
    available = room - 1 - 3 * len(natural)
    if sum(natural) <= available:
        return natural
    if available < sum(min(width, MIN_CELL) for width in natural):
        return []
    widths = list(natural)
    order = sorted(range(len(natural)), key=natural.__getitem__)
    left = available
    for done, index in enumerate(order):
        widths[index] = min(natural[index], left // (len(order) - done))
        left -= widths[index]
    for index in reversed(order):  # what integer division left over goes to the widest
        extra = min(left, natural[index] - widths[index])
        widths[index] += extra
        left -= extra
    return widths


def fit_cell(cell: Cell, width: int) -> list[Cell]:
    """A cell's text word-wrapped to `width`; a word longer than that is broken."""
    lines: list[Cell] = []
    for line in wrap(cell, width):
        lines += _break(line, width) if _width(line) > width else [line]
    return lines or [[]]


def _break(line: Cell, width: int) -> list[Cell]:
    out: list[Cell] = [[]]
    used = 0
    for style, text in line:
        for char in text:
            size = cell_width(char)
            if used + size > width and out[-1]:
                out.append([])
                used = 0
            out[-1].append((style, char))
            used += size
    return out


def _pad(line: Cell, width: int, align: str) -> Cell:
    gap = max(0, width - _width(line))
    before = gap // 2 if align == "center" else gap if align == "right" else 0
    return [(0, " " * before), *line, (0, " " * (gap - before))]


def _width(spans: Cell) -> int:
    return cell_width("".join(text for _, text in spans))
