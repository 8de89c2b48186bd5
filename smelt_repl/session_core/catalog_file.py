"""The catalog's file: ``<root>/.catalog/catalog.json``, one compact record per session.

The file lives in a directory of its own so that replacing it leaves the root's mtime alone:
that mtime then tells a lister whether sessions appeared or vanished since the last listing.
Its first line is a header (version, CRC-32 of the body); the body holds the root's mtime
as last scanned (null when it cannot be trusted), the root entries that are not listed
sessions, and the records, newest first, as arrays (``RECORD_FIELDS``): a tenth of the
decoding work of one object per row. A catalog of version 3 (``<root>/.catalog.json``, rows
as objects) is read once, checked like any catalog read from disk, and replaced.

Nothing here follows a symlink: ``.catalog`` is opened without following one (a symlink or
file in its place is replaced by a real directory), and the file is read only if regular.
"""

from __future__ import annotations

import gc
import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson

from smelt_repl.session_core.derived import ROW_FIELDS
from smelt_repl.session_core.errors import SessionError
from smelt_repl.session_core.fsio import StoreDir
from smelt_repl.session_core.jsonl import to_json

CATALOG_DIR = ".catalog"
CATALOG_NAME = "catalog.json"
OLD_CATALOG_FILE = ".catalog.json"  # version 3, at the root
CATALOG_VERSION = 4
RECORDS_PER_LINE = 1000
STAMP_FIELDS = ("stamp_size", "stamp_mtime_ns", "stamp_legacy")
RECORD_FIELDS = ROW_FIELDS + STAMP_FIELDS
RECORD_LEN = len(RECORD_FIELDS)
ID, UPDATED, STAMP = 0, ROW_FIELDS.index("updated_at_ms"), len(ROW_FIELDS)
LEGACY = STAMP + 2
LABEL = "the session catalog"

Record = list  # RECORD_FIELDS in order: a list row, then the stamp of its canonical file


@dataclass
class CatalogData:
    """What the catalog file holds."""

    records: dict[str, Record] = field(default_factory=dict)  # newest first
    root_mtime_ns: int | None = None  # the root's mtime when it was last scanned
    others: list[str] = field(default_factory=list)  # root entries that are not listed sessions
    upgraded: bool = False  # read from a version-3 file


def row_of(record: Record) -> dict:
    """A fresh list row (``ROW_FIELDS``) from a record. Spelled out, not ``dict(zip(...))``:
    a literal builds the 10k rows of a first listing three times faster."""
    return {"id": record[0], "title": record[1], "subtitle": record[2], "cwd": record[3], "parent_id": record[4],
            "updated_at_ms": record[5], "created_at_ms": record[6], "size_bytes": record[7], "model": record[8],
            "message_count": record[9]}


def newest_first(records: dict[str, Record]) -> list[Record]:
    """The records sorted by update time, newest first (already sorted ones cost one pass)."""
    return sorted(records.values(), key=_updated_key, reverse=True)


def _updated_key(record: Record) -> int:
    value = record[UPDATED]
    return value if type(value) is int else 0


def encode_catalog(data: CatalogData) -> bytes:
    """The catalog file's bytes (see ``catalog_parts``)."""
    return b"".join(catalog_parts(data))


def catalog_parts(data: CatalogData) -> list[bytes]:
    """The catalog file in parts to be written one after the other: a header line (version,
    CRC-32 of the rest), a line of what the root held, then lines of up to
    ``RECORDS_PER_LINE`` records (decoded one at a time, the parser's transient copy of a
    10 MB catalog stays small). Never joined, the 10 MB are held once, not three times."""
    records = list(data.records.values())
    parts = [to_json({"root_mtime_ns": data.root_mtime_ns, "others": data.others})]
    for i in range(0, len(records), RECORDS_PER_LINE):
        parts += (b"\n", to_json(records[i : i + RECORDS_PER_LINE]))
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return [to_json({"v": CATALOG_VERSION, "crc32": crc}) + b"\n", *parts]


def decode_catalog(data: bytes) -> CatalogData | None:
    """What a catalog file holds; None unless it is intact and of version 3 or 4.

    The checksum stands in for checking every record's fields on each process's first
    listing (too slow for 50k rows): a hand-edited catalog is rebuilt, and readers of rows
    still tolerate fields of an odd type. A malformed record is dropped, and the root is then
    scanned again (its mtime is no longer trusted)."""
    view = memoryview(data)
    cut = data.find(b"\n")
    header = orjson.loads(view[:cut] if cut >= 0 else view)
    if not isinstance(header, dict) or cut < 0 or header.get("crc32") != zlib.crc32(view[cut + 1:]):
        return None
    if header.get("v") == 3:
        content = orjson.loads(view[cut + 1:])
        return _from_version_3(content) if isinstance(content, dict) else None
    lines = _lines(data, cut + 1)
    content = orjson.loads(view[next(lines, slice(0))])
    if header.get("v") != CATALOG_VERSION or not isinstance(content, dict):
        return None
    records, count = {}, 0
    with gc_paused():
        for line in lines:
            chunk = orjson.loads(view[line])
            if type(chunk) is not list:
                return None
            count += len(chunk)
            records.update({r[ID]: r for r in chunk if type(r) is list and len(r) == RECORD_LEN and type(r[ID]) is str})
    mtime, others = content.get("root_mtime_ns"), content.get("others")
    trusted = type(mtime) is int and len(records) == count and _str_list(others)
    return CatalogData(records, mtime if trusted else None, others if trusted else [])


def _lines(data: bytes, start: int) -> Iterator[slice]:
    """The lines of ``data`` from ``start`` on, as slices (no copies)."""
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield slice(start, end)
        start = end + 1


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector: decoding makes 50k lists (and listing 50k row dicts) that
    hold no cycles, and the collections they trigger cost more than the making."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _from_version_3(content: dict) -> CatalogData | None:
    rows, stamps = content.get("rows"), content.get("stamps")
    if not isinstance(rows, dict) or not isinstance(stamps, dict):
        return None
    records = {}
    for sid, row in rows.items():
        stamp = stamps.get(sid)
        if type(row) is dict and type(stamp) is list and len(stamp) == 3:
            records[sid] = [row.get(name) for name in ROW_FIELDS] + stamp
    return CatalogData(records, upgraded=True)


def _str_list(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def read_catalog(root: StoreDir) -> tuple[CatalogData | None, tuple[int, int, int] | None]:
    """The catalog and the key (inode, mtime, size) of the file it came from; (None, None)
    when there is none or it is unusable (it is then rebuilt)."""
    try:
        with root.subdir(CATALOG_DIR, LABEL) as directory:
            st = directory.lstat(CATALOG_NAME)
            if st is None:
                return _read_old(root), None
            if not stat.S_ISREG(st.st_mode):
                return None, None
            raw = directory.read(CATALOG_NAME)
    except FileNotFoundError:
        return _read_old(root), None
    except (OSError, SessionError):
        return None, None
    try:
        data = decode_catalog(raw or b"")
    except orjson.JSONDecodeError:
        return None, None
    return data, (st.st_ino, st.st_mtime_ns, st.st_size) if data is not None else None


def cache_key(root: StoreDir) -> tuple[int, int, int] | None:
    """The key of the catalog file now on disk (None when there is none)."""
    try:
        st = os.stat(f"{CATALOG_DIR}/{CATALOG_NAME}", dir_fd=root.fd, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size) if stat.S_ISREG(st.st_mode) else None


def _read_old(root: StoreDir) -> CatalogData | None:
    try:
        data = decode_catalog(root.read(OLD_CATALOG_FILE) or b"")
    except (orjson.JSONDecodeError, OSError, SessionError):
        return None
    return data if data is not None and data.upgraded else None


def write_catalog(root: StoreDir, data: CatalogData) -> tuple[int, int, int] | None:
    """Replace the catalog file atomically; returns its new key. A version-3 file is removed
    once its successor is written."""
    with _open_catalog_dir(root) as directory:
        directory.atomic_write(CATALOG_NAME, catalog_parts(data), fsync=False)
    if data.upgraded:
        try:
            os.unlink(OLD_CATALOG_FILE, dir_fd=root.fd)  # a symlink there: the link, never its target
        except OSError:
            pass
    return cache_key(root)


def _open_catalog_dir(root: StoreDir) -> StoreDir:
    """``.catalog``, created if missing; a symlink or file in its place is replaced."""
    for last_try in (False, True):
        try:
            return root.subdir(CATALOG_DIR, LABEL)
        except (FileNotFoundError, SessionError):
            if last_try:
                raise
            st = root.lstat(CATALOG_DIR)
            if st is not None and not stat.S_ISDIR(st.st_mode):
                os.unlink(CATALOG_DIR, dir_fd=root.fd)
            root.make_dir(CATALOG_DIR)
    raise AssertionError("unreachable")
