"""Derived per-session files (``meta.json``, ``content.txt``) and rebuilding them from canonical ones.

Derived files are caches. ``meta.json`` records the transcript size it was derived from;
when that no longer matches the transcript, or the file is missing or corrupt, it (and
``content.txt``, which it vouches for) is rebuilt from the transcript.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from smelt_repl.session_core.content import subtitle_of
from smelt_repl.session_core.fsio import file_size, read_bytes
from smelt_repl.session_core.history import History
from smelt_repl.session_core.jsonl import parse_lines

TRANSCRIPT_FILE = "transcript.jsonl"
LEDGER_FILE = "ledger.jsonl"
META_FILE = "meta.json"
CONTENT_FILE = "content.txt"
ATTACHMENTS_DIR = "attachments"
META_FORMAT = "smelt-repl/1"
ROW_FIELDS = (
    "id",
    "title",
    "subtitle",
    "cwd",
    "parent_id",
    "updated_at_ms",
    "created_at_ms",
    "size_bytes",
    "model",
    "message_count",
)


def replay_transcript(session_dir: Path) -> tuple[History, int] | None:
    """Replay ``transcript.jsonl``; None when the session has none. Returns (history, size)."""
    path = session_dir / TRANSCRIPT_FILE
    data = read_bytes(path)
    if data is None:
        return None
    history = History(session_id=session_dir.name)
    for record in parse_lines(data, path):
        history.apply(record)
    return history, len(data)


def build_meta(history: History, *, transcript_size: int, ledger_size: int) -> dict:
    """The meta.json summary of a replayed session."""
    return {
        "format": META_FORMAT,
        "id": history.session_id,
        "title": history.title,
        "subtitle": subtitle_of(history.subtitle()),
        "cwd": history.cwd,
        "parent_id": history.parent_id,
        "created_at_ms": history.created_at_ms,
        "updated_at_ms": history.updated_at_ms or history.created_at_ms,
        "model": history.model,
        "size_bytes": transcript_size + ledger_size,
        "message_count": len(history.messages),
        "messages_ever": history.messages_ever,
        "transcript_size": transcript_size,
    }


def read_fresh_meta(session_dir: Path, transcript_size: int) -> dict | None:
    """meta.json if it is ours, parses, and was derived from a transcript of this size."""
    data = read_bytes(session_dir / META_FILE)
    if data is None:
        return None
    try:
        meta = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if (
        isinstance(meta, dict)
        and meta.get("format") == META_FORMAT
        and meta.get("transcript_size") == transcript_size
        and meta.get("id") == session_dir.name
    ):
        return meta
    return None


def row_from_meta(meta: dict) -> dict:
    """A list() row from a meta.json-shaped dict."""
    return {name: meta.get(name) for name in ROW_FIELDS}


def ledger_size(session_dir: Path) -> int:
    """Size of the ledger in bytes (0 when missing)."""
    return file_size(session_dir / LEDGER_FILE) or 0
