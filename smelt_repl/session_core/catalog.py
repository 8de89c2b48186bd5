"""A derived catalog of list records at the sessions root, kept correct across processes.

``<root>/.catalog/catalog.json`` (see ``catalog_file``) caches one record per session,
stamped with the size and mtime of the canonical file it was derived from. Writers drop a
marker ``<root>/.changes/<id>`` before and after each change; a lister, holding
``<root>/.catalog.lock``, removes each marker *before* re-deriving that session's record,
so a change that races with the lister leaves a fresh marker behind for the next listing.

Sessions that appear or vanish are found by comparing the root's entries with the catalog.
The root is read only when its mtime differs from the one recorded at the last scan (any
entry created, removed or renamed at the root changes it; the catalog's own file lives in
``.catalog/`` so that writing it does not). An mtime younger than a second is not recorded,
so a change in the same clock tick as a scan is never missed. Entries that are not listed
sessions (symlinks, odd names, directories without a session) are recorded too and looked
at on every listing, so their warnings are repeated and a late session in one is found.

Changes made without a marker (a hand edit, the original smelt) are caught by stamps.
Legacy records are checked on every listing. Other records are checked when the catalog is
read from disk (each new process): all of them in a store of up to 1,024 sessions; in a
larger one the newest 256 and a window of 768 others at a random place, so that a first
listing of 50k sessions costs 1,024 stats, not 50k. The trade-off: in a large store, an
in-place edit of an older session's transcript that no smelt-repl process marked (appending
by hand) shows in the list only once a window reaches it (on average after n/768 listings);
a session that is opened is always replayed from its transcript, never from the catalog.
Within one process, where the catalog was last written by this process, markers suffice. A
missing, corrupt or partly corrupt catalog is rebuilt, and crash debris is cleaned then (see
``debris`` for which: a rebuild does not list every session directory).

A damaged store never stops a listing: every entry that cannot be listed is reported in one
line and left out; if the catalog's own files are unusable the rows are derived afresh.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from smelt_repl.session_core.catalog_file import (
    CATALOG_DIR,
    ID,
    LABEL,
    LEGACY,
    CatalogData,
    Record,
    cache_key,
    gc_paused,
    newest_first,
    read_catalog,
    row_of,
    write_catalog,
)
from smelt_repl.session_core.catalog_rows import (
    Report,
    derive_record,
    ids_to_check,
    session_dirs,
    settled_record,
    stale_ids,
)
from smelt_repl.session_core.debris import clean_root, clean_temp_files, debris_cutoff_ns, remove_if_abandoned
from smelt_repl.session_core.errors import SessionError, describe
from smelt_repl.session_core.fsio import FILE_MODE, StoreDir, make_private_dir
from smelt_repl.session_core.ids import session_label
from smelt_repl.session_core.lock import FileLock

CATALOG_LOCK = ".catalog.lock"
CHANGES_DIR = ".changes"
ROOT_LABEL = "the sessions directory"
RACY_MTIME_NS = 1_000_000_000

log = logging.getLogger("smelt.session_core")


class Catalog:
    """The list rows of every persisted session under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: CatalogData | None = None
        self._check_all = False  # a change of this process may have gone unmarked

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
            self._check_all = True

    def rows(self, warn: Callable[[str], object] | None = None) -> list[dict]:
        """Every persisted session's row (fresh copies), newest first, reconciled with the disk.

        Entries that cannot be listed are left out; ``warn`` (default: the log) gets one line
        for each.
        """
        records = self.records(warn)
        with gc_paused():
            return list(map(row_of, records))

    def records(self, warn: Callable[[str], object] | None = None) -> list[Record]:
        """Every persisted session's record (``RECORD_FIELDS``), newest first: the catalog's
        own lists, to be read and not changed (``rows`` makes copies)."""
        problems: dict[str, str] = {}
        try:
            records = self._records(problems.setdefault)  # newest first
        finally:
            for _entry, message in sorted(problems.items()):
                (warn or log.warning)(message)
        return list(records.values())

    def _records(self, report: Report) -> dict[str, Record]:
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
                return self._fresh_records(root, report)
            try:
                return self._reconcile(root, report)
            finally:
                lock.release()

    def _reconcile(self, root: StoreDir, report: Report) -> dict[str, Record]:
        root_mtime = os.fstat(root.fd).st_mtime_ns  # before the root is read
        data, source = self._load(root)
        records = data.records
        todo, markers_ok = _claim_markers(root)
        if markers_ok and source != "none" and data.root_mtime_ns == root_mtime:  # no entry came or went
            fresh, odd = session_dirs(root.fd, (), report, data.others)
            gone: set[str] = set()
        else:
            names, odd = session_dirs(root.fd, records, report)
            fresh, gone = names - records.keys(), records.keys() - names
        todo.update(fresh)
        todo.update(self._stale(records, root.fd, source, check_all=self._check_all or not markers_ok))
        self._check_all = False
        changed = source == "none" or bool(gone)
        for sid in gone:
            del records[sid]
        debris_cutoff = debris_cutoff_ns() if source == "none" else None  # a rebuild also cleans up
        if debris_cutoff is not None:
            clean_root(root, debris_cutoff)
            clean_catalog_dir(root, debris_cutoff)
        unlisted = _derive_all(root, records, todo, fresh, report, debris_cutoff)
        if len(unlisted) < len(todo) or not todo.isdisjoint(records):  # records derived or dropped
            changed = True
            data.records = records = {record[ID]: record for record in newest_first(records)}
        others = sorted(odd + unlisted)
        changed |= others != data.others
        data.others = others
        trusted_mtime = root_mtime if root_mtime < time.time_ns() - RACY_MTIME_NS and _encodable(others) else None
        changed |= trusted_mtime != data.root_mtime_ns
        data.root_mtime_ns = trusted_mtime
        self._store(root, data, write=changed or data.upgraded, report=report)
        return records

    def _fresh_records(self, root: StoreDir, report: Report) -> dict[str, Record]:
        """Records derived from every directory, without reading or writing the catalog."""
        records = {}
        for sid in session_dirs(root.fd, (), report)[0]:
            record = _derive(root, sid, report)
            if record is not None:
                records[sid] = record
        return {record[ID]: record for record in newest_first(records)}

    def _stale(self, records: dict[str, Record], root_fd: int, source: str, *, check_all: bool) -> set[str]:
        """Ids whose record is malformed or whose stamp no longer matches the canonical file:
        of every record when ``check_all``, of a sample when the catalog came from disk (see
        the module's docstring), else of legacy records only."""
        if check_all:
            ids = list(records)
        elif source == "disk":
            ids = ids_to_check(list(records.values()))
            ids += [sid for sid, record in records.items() if record[LEGACY]]
        else:
            ids = [sid for sid, record in records.items() if record[LEGACY]]
        return stale_ids(ids, records, root_fd) if ids else set()

    def _load(self, root: StoreDir) -> tuple[CatalogData, str]:
        """The catalog, and where it came from: "cache" (this process), "disk" or "none"."""
        key = cache_key(root)
        if key is not None and key == self._cache_key and self._cache is not None:
            return self._cache, "cache"
        data, key = read_catalog(root)
        if data is None:
            return CatalogData(), "none"
        # Malformed entries are caught by the stamp check after every load from disk.
        self._cache_key, self._cache = key, data
        return data, "disk"

    def _store(self, root: StoreDir, data: CatalogData, *, write: bool, report: Report) -> None:
        self._cache = data
        if not write:
            return
        self._cache_key = None
        try:
            self._cache_key = write_catalog(root, data)
        except (OSError, SessionError) as exc:
            report(CATALOG_DIR, f"could not save the session catalog: {describe(exc)}")
            return
        data.upgraded = False


def _derive_all(root: StoreDir, records: dict[str, Record], todo: set[str], fresh: set[str], report: Report,
                debris_cutoff: int | None) -> list[str]:
    """Derive the record of each session in ``todo`` (one that is neither ``fresh`` nor
    recorded is gone: its record is dropped) and return the names of the directories that
    have none."""
    unlisted = []
    for sid in todo:
        present = sid in fresh or sid in records
        record = _derive(root, sid, report, debris_cutoff) if present else None
        if record is not None:
            records[sid] = record
        else:
            records.pop(sid, None)
            if present:
                unlisted.append(sid)
    return unlisted


def clean_catalog_dir(root: StoreDir, cutoff_ns: int) -> None:
    """Remove temp files older than ``cutoff_ns`` that a crash left in ``.catalog``."""
    try:
        with root.subdir(CATALOG_DIR, LABEL) as directory:
            clean_temp_files(directory, cutoff_ns)
    except (OSError, SessionError):
        pass


def _encodable(names: list[str]) -> bool:
    """True when every name can be written to the catalog (a name that is not UTF-8 cannot)."""
    try:
        "".join(names).encode()
    except UnicodeEncodeError:
        return False
    return True


def _derive(root: StoreDir, sid: str, report: Report, debris_cutoff: int | None = None) -> Record | None:
    """The record of ``sid`` (None when it has none, reported when it cannot be read); with
    ``debris_cutoff`` crash debris older than it is removed on the way from a directory that
    shows an interrupted write (see ``debris``), and the directory itself if it is abandoned."""
    if (settled := settled_record(root.fd, sid)) is not None:
        return settled
    try:
        with root.subdir(sid, session_label(sid)) as directory:
            sweep = None if debris_cutoff is None else partial(clean_temp_files, cutoff_ns=debris_cutoff)
            derived = derive_record(directory, sid, sweep)
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
