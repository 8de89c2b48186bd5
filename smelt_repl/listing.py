"""Formatting session rows for ``--list`` and the ``:sessions`` picker."""

from __future__ import annotations

import time
from collections.abc import Iterable


def format_session_rows(rows: Iterable[dict]) -> list[str]:
    """One line per row: short id, updated time, title (else first user message), cwd."""
    return [format_session_row(row) for row in rows]


def format_session_row(row: dict) -> str:
    """``abcd1234  2026-11-25 13:09  title  ~/project``."""
    label = row.get("title") or row.get("subtitle") or "(no message)"
    label = " ".join(str(label).split())
    if len(label) > 60:
        label = label[:59] + "…"
    return f"{row['id'][:8]}  {format_time(row.get('updated_at_ms'))}  {label}  {row.get('cwd') or ''}".rstrip()


def format_time(ms: int | None) -> str:
    """Local time of an epoch-ms timestamp, minutes resolution ('-' when unknown)."""
    if not ms:
        return "-               "
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
