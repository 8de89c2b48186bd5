"""Derived per-session files (``meta.json``, ``content.txt``) and rebuilding them from canonical ones.

Derived files are caches. ``meta.json`` records the transcript size it was derived from;
when that no longer matches the transcript, or the file is missing or corrupt, it (and
``content.txt``, which it vouches for) is rebuilt from the transcript.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import product

import orjson

from smelt_repl.session_core.content import subtitle_of
from smelt_repl.session_core.errors import UnsafeStoreFile
from smelt_repl.session_core.fsio import StoreDir
from smelt_repl.session_core.history import History
from smelt_repl.session_core.jsonl import parse_chunks
from smelt_repl.session_core.tail import read_tail

TRANSCRIPT_FILE = "transcript.jsonl"
LEDGER_FILE = "ledger.jsonl"
META_FILE = "meta.json"
CONTENT_FILE = "content.txt"
ATTACHMENTS_DIR = "attachments"
READ_CHUNK = 1 << 20  # a transcript is parsed as it is read: its bytes and records are not both held
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
_TEXT_FIELDS = ("title", "subtitle", "cwd", "parent_id", "model")
_INT_FIELDS = ("updated_at_ms", "created_at_ms", "size_bytes", "message_count")
_TYPED_FIELDS = _TEXT_FIELDS + _INT_FIELDS
# Every allowed combination of the types of _TYPED_FIELDS: one set lookup checks a row.
_ALLOWED_TYPES = frozenset(product(*[(str, type(None))] * len(_TEXT_FIELDS), *[(int, type(None))] * len(_INT_FIELDS)))


def replay_transcript(directory: StoreDir, session_id: str) -> tuple[History, int] | None:
    """Replay ``transcript.jsonl``; None when the session has none. Returns (history, size).

    The id is the directory's name, whatever the transcript's header says (a copied
    directory is a session of its own).
    """
    try:
        fd = directory.open_file(TRANSCRIPT_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    size = 0

    def chunks() -> Iterator[bytes]:
        nonlocal size
        while chunk := os.read(fd, READ_CHUNK):
            size += len(chunk)
            yield chunk

    history = History(session_id=session_id)
    try:
        for record in parse_chunks(chunks(), f"{directory.path}/{TRANSCRIPT_FILE}"):
            history.apply(record)
    finally:
        os.close(fd)
    history.session_id = session_id
    return history, size


def open_tail(directory: StoreDir, session_id: str, turns: int) -> tuple[History, int, int] | None:
    """The end of the transcript, as far as its last ``turns`` user turns (see ``tail``), when a
    fresh meta.json vouches for the rest: (the tail's history, the live messages before it,
    the size of content.txt); None when the whole transcript must be replayed."""
    try:
        fd = directory.open_file(TRANSCRIPT_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        meta = read_fresh_meta(directory, session_id, size)
        content = directory.size(CONTENT_FILE)
        if meta is None or content is None:
            return None
        tail = read_tail(fd, size, meta, turns, f"{directory.path}/{TRANSCRIPT_FILE}")
    finally:
        os.close(fd)
    return None if tail is None else (*tail, content)


def rebuild_meta(directory: StoreDir, session_id: str) -> tuple[History, dict] | None:
    """Replay the transcript and derive meta.json from it; None when there is no transcript."""
    replayed = replay_transcript(directory, session_id)
    if replayed is None:
        return None
    history, size = replayed
    return history, build_meta(history, transcript_size=size, ledger_size=ledger_size(directory))


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


def read_fresh_meta(directory: StoreDir, session_id: str, transcript_size: int) -> dict | None:
    """meta.json if it is ours, parses, is well-formed and was derived from a transcript of
    this size; None otherwise (it is then rebuilt). A meta.json that is not a regular file is
    never read, and one that cannot be read counts as missing."""
    try:
        data = directory.read(META_FILE)
    except (UnsafeStoreFile, OSError):  # unusable: rebuilt from the transcript
        return None
    return fresh_meta(data, session_id, transcript_size) if data is not None else None


def fresh_meta(data: bytes, session_id: str, transcript_size: int) -> dict | None:
    """The meta.json of ``data`` if it parses, is well-formed and was derived from a
    transcript of this size; None otherwise."""
    try:
        meta = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if (
        valid_row(meta, session_id)
        and meta.get("format") == META_FORMAT
        and meta.get("transcript_size") == transcript_size
        and type(meta.get("messages_ever")) is int
    ):
        return meta
    return None


def valid_row(row: object, session_id: str) -> bool:
    """True when ``row`` is a dict whose id is ``session_id`` and whose list fields have the
    types a list row promises (text or null, integer or null)."""
    return (
        type(row) is dict
        and row.get("id") == session_id
        and tuple(map(type, map(row.get, _TYPED_FIELDS))) in _ALLOWED_TYPES
    )


def ledger_size(directory: StoreDir) -> int:
    """Size of the ledger in bytes (0 when missing or not a regular file)."""
    return directory.size(LEDGER_FILE) or 0
