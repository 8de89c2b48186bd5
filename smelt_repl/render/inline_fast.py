"""The inline markdown of most lines, parsed without markdown-it: code spans and ``*`` /
``_`` emphasis, by CommonMark's rules for them (spec 0.31, "Code spans" and "Emphasis and
strong emphasis": delimiter runs, flanking, the rule of 3, the openers' bottom).

``inline.py`` hands a line here when its only markup characters are backticks, ``*``, ``_``
and ``!`` (which means nothing without a ``[``); a line with a link, an escape, an entity,
an autolink or a strikethrough goes to markdown-it. Importing markdown-it costs ~35 ms,
which was most of what a resumed session paid before its last turns showed. The spans are
the same as markdown-it's (up to how runs of one style are split), which
``tests/test_inline_fast.py`` checks on random lines.
"""

from __future__ import annotations

import re
import unicodedata

from .ansi import BOLD, CODE, ITALIC, Span

HANDLED = re.compile(r"[^\[\]<\\&~]*")  # a line this matches whole has no markup but ours
_SPECIAL = re.compile(r"[`*_]")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_WHITESPACE = frozenset("\t\n\v\f\r \xa0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))))


class _Run:
    """A run of ``*`` or ``_``: how many are left unmatched, and what it can do."""

    __slots__ = ("char", "length", "left", "can_open", "can_close", "node")

    def __init__(self, char: str, length: int, can_open: bool, can_close: bool, node: int) -> None:
        self.char = char
        self.length = length  # the run's length as written (the rule of 3 counts it)
        self.left = length
        self.can_open = can_open
        self.can_close = can_close
        self.node = node  # its index among the line's nodes


def simple_spans(text: str, base: int = 0, ticks: bool = False) -> list[Span]:
    """Spans of a line of text, code spans and emphasis (see ``HANDLED``), each styled on
    top of ``base``; code keeps its backticks when ``ticks`` is set."""
    nodes: list[list] = []  # [style, text] or [style, run] or [style, code text, True]
    runs: list[_Run] = []
    _scan(text, nodes, runs)
    if runs:
        _match_emphasis(nodes, runs)
    spans: list[Span] = []
    for node in nodes:
        style, part = node[0] | base, node[1]
        if isinstance(part, _Run):
            if part.left:
                spans.append((style, part.char * part.left))
        elif len(node) == 3:
            spans.append((style | CODE, f"`{part}`" if ticks else part))
        elif part:
            spans.append((style, part))
    return spans


def _scan(text: str, nodes: list[list], runs: list[_Run]) -> None:
    """Split ``text`` into plain text, code spans and delimiter runs, left to right."""
    end = len(text)
    plain_from = pos = 0
    while (special := _SPECIAL.search(text, pos)) is not None:
        start = special.start()
        char = text[start]
        stop = start + 1
        while stop < end and text[stop] == char:
            stop += 1
        if char == "`":
            close = _closing_ticks(text, stop, stop - start)
            if close < 0:  # no closing run of the same length: the backticks are text
                pos = stop
                continue
            nodes.append([0, text[plain_from:start]])
            nodes.append([0, _code_content(text[stop:close]), True])
            plain_from = pos = close + stop - start
            continue
        nodes.append([0, text[plain_from:start]])
        run = _Run(char, stop - start, *_flanks(text, start, stop, char), len(nodes))
        nodes.append([0, run])
        runs.append(run)
        plain_from = pos = stop
    nodes.append([0, text[plain_from:]])


def _closing_ticks(text: str, start: int, length: int) -> int:
    """Where the next run of exactly ``length`` backticks from ``start`` begins, or -1."""
    while (found := text.find("`", start)) >= 0:
        stop = found + 1
        while stop < len(text) and text[stop] == "`":
            stop += 1
        if stop - found == length:
            return found
        start = stop
    return -1


def _code_content(code: str) -> str:
    """A code span's text: one space stripped from each end when both have one."""
    if code.startswith(" ") and code.endswith(" ") and code.strip(" "):
        return code[1:-1]
    return code


def _is_punct(char: str) -> bool:
    return char in _ASCII_PUNCT or unicodedata.category(char)[0] in "PS"


def _flanks(text: str, start: int, stop: int, char: str) -> tuple[bool, bool]:
    """Whether the run ``text[start:stop]`` of ``char`` can open and can close emphasis."""
    before = text[start - 1] if start else " "  # a line's ends count as whitespace
    after = text[stop] if stop < len(text) else " "
    space_before, space_after = before in _WHITESPACE, after in _WHITESPACE
    punct_before, punct_after = _is_punct(before), _is_punct(after)
    left = not space_after and (not punct_after or space_before or punct_before)
    right = not space_before and (not punct_before or space_after or punct_after)
    if char == "*":
        return left, right
    return left and (not right or punct_before), right and (not left or punct_after)


def _match_emphasis(nodes: list[list], runs: list[_Run]) -> None:
    """Pair openers with closers (CommonMark's "process emphasis"), styling what lies
    between each pair: one delimiter from each side is emphasis, two are strong."""
    bottoms: dict[tuple[str, bool, int], int] = {}  # no opener for such a closer at or below this node
    current = 0
    while current < len(runs):
        closer = runs[current]
        if not closer.can_close:
            current += 1
            continue
        key = (closer.char, closer.can_open, closer.length % 3)
        bottom = bottoms.get(key, -1)
        index = current - 1
        while index >= 0 and runs[index].node > bottom and not _pairs(runs[index], closer):
            index -= 1
        if index < 0 or runs[index].node <= bottom:
            bottoms[key] = runs[current - 1].node if current else -1
            if closer.can_open:
                current += 1
            else:
                del runs[current]
            continue
        opener = runs[index]
        used = 2 if opener.left >= 2 and closer.left >= 2 else 1
        flag = BOLD if used == 2 else ITALIC
        for node in nodes[opener.node + 1:closer.node]:
            node[0] |= flag
        opener.left -= used
        closer.left -= used
        del runs[index + 1:current]
        current = index + 1
        if not opener.left:
            del runs[index]
            current = index
        if not closer.left:
            del runs[current]


def _pairs(opener: _Run, closer: _Run) -> bool:
    """Whether ``opener`` can take ``closer``: same character, and the rule of 3."""
    if opener.char != closer.char or not opener.can_open:
        return False
    if opener.can_close or closer.can_open:
        total = opener.length + closer.length
        return total % 3 != 0 or (opener.length % 3 == 0 and closer.length % 3 == 0)
    return True
