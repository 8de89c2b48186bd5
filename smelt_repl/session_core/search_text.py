"""A session's searchable text (``content.txt``): read when fresh, else rebuilt from the
canonical file and cached, unless a live process owns the session (it keeps its own)."""

from __future__ import annotations

from pathlib import Path

from smelt_repl.session_core.content import search_blob
from smelt_repl.session_core.derived import CONTENT_FILE, META_FILE, TRANSCRIPT_FILE, read_fresh_meta, rebuild_meta
from smelt_repl.session_core.errors import SessionError, UnsafeStoreFile
from smelt_repl.session_core.fsio import StoreDir
from smelt_repl.session_core.jsonl import encode_text, to_json
from smelt_repl.session_core.legacy import LEGACY_FILE, LegacyFormatError, legacy_search_text, parse_legacy
from smelt_repl.session_core.lock import SessionLock


def session_text(directory: StoreDir, session_id: str) -> str | None:
    """The searchable text of the session in ``directory``; None when it holds none."""
    st = directory.lstat(TRANSCRIPT_FILE)
    if st is not None:
        return _transcript_text(directory, session_id, st.st_size)
    if directory.lstat(LEGACY_FILE) is not None:
        return _legacy_text(directory, session_id)
    return None


def _transcript_text(directory: StoreDir, session_id: str, transcript_size: int) -> str | None:
    if read_fresh_meta(directory, session_id, transcript_size) is not None:
        cached = _read_cached(directory)
        if cached is not None:
            return cached
    rebuilt = rebuild_meta(directory, session_id)
    if rebuilt is None:
        return None
    history, meta = rebuilt
    blob = search_blob(history.messages)
    _cache_if_unowned(directory, session_id, {CONTENT_FILE: encode_text(blob), META_FILE: to_json(meta)})
    return blob


def _legacy_text(directory: StoreDir, session_id: str) -> str | None:
    legacy = directory.lstat(LEGACY_FILE)
    content = directory.lstat(CONTENT_FILE)
    if legacy is not None and content is not None and content.st_mtime_ns >= legacy.st_mtime_ns:
        cached = _read_cached(directory)
        if cached is not None:
            return cached
    try:
        blob = legacy_search_text(parse_legacy(directory.read(LEGACY_FILE) or b""))
    except LegacyFormatError:
        return None
    _cache_if_unowned(directory, session_id, {CONTENT_FILE: encode_text(blob)})
    return blob


def _read_cached(directory: StoreDir) -> str | None:
    """content.txt as text; None when missing or not a regular file (it is then rebuilt)."""
    try:
        data = directory.read(CONTENT_FILE)
    except UnsafeStoreFile:
        return None
    return data.decode("utf-8", errors="replace") if data is not None else None


def _cache_if_unowned(directory: StoreDir, session_id: str, files: dict[str, bytes]) -> None:
    """Write derived files, unless a live process owns the session (it keeps them itself) or
    one of them is not a regular file (a damaged session is left as it is)."""
    lock = SessionLock(Path(session_id), directory)
    try:
        directory.check_regular(*files)
        lock.acquire()
    except (SessionError, OSError):
        return
    try:
        for name, data in files.items():
            directory.atomic_write(name, data, fsync=False)
    except OSError:
        pass  # a cache: the next reader rebuilds it
    finally:
        lock.release()
