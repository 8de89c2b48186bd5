"""Inline markdown (emphasis, code spans, links) as styled spans.

Lines without markup characters skip parsing; lines whose only markup is code spans and
``*`` / ``_`` emphasis (most of them) are parsed by ``inline_fast``; the rest by
markdown-it-py's CommonMark inline parser, imported on first need (~35 ms).
"""

from __future__ import annotations

import re
from typing import Any

from .ansi import BOLD, CODE, ITALIC, LINK, STRIKE, URL, Span
from .failures import report_failure
from .inline_fast import HANDLED, simple_spans

# Longer lines are shown as-is: markdown-it link parsing is quadratic in such lines.
MAX_INLINE_CHARS = 10_000
_MARKUP_RE = re.compile(r"[*_`\[\]<\\&~!]")
_OPENERS = {"strong_open": BOLD, "em_open": ITALIC, "s_open": STRIKE, "link_open": LINK}
_CLOSERS = {"strong_close", "em_close", "s_close", "link_close"}

_parser: Any = None


def _markdown() -> Any:
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    return _parser


def inline_spans(text: str, base: int = 0, ticks: bool = False) -> list[Span]:
    """Spans for one line of inline markdown, each styled on top of `base`.

    Markers are consumed; links become their text followed by the dimmed URL; code spans
    keep their backticks only when `ticks` is set (plain output, where colour can't show them).
    """
    if len(text) > MAX_INLINE_CHARS or _MARKUP_RE.search(text) is None:
        return [(base, text)]
    try:
        if HANDLED.fullmatch(text):
            return simple_spans(text, base, ticks)
        tokens = _markdown().parseInline(text)
        children = tokens[0].children if tokens else None
        return _spans(children, base, ticks) if children else [(base, text)]
    except Exception as exc:  # a parser bug must not cost the reply: show the line raw
        report_failure("inline markdown", exc)
        return [(base, text)]


def _spans(children: list[Any], base: int, ticks: bool) -> list[Span]:
    spans: list[Span] = []
    styles = [base]
    links: list[tuple[str, int]] = []  # (href, index of the link's first span)
    for token in children:
        kind = token.type
        if kind in _OPENERS:
            styles.append(styles[-1] | _OPENERS[kind])
            if kind == "link_open":
                links.append((str(token.attrGet("href") or ""), len(spans)))
        elif kind in _CLOSERS:
            if len(styles) > 1:
                styles.pop()
            if kind == "link_close" and links:
                href, start = links.pop()
                _add_url(spans, href, "".join(t for _, t in spans[start:]), styles[-1])
        elif kind == "code_inline":
            code = f"`{token.content}`" if ticks else token.content
            spans.append((styles[-1] | CODE, code))
        elif kind == "image":
            spans.append((styles[-1] | ITALIC, token.content or "image"))
            _add_url(spans, str(token.attrGet("src") or ""), "", styles[-1])
        elif kind in ("softbreak", "hardbreak"):
            spans.append((styles[-1], " "))
        else:
            spans.append((styles[-1], token.content))
    return spans


def _add_url(spans: list[Span], href: str, shown: str, style: int) -> None:
    """Append ` (url)` dimmed unless the visible text already is the URL."""
    if not href:
        return
    url = _markdown().normalizeLinkText(href)
    if url not in (shown, "mailto:" + shown):
        spans.append((style | URL, f" ({url})"))
