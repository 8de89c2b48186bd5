"""The catalog rebuild's quick read of a settled session (``catalog_rows.settled_record``):
the same record as the careful derivation, and nothing at all (so the careful path decides)
for anything unusual, without following a symlink or hanging on a FIFO."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.catalog_rows import derive_record, settled_record
from smelt_repl.session_core.fsio import StoreDir


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions")


def saved(store: SessionStore, text: str = "hello") -> str:
    session = store.new_session("/w")
    session.append_message("user", text)
    session.append_message("assistant", "hi")
    session.close()
    return session.id


def quick(store: SessionStore, sid: str) -> list | None:
    with StoreDir.open_root(store.root) as root:
        return settled_record(root.fd, sid)


def careful(store: SessionStore, sid: str) -> list | None:
    with StoreDir.open_root(store.root) as root, root.subdir(sid, sid) as directory:
        return derive_record(directory, sid)


def test_a_settled_session_reads_as_the_careful_path_derives_it(store):
    sid = saved(store)
    record = quick(store, sid)
    assert record is not None and record == careful(store, sid)
    assert record[0] == sid and record[2] == "hello"  # id, title (none yet), subtitle


def test_a_meta_json_that_is_a_symlink_is_not_followed_even_to_a_true_copy(store, tmp_path):
    sid = saved(store)
    copy = tmp_path / "meta-copy.json"
    shutil.copy(store.root / sid / "meta.json", copy)
    (store.root / sid / "meta.json").unlink()
    (store.root / sid / "meta.json").symlink_to(copy)
    assert quick(store, sid) is None


def test_a_symlinked_session_directory_is_not_followed(store, tmp_path):
    sid = saved(store)
    moved = tmp_path / "elsewhere"
    (store.root / sid).rename(moved)
    (store.root / sid).symlink_to(moved)
    assert quick(store, sid) is None


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_meta_json_that_is_no_file_is_not_read(store, kind):
    sid = saved(store)
    (store.root / sid / "meta.json").unlink()
    (os.mkfifo if kind == "fifo" else os.mkdir)(store.root / sid / "meta.json")
    assert quick(store, sid) is None  # and a FIFO does not hang the read


def test_a_meta_json_longer_than_one_read_is_read_whole(store):
    session = store.new_session("/w")
    session.append_message("user", "x" * 200_000)
    session.append_message("assistant", "hi")
    session.set_title("t" * 100_000)
    session.close()
    assert (store.root / session.id / "meta.json").stat().st_size > 1 << 16
    record = quick(store, session.id)
    assert record is not None and record == careful(store, session.id) and record[1] == "t" * 100_000


def test_a_stale_meta_json_or_an_odd_transcript_leaves_it_to_the_careful_path(store):
    grown, odd, empty = saved(store), saved(store), store.new_session("/w")
    with open(store.root / grown / "transcript.jsonl", "ab") as transcript:
        transcript.write(b'{"type":"title","title":"later"}\n')  # meta.json no longer matches its size
    (store.root / odd / "transcript.jsonl").unlink()
    (store.root / odd / "transcript.jsonl").mkdir()
    empty.close()
    assert quick(store, grown) is None and quick(store, odd) is None and quick(store, empty.id) is None
    assert careful(store, grown)[1] == "later"  # the careful path rebuilds meta.json
