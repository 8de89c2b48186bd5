"""Reading JSON-lines logs that may hold a torn or corrupt line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import orjson

log = logging.getLogger("smelt.session_core")


def dumps_line(record: dict) -> bytes:
    """One record as a JSON line (orjson, newline-terminated)."""
    return orjson.dumps(record) + b"\n"


def parse_lines(data: bytes, source: Path | str) -> Iterator[dict]:
    """Yield every JSON object line of ``data``; skip (and log) torn or corrupt lines."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("%s:%d: skipped a corrupt or torn line (%d bytes)", source, number, len(raw))
            continue
        if not isinstance(record, dict):
            log.warning("%s:%d: skipped a line that is not a JSON object", source, number)
            continue
        yield record
