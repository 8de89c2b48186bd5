"""Terminal text primitives: style flags, SGR emission, cell width, word wrap, escapes.

A rendered line is a list of spans ``(style, text)`` where ``style`` is a bit mask of the
flags below; :func:`emit` turns spans into ANSI (or plain) text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

BOLD, DIM, ITALIC, UNDERLINE, STRIKE, HEADING, MARKER, QUOTE, CODE, LINK, URL = (
    1 << bit for bit in range(11)
)

Span = tuple[int, str]

# Later entries win when two flags set the foreground (code inside a heading is cyan).
_SGR_PARTS = (
    (BOLD, "1"),
    (DIM, "2"),
    (ITALIC, "3"),
    (UNDERLINE, "4"),
    (STRIKE, "9"),
    (HEADING, "35"),
    (MARKER, "33"),
    (QUOTE, "32"),
    (CODE, "36"),
    (LINK, "4;34"),
    (URL, "2"),
)
RESET = "\x1b[0m"
_sgr_cache: dict[int, str] = {0: RESET}

_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# C0/C1 controls (except tab) and lone surrogates: unsafe to print or unencodable.
_UNSAFE_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_WORDS_RE = re.compile(r"\s+|\S+")
# C0 and C1 controls and DEL: no cells of their own (wcswidth says -1 for the whole string).
_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])

_wcswidth: Callable[[str], int] | None = None  # wcwidth.wcswidth, imported on first use


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences, leaving the visible text."""
    return _ANSI_RE.sub("", text)


def sanitize(text: str) -> str:
    """Replace control characters and lone surrogates so model output can't drive the terminal."""
    if _UNSAFE_RE.search(text) is None:
        return text
    return _UNSAFE_RE.sub("\ufffd", text)


def cell_width(text: str) -> int:
    """Columns `text` occupies in a terminal, as wcwidth counts them.

    Wide East Asian characters and emoji take 2 (a ZWJ sequence such as 👨‍👩‍👧 is one
    emoji), combining marks 0; ANSI escape sequences and control characters take none.
    """
    if text.isascii() and text.isprintable():
        return len(text)
    global _wcswidth
    if _wcswidth is None:
        from wcwidth import wcswidth as _wcswidth  # ~30 ms, so not at import time
    if "\x1b" in text:
        text = strip_ansi(text)
    width = _wcswidth(text)
    return width if width >= 0 else _wcswidth(text.translate(_CONTROLS))


def sgr(style: int) -> str:
    """The escape sequence that resets attributes and then sets `style`."""
    code = _sgr_cache.get(style)
    if code is None:
        params = ";".join(part for flag, part in _SGR_PARTS if style & flag)
        code = _sgr_cache[style] = f"\x1b[0;{params}m"
    return code


def emit(spans: list[Span], color: bool) -> str:
    """Spans as one string: styled with SGR codes (reset at the end) or plain."""
    if not color:
        return "".join(text for _, text in spans)
    out: list[str] = []
    current = 0
    for style, text in spans:
        if not text:
            continue
        if style != current:
            out.append(sgr(style))
            current = style
        out.append(text)
    if current:
        out.append(RESET)
    return "".join(out)


def wrap(spans: list[Span], width: int) -> list[list[Span]]:
    """Greedy word wrap of spans to `width` columns; words are never split (0 = no wrap)."""
    if width <= 0:
        return [spans]
    text = "".join(text for _, text in spans)
    if text.isascii() and text.isprintable():  # the usual line: a column per character
        return [spans] if len(text) <= width else _wrap_ascii(spans, text, width)
    if cell_width(text) <= width:
        return [spans]
    lines: list[list[Span]] = []
    line: list[Span] = []
    used = 0
    gap: list[Span] = []
    gap_width = 0
    for is_space, pieces, piece_width in _words(spans):
        if is_space:
            if line:
                gap.extend(pieces)
                gap_width += piece_width
            continue
        if line and used + gap_width + piece_width > width:
            lines.append(line)
            line, used = [], 0
        elif line:
            line.extend(gap)
            used += gap_width
        gap, gap_width = [], 0
        line.extend(pieces)
        used += piece_width
    lines.append(line)
    return lines


def _wrap_ascii(spans: list[Span], text: str, width: int) -> list[list[Span]]:
    """`wrap` of spans whose joined `text` is printable ASCII (its only blank: the space):
    lines found on the text by offsets, a few string searches a line, then cut out of the
    spans, in time linear in the text."""
    ranges: list[tuple[int, int]] = []
    stop = len(text.rstrip(" "))  # the end of the last word
    start = len(text) - len(text.lstrip(" "))  # the start of the line's first word
    if start >= stop:
        return [[]]
    while stop - start > width:
        end = text.rfind(" ", start, start + width + 1)  # the last gap the line reaches
        if end < 0:  # the first word alone is wider than the line: it has a line of its own
            end = text.find(" ", start)
            if end < 0 or end >= stop:
                break
        while text[end - 1] == " ":
            end -= 1
        ranges.append((start, end))
        start = end + 1
        while text[start] == " ":
            start += 1
    ranges.append((start, stop))
    return _cut(spans, ranges)


def _cut(spans: list[Span], ranges: list[tuple[int, int]]) -> list[list[Span]]:
    """The parts of `spans` (their text taken end to end) inside each of `ranges` (in order)."""
    lines: list[list[Span]] = []
    bounds = iter(ranges)
    low, high = next(bounds)
    line: list[Span] = []
    offset = 0
    for style, piece in spans:
        span_end = offset + len(piece)
        while True:
            if piece and low < span_end and high > offset:
                line.append((style, piece[max(low - offset, 0):high - offset]))
            if high > span_end:
                break
            lines.append(line)
            line = []
            low, high = next(bounds, (-1, -1))
            if low < 0:
                return lines
        offset = span_end
    return lines


def _words(spans: list[Span]) -> list[tuple[bool, list[Span], int]]:
    """Group span text into runs of whitespace and words; a word may cross span borders."""
    runs: list[tuple[bool, list[Span], int]] = []
    for style, text in spans:
        for match in _WORDS_RE.finditer(text):
            piece = match.group()
            is_space = piece[0].isspace()
            if runs and runs[-1][0] == is_space:
                last = runs[-1]
                last[1].append((style, piece))
                runs[-1] = (is_space, last[1], last[2] + cell_width(piece))
            else:
                runs.append((is_space, [(style, piece)], cell_width(piece)))
    return runs
