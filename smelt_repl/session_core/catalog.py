"""A derived catalog of list rows at the sessions root, kept correct across processes.

``<root>/.catalog.json`` caches one row per session, stamped with the size and mtime of the
canonical file it was derived from. Writers drop a marker ``<root>/.changes/<id>`` before
and after each change; a lister, holding ``<root>/.catalog.lock``, removes each marker
*before* re-deriving that session's row, so a change that races with the lister leaves a
fresh marker behind for the next listing. Sessions that appear or vanish are found by
comparing the directory listing with the catalog. Stamps are checked against the disk
whenever the catalog is read from disk (each new process), so a change made without a
marker (a hand edit, the original smelt) is caught too; within one process, where the
catalog was last written by this process, markers suffice, except for legacy rows, which
are always checked. A missing, corrupt or partly corrupt catalog is rebuilt, and crash
debris is cleaned then.

A damaged store never stops a listing: every entry that cannot be listed is reported in one
line and left out; if the catalog's own files are unusable the rows are derived afresh.
"""

from __future__ import annotations

import logging
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

import orjson

from smelt_repl.session_core.catalog_rows import Report, derive_row, session_dirs, stale_ids
from smelt_repl.session_core.debris import clean_root, clean_temp_files, debris_cutoff_ns, remove_if_abandoned
from smelt_repl.session_core.errors import SessionError, describe
from smelt_repl.session_core.fsio import FILE_MODE, StoreDir, make_private_dir
from smelt_repl.session_core.ids import session_label
from smelt_repl.session_core.jsonl import to_json
from smelt_repl.session_core.lock import FileLock

CATALOG_FILE = ".catalog.json"
CATALOG_LOCK = ".catalog.lock"
CHANGES_DIR = ".changes"
CATALOG_VERSION = 3
ROOT_LABEL = "the sessions directory"

log = logging.getLogger("smelt.session_core")


class Catalog:
    """The list rows of every persisted session under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: tuple[dict[str, dict], dict[str, list]] | None = None

    def note_change(self, session_id: str) -> None:
        """Mark a session as changed so the next listing re-derives its row.

        When no marker can be placed, this process stops trusting its in-memory catalog, so
        its next listing checks every session against the disk.
        """
        try:
            _place_marker(self.root / CHANGES_DIR, session_id)
        except (OSError, SessionError) as exc:
            log.warning("could not mark session %s as changed: %s", session_id[:8], describe(exc))
            self._cache_key = None

    def rows(self, warn: Callable[[str], object] | None = None) -> list[dict]:
        """Every persisted session's row (unsorted, fresh copies), reconciled with the disk.

        Entries that cannot be listed are left out; ``warn`` (default: the log) gets one line
        for each.
        """
        problems: dict[str, str] = {}
        try:
            rows = self._rows(problems.setdefault)
        finally:
            for _entry, message in sorted(problems.items()):
                (warn or log.warning)(message)
        return [dict(row) for row in rows.values()]

    def _rows(self, report: Report) -> dict[str, dict]:
        try:
            root = StoreDir.open_root(self.root)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            report(ROOT_LABEL, f"cannot read {ROOT_LABEL} {self.root}: {describe(exc)}")
            return {}
        with root:
            lock = FileLock(Path(CATALOG_LOCK), directory=root)
            try:
                _acquire_replacing_symlink(lock, root)
            except (OSError, SessionError) as exc:
                report(CATALOG_LOCK, f"listing without the session catalog: {describe(exc)}")
                return self._fresh_rows(root, report)
            try:
                return self._reconcile(root, report)
            finally:
                lock.release()

    def _reconcile(self, root: StoreDir, report: Report) -> dict[str, dict]:
        rows, stamps, source = self._load(root)
        names = session_dirs(root.fd, rows, report)
        todo, markers_ok = _claim_markers(root)
        todo.update(n for n in names if n not in rows)
        todo.update(self._stale(rows, stamps, root.fd, check_all=source == "disk" or not markers_ok))
        changed = source == "none"
        for sid in [sid for sid in rows if sid not in names]:
            del rows[sid]
            stamps.pop(sid, None)
            changed = True
        debris_cutoff = debris_cutoff_ns() if source == "none" else None  # a rebuild also cleans up
        if debris_cutoff is not None:
            clean_root(root, debris_cutoff)
        for sid in todo:
            derived = _derive(root, sid, report, debris_cutoff) if sid in names else None
            if derived is None:
                changed |= rows.pop(sid, None) is not None
                stamps.pop(sid, None)
            else:
                rows[sid], stamps[sid] = derived
                changed = True
        self._store(root, rows, stamps, write=changed, report=report)
        return rows

    def _fresh_rows(self, root: StoreDir, report: Report) -> dict[str, dict]:
        """Rows derived from every directory, without reading or writing the catalog."""
        rows = {}
        for sid in session_dirs(root.fd, (), report):
            derived = _derive(root, sid, report)
            if derived is not None:
                rows[sid] = derived[0]
        return rows

    def _stale(self, rows: dict[str, dict], stamps: dict[str, list], root_fd: int, *,
               check_all: bool) -> set[str]:
        """Ids whose entry is malformed or whose stamp no longer matches the canonical file.

        Only legacy entries are checked unless ``check_all`` (the catalog came from disk).
        """
        try:
            ids = list(rows) if check_all else [sid for sid, stamp in stamps.items() if stamp[2]]
        except (TypeError, IndexError, KeyError):  # a malformed stamp: check them all
            ids = list(rows)
        return stale_ids(ids, rows, stamps, root_fd) if ids else set()

    def _load(self, root: StoreDir) -> tuple[dict[str, dict], dict[str, list], str]:
        """Rows, stamps, and where they came from: "cache" (this process), "disk" or "none"."""
        st = root.lstat(CATALOG_FILE)
        if st is None or not stat.S_ISREG(st.st_mode):
            return {}, {}, "none"
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._cache_key and self._cache is not None:
            return *self._cache, "cache"
        try:
            data = decode_catalog(root.read(CATALOG_FILE) or b"")
        except (orjson.JSONDecodeError, OSError, SessionError):
            return {}, {}, "none"
        if data is None:
            return {}, {}, "none"
        rows, stamps = data
        # Malformed entries are caught by the stamp check after every load from disk.
        self._cache_key, self._cache = key, (rows, stamps)
        return rows, stamps, "disk"

    def _store(self, root: StoreDir, rows: dict[str, dict], stamps: dict[str, list], *, write: bool,
               report: Report) -> None:
        self._cache = (rows, stamps)
        if not write:
            return
        self._cache_key = None
        try:
            root.atomic_write(CATALOG_FILE, encode_catalog(rows, stamps), fsync=False)
        except (OSError, SessionError) as exc:
            report(CATALOG_FILE, f"could not save the session catalog: {describe(exc)}")
            return
        st = root.lstat(CATALOG_FILE)
        if st is not None:
            self._cache_key = (st.st_ino, st.st_mtime_ns, st.st_size)


def encode_catalog(rows: dict[str, dict], stamps: dict[str, list]) -> bytes:
    """The catalog file: a header line (version, CRC-32 of the body), then the body."""
    body = to_json({"rows": rows, "stamps": stamps})
    return to_json({"v": CATALOG_VERSION, "crc32": zlib.crc32(body)}) + b"\n" + body


def decode_catalog(data: bytes) -> tuple[dict[str, dict], dict[str, list]] | None:
    """Rows and stamps of a catalog file; None unless it is intact and of this version.

    The checksum stands in for checking every row's fields on each process's first listing
    (too slow for 10k rows): a hand-edited catalog is rebuilt, and readers of rows still
    tolerate fields of an odd type."""
    head, _, body = data.partition(b"\n")
    header = orjson.loads(head)
    if not isinstance(header, dict) or header.get("v") != CATALOG_VERSION or header.get("crc32") != zlib.crc32(body):
        return None
    content = orjson.loads(body)
    rows, stamps = (content.get("rows"), content.get("stamps")) if isinstance(content, dict) else (None, None)
    if not isinstance(rows, dict) or not isinstance(stamps, dict):
        return None
    return rows, stamps


def _derive(root: StoreDir, sid: str, report: Report, debris_cutoff: int | None = None
            ) -> tuple[dict, list] | None:
    """The row of ``sid`` (None when it has none, reported when it cannot be read); with
    ``debris_cutoff`` crash debris older than it is removed from the directory on the way."""
    try:
        with root.subdir(sid, session_label(sid)) as directory:
            if debris_cutoff is not None:
                clean_temp_files(directory, debris_cutoff)
            derived = derive_row(directory, sid)
            if derived is None and debris_cutoff is not None:
                remove_if_abandoned(root, directory, sid, debris_cutoff)
            return derived
    except FileNotFoundError:
        pass  # deleted while we listed: it is simply gone
    except SessionError as exc:
        report(sid, f"{exc}; skipped")
    except OSError as exc:
        report(sid, f"{session_label(sid)}: cannot read it ({describe(exc)}); skipped")
    except Exception as exc:  # a bug met on odd data must cost one session, not the listing
        log.exception("deriving the list row of session %s failed", sid)
        report(sid, f"{session_label(sid)}: cannot be listed ({type(exc).__name__}: {exc}); skipped")
    return None


def _acquire_replacing_symlink(lock: FileLock, root: StoreDir) -> None:
    """Take the catalog lock; a symlink in place of the lock file is removed first (the link,
    never its target)."""
    try:
        lock.acquire()
    except SessionError:
        st = root.lstat(CATALOG_LOCK)
        if st is None or not stat.S_ISLNK(st.st_mode):
            raise
        os.unlink(CATALOG_LOCK, dir_fd=root.fd)
        lock.acquire()


def _place_marker(changes: Path, session_id: str) -> None:
    """Create ``.changes/<id>`` (any entry of that name will do) without following a symlink;
    a ``.changes`` that is missing, a symlink or a file is replaced by a real directory."""
    for last_try in (False, True):
        try:
            with StoreDir.open(changes, ROOT_LABEL) as directory:
                os.close(os.open(session_id, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE,
                                 dir_fd=directory.fd))
            return
        except FileExistsError:
            return
        except (FileNotFoundError, SessionError):
            if last_try:
                raise
            _unlink_non_dir(changes)
            make_private_dir(changes)


def _claim_markers(root: StoreDir) -> tuple[set[str], bool]:
    """Remove every marker and return their names, and whether ``.changes`` could be read
    (when not, changes may have gone unmarked)."""
    try:
        changes = root.subdir(CHANGES_DIR, ROOT_LABEL)
    except FileNotFoundError:
        return set(), True
    except (OSError, SessionError):
        _unlink_non_dir(CHANGES_DIR, root.fd)
        return set(), False
    with changes:
        names = os.listdir(changes.fd)
        for name in names:
            _remove_marker(changes, name)
    return set(names), True


def _remove_marker(changes: StoreDir, name: str) -> None:
    try:
        os.unlink(name, dir_fd=changes.fd)
    except FileNotFoundError:
        pass
    except OSError:  # a directory where a marker should be: removed if empty, else left
        try:
            os.rmdir(name, dir_fd=changes.fd)
        except OSError:
            pass


def _unlink_non_dir(path: str | Path, dir_fd: int | None = None) -> None:
    """Remove ``path`` if it is a symlink or a file (the link itself, never its target)."""
    try:
        st = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(path, dir_fd=dir_fd)
    except OSError:
        pass
