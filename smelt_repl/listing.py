"""Formatting session rows for ``--list`` and the ``:sessions`` picker."""

from __future__ import annotations

import time
from collections.abc import Iterable

from smelt_repl.session_core.content import clip

LABEL_LIMIT = 60


def format_session_rows(rows: Iterable[dict]) -> list[str]:
    """One line per row: short id, updated time, title (else first user message), cwd."""
    return [format_session_row(row) for row in rows]


def format_session_row(row: dict) -> str:
    """``abcd1234  2026-11-25 13:09  title  ~/project``."""
    label = row.get("title") or row.get("subtitle") or "(no message)"
    label = clip(" ".join(str(label).split()), LABEL_LIMIT)  # a title may span lines: join them
    return f"{row['id'][:8]}  {format_time(row.get('updated_at_ms'))}  {label}  {row.get('cwd') or ''}".rstrip()


def format_time(ms: int | None) -> str:
    """Local time of an epoch-ms timestamp, minutes resolution ('-' when unknown)."""
    if not ms:
        return "-               "
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
