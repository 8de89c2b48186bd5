"""Formatting session rows for ``--list`` and the ``:sessions`` picker.

Titles, first messages and cwds come from session files anyone could have written: control
characters in them are shown escaped (``\\x1b``), so a row can neither retitle the terminal
nor forge other rows.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable

from smelt_repl.session_core.content import clip

LABEL_LIMIT = 60
NO_TIME = "-               "  # as wide as a formatted time
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSHOWN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, lone surrogates, line breaks
# Bidirectional overrides and isolates reorder what follows them on screen.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def format_session_rows(rows: Iterable[dict]) -> list[str]:
    """One line per row: short id, updated time, title (else first user message), cwd."""
    return [format_session_row(row) for row in rows]


def format_session_row(row: dict, prefix: str = "") -> str:
    """``abcd1234  2026-11-25 13:09  title  ~/project`` (``prefix``, a fork's tree gutter,
    goes before the title)."""
    label = row.get("title") or row.get("subtitle") or "(no message)"
    label = clip(" ".join(str(label).split()), LABEL_LIMIT)  # a title may span lines: join them
    short_id = escape_controls(str(row.get("id"))[:8])
    cwd = escape_controls(str(row.get("cwd") or ""))
    return f"{short_id}  {format_time(row.get('updated_at_ms'))}  {prefix}{escape_controls(label)}  {cwd}".rstrip()


def escape_controls(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1), line and paragraph separators, bidi
    overrides and lone surrogates shown as escapes (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in _UNSHOWN_CATEGORIES:
        return ch
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def format_time(ms: object) -> str:
    """Local time of an epoch-ms timestamp, minutes resolution ('-' when unknown or absurd)."""
    if type(ms) is not int or ms <= 0:
        return NO_TIME
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
    except (OverflowError, ValueError, OSError):
        return NO_TIME
