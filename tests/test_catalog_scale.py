"""The catalog at scale: the root's mtime spares a scan, stamps are checked on a sample, a
version-3 catalog is upgraded, and ``--list``'s fast formatting prints what the picker does."""

from __future__ import annotations

import os
import subprocess
import time
import zlib
from pathlib import Path

import orjson
import pytest

from smelt_repl.listing import _strftime, format_session_row, format_time, session_lines
from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.catalog_file import RECORD_FIELDS, decode_catalog, row_of
from smelt_repl.session_core.catalog_rows import NEWEST_CHECKED, WINDOW_CHECKED, ids_to_check
from smelt_repl.session_core.derived import ROW_FIELDS
from tests.test_store_symlinks import saved_session

HOUR_NS = 3600 * 10**9


def catalog_of(root: Path):
    return decode_catalog((root / ".catalog" / "catalog.json").read_bytes())


def settle(store: SessionStore) -> int:
    """Age the root's mtime (so a listing may trust it) and list; returns that mtime."""
    store.list()  # creates the catalog's files at the root
    old = time.time_ns() - HOUR_NS
    os.utime(store.root, ns=(old, old))
    store.list()
    assert catalog_of(store.root).root_mtime_ns == old
    return old


def test_a_session_directory_added_by_hand_is_found_by_the_root_mtime(store):
    sid = saved_session(store)
    settle(store)
    subprocess.run(["cp", "-a", str(store.root / sid), str(store.root / ("c0de" * 16))], check=True)  # no marker
    assert sorted(row["id"] for row in SessionStore(store.root).list()) == sorted([sid, "c0de" * 16])


def test_an_unchanged_root_is_not_read_again(store):
    sid = saved_session(store)
    old = settle(store)
    subprocess.run(["cp", "-a", str(store.root / sid), str(store.root / ("c0de" * 16))], check=True)
    os.utime(store.root, ns=(old, old))  # a change the root's mtime does not show: not looked for
    assert [row["id"] for row in SessionStore(store.root).list()] == [sid]


def test_a_young_root_mtime_is_not_trusted(store):
    saved_session(store)
    store.list()
    assert catalog_of(store.root).root_mtime_ns is None  # the root changed within the last second


def test_entries_that_are_not_sessions_are_looked_at_on_every_listing(store, tmp_path):
    sid = saved_session(store)
    (store.root / ("f00d" * 16)).symlink_to(tmp_path)
    (store.root / ("e0e0" * 16)).mkdir()  # no session in it yet
    settle(store)
    assert catalog_of(store.root).others == sorted(["e0e0" * 16, "f00d" * 16])
    for _ in range(2):
        warnings: list[str] = []
        rows = SessionStore(store.root).list(warn=warnings.append)
        assert [row["id"] for row in rows] == [sid] and len(warnings) == 1 and "symbolic link" in warnings[0]
    subprocess.run(["cp", "-a", *(str(p) for p in (store.root / sid).iterdir()), str(store.root / ("e0e0" * 16))],
                   check=True)  # the empty directory gets a session, the root's mtime stays
    assert {row["id"] for row in SessionStore(store.root).list()} == {sid, "e0e0" * 16}


def test_an_edit_without_a_marker_is_caught_by_the_next_process(store):
    sid = saved_session(store)
    settle(store)
    with open(store.root / sid / "transcript.jsonl", "ab") as fh:  # in place: no mtime of a directory changes
        fh.write(b'{"type":"title","title":"RENAMED","ts_ms":1}\n')
    assert SessionStore(store.root).list()[0]["title"] == "RENAMED"


def test_a_large_store_checks_the_newest_and_a_moving_window():
    records = [[f"{i:064x}"] for i in range(5_000)]
    seen: set[str] = set()
    for _ in range(200):
        ids = ids_to_check(records)
        assert len(ids) == len(set(ids)) == NEWEST_CHECKED + WINDOW_CHECKED
        assert ids[:NEWEST_CHECKED] == [r[0] for r in records[:NEWEST_CHECKED]]
        seen.update(ids)
    assert seen == {r[0] for r in records}
    assert ids_to_check(records[:1_000]) == [r[0] for r in records[:1_000]]


def test_a_version_3_catalog_is_read_once_and_replaced(store):
    sid = saved_session(store)
    store.list()
    (row,) = [dict(zip(ROW_FIELDS, record, strict=False)) for record in catalog_of(store.root).records.values()]
    stamp = catalog_of(store.root).records[sid][len(ROW_FIELDS):]
    body = orjson.dumps({"rows": {sid: row | {"subtitle": "from the old catalog"}}, "stamps": {sid: stamp}})
    old = store.root / ".catalog.json"
    old.write_bytes(orjson.dumps({"v": 3, "crc32": zlib.crc32(body)}) + b"\n" + body)
    (store.root / ".catalog" / "catalog.json").unlink()
    assert [r["subtitle"] for r in SessionStore(store.root).list()] == ["from the old catalog"]  # not rebuilt
    assert not old.exists() and catalog_of(store.root).records[sid][2] == "from the old catalog"


def test_a_row_is_the_record_s_row_fields_in_order():
    record = [f"value of {name}" for name in RECORD_FIELDS]
    assert row_of(record) == {name: f"value of {name}" for name in ROW_FIELDS}
    assert list(row_of(record)) == list(ROW_FIELDS)


ODD_ROWS = [
    {"id": "a" * 64, "title": "plain", "subtitle": "x", "cwd": "/p", "updated_at_ms": 1_700_000_000_000},
    {"id": "b" * 64, "title": None, "subtitle": "two  spaces\tand\na line", "cwd": "", "updated_at_ms": None},
    {"id": "c" * 64, "title": "x" * 61, "subtitle": None, "cwd": "/c ", "updated_at_ms": "yesterday"},
    {"id": "d" * 64, "title": " lead", "subtitle": None, "cwd": "/e\x1b[2J", "updated_at_ms": -3},
    {"id": "e\u202e" * 4, "title": ["not", "text"], "subtitle": None, "cwd": None, "updated_at_ms": 10**19},
    {"id": "f" * 64, "title": "", "subtitle": "", "cwd": 5, "updated_at_ms": 1},
    {"id": "0" * 64, "title": "é 日本 \u00a0", "subtitle": None, "cwd": "/日本", "updated_at_ms": 1_800_000_000_123},
]


def test_list_lines_match_the_picker_rows():
    records = [[row.get(name) for name in RECORD_FIELDS] for row in ODD_ROWS]
    expected = "".join(format_session_row(row) + "\n" for row in ODD_ROWS)
    assert "".join(session_lines(records, chunk=3)) == expected
    as_json = "".join(session_lines(records, as_json=True)).splitlines()
    assert [orjson.loads(line) for line in as_json] == [{n: row.get(n) for n in ROW_FIELDS} for row in ODD_ROWS]


def test_list_lines_match_the_picker_rows_on_random_rows():
    import random

    rng = random.Random(7)
    pieces = ["a", "b c", " ", "  ", "\t", "\x1b", "é", "日本", "\u202e", "x" * 30]
    cwds = ["/p", "/日本", "/p", "/日本", "/p ", "", "/e\x07", None]  # a few, over and over, as in a real store
    rows = []
    for i in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        rows.append({"id": "e\x1b" + "%062x" % i if i % 10 == 0 else "%064x" % i, "cwd": rng.choice(cwds),
                     "title": rng.choice([None, "", text]), "subtitle": rng.choice([None, text, "x"]),
                     "updated_at_ms": rng.choice([None, -1, 1_800_000_000_000 - i * 97_000])})
    records = [[row.get(name) for name in RECORD_FIELDS] for row in rows]
    assert "".join(session_lines(records, chunk=500)) == "".join(format_session_row(row) + "\n" for row in rows)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_format_time_is_strftime_across_offset_changes(zone, monkeypatch):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        format_time.forget()  # the zone looked up before
        times = range(1_711_800_000_000, 1_711_800_000_000 + 400 * 86_400_000, 7 * 60_000 + 1)
        for ms in [*times, *reversed(times)]:  # a listing goes newest first
            assert format_time(ms) == _strftime(ms)
    finally:
        monkeypatch.undo()
        time.tzset()
        format_time.forget()


@pytest.mark.parametrize("enabled", [True, False])
def test_listing_leaves_the_garbage_collector_as_it_found_it(store, enabled):
    import gc

    saved_session(store)
    (gc.enable if enabled else gc.disable)()
    try:
        assert len(store.list()) == 1 and len(SessionStore(store.root).list()) == 1
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
