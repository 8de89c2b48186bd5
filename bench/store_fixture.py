"""A large sessions store for the benchmarks, written directly in the canonical format.

Going through ``SessionStore`` costs ~1 ms a session; writing the files here costs a tenth
of that, so a 50k store takes seconds. The files are what a closed session leaves behind:
``transcript.jsonl``, a fresh ``meta.json`` and ``content.txt``, and ``lock``.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
BASE_MS = 1_700_000_000_000


def _write(name: str, data: bytes, dir_fd: int) -> None:
    fd = os.open(name, _FLAGS, 0o600, dir_fd=dir_fd)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def session_files(session_id: str, i: int, *, with_text: bool = True) -> dict[str, bytes]:
    """The files of the ``i``-th two-message session of the fixture."""
    created = BASE_MS + i * 1000
    cwd = f"/project/{i % 50}"
    question = f"question {i}: how do I frobnicate the widget?"
    answer = f"answer {i}: " + "use the frobnicator. " * 20
    records = [
        {"type": "session", "v": 1, "id": session_id, "created_at_ms": created, "cwd": cwd, "parent_id": None,
         "model": None},
        {"type": "message", "role": "user", "content": question, "ts_ms": created + 1},
        {"type": "message", "role": "assistant", "content": answer, "ts_ms": created + 2},
    ]
    transcript = b"".join(orjson.dumps(record) + b"\n" for record in records)
    meta = {"format": "smelt-repl/1", "id": session_id, "title": None, "subtitle": question, "cwd": cwd,
            "parent_id": None, "created_at_ms": created, "updated_at_ms": created + 2, "model": None,
            "size_bytes": len(transcript), "message_count": 2, "messages_ever": 2,
            "transcript_size": len(transcript)}
    files = {"transcript.jsonl": transcript, "meta.json": orjson.dumps(meta)}
    if with_text:  # what a closed session also leaves behind; listing never reads them
        files |= {"content.txt": f"{question}\n{answer}".encode(), "lock": b""}
    return files


def build_store(root: Path, count: int, start: int = 0, *, with_text: bool = True) -> list[str]:
    """Add ``count`` closed two-message sessions to ``root``; returns their ids. Without
    ``with_text`` only the files a listing reads are written (twice as fast)."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    ids = []
    try:
        for i in range(start, start + count):
            session_id = os.urandom(32).hex()
            os.mkdir(session_id, 0o700, dir_fd=root_fd)
            dir_fd = os.open(session_id, os.O_RDONLY | os.O_DIRECTORY, dir_fd=root_fd)
            try:
                for name, data in session_files(session_id, i, with_text=with_text).items():
                    _write(name, data, dir_fd)
            finally:
                os.close(dir_fd)
            ids.append(session_id)
    finally:
        os.close(root_fd)
    return ids
