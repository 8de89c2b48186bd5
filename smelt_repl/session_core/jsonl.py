"""JSON for the store: writing records (any text made storable) and reading JSON-lines logs
that may hold a torn or corrupt line."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

log = logging.getLogger("smelt.session_core")


def to_json(value: object) -> bytes:
    """``value`` as JSON (orjson). Text holding lone surrogates, which orjson refuses, is
    written with U+FFFD in their place (a surrogate pair becomes its character), so a message
    is always saved."""
    return _dump(value)[0]


def dumps_line(record: dict) -> bytes:
    """One record as a JSON line (newline-terminated), see ``to_json``."""
    return _dump(record)[0] + b"\n"


def stored_line(record: dict) -> tuple[bytes, dict]:
    """``record`` as a JSON line, and the record as it was written (repaired, see ``to_json``)."""
    data, written = _dump(record)
    return data + b"\n", written  # type: ignore[return-value]


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of ``text``, lone surrogates written as U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return clean_text(text).encode("utf-8")


def _dump(value: object) -> tuple[bytes, object]:
    try:
        return orjson.dumps(value), value
    except TypeError:
        clean = storable(value)
        return orjson.dumps(clean), clean


def storable(value: object) -> object:
    """``value`` with every str (keys too) that holds surrogates repaired, as ``to_json`` writes it."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value


def clean_text(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def parse_lines(data: bytes, source: Path | str) -> Iterator[dict]:
    """Yield every JSON object line of ``data``; skip (and log) torn or corrupt lines."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        record = _parse_line(raw, source, number)
        if record is not None:
            yield record


def parse_chunks(chunks: Iterable[bytes], source: Path | str) -> Iterator[dict]:
    """``parse_lines`` of the concatenation of ``chunks``, never holding all of it at once
    (a long transcript is read a chunk at a time: its bytes and its records are not both in
    memory)."""
    number, rest = 0, b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for raw in lines:
            number += 1
            record = _parse_line(raw, source, number)
            if record is not None:
                yield record
    record = _parse_line(rest, source, number + 1)
    if record is not None:
        yield record


def _parse_line(raw: bytes, source: Path | str, number: int) -> dict | None:
    if not raw.strip():
        return None
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.warning("%s:%d: skipped a corrupt or torn line (%d bytes)", source, number, len(raw))
        return None
    if not isinstance(record, dict):
        log.warning("%s:%d: skipped a line that is not a JSON object", source, number)
        return None
    return record
