"""Opening a session: content.txt kept when a fresh meta.json vouches for it (no rewrite of
the whole file), rebuilt otherwise; the transcript parsed as it is read, a chunk at a time."""

from __future__ import annotations

import os

from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.content import search_blob


def _session(store: SessionStore) -> str:
    session = store.new_session("/w")
    session.append_message("user", "first question")
    session.append_message("assistant", "first answer")
    session.close()
    return session.id


def test_open_keeps_a_vouched_content_file_and_appends_to_it(tmp_path) -> None:
    store = SessionStore(tmp_path)
    session_id = _session(store)
    content = tmp_path / session_id / "content.txt"
    before = os.stat(content)
    session = store.open(session_id)
    after = os.stat(content)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    session.append_message("user", "second question")
    session.close()
    assert content.read_text() == "first question\nfirst answer\nsecond question"


def test_open_rebuilds_content_when_meta_does_not_vouch_for_it(tmp_path) -> None:
    store = SessionStore(tmp_path)
    session_id = _session(store)
    folder = tmp_path / session_id
    (folder / "content.txt").write_text("stale")
    with open(folder / "transcript.jsonl", "ab") as transcript:  # written by a crash, no meta update
        transcript.write(b'{"type":"message","role":"user","content":"late","ts_ms":1}\n')
    session = store.open(session_id)
    session.close()
    assert (folder / "content.txt").read_text() == search_blob(session.messages)
    assert (folder / "content.txt").read_text().endswith("late")


def test_open_rebuilds_a_missing_content_file(tmp_path) -> None:
    store = SessionStore(tmp_path)
    session_id = _session(store)
    (tmp_path / session_id / "content.txt").unlink()
    store.open(session_id).close()
    assert (tmp_path / session_id / "content.txt").read_text() == "first question\nfirst answer"


def test_parse_chunks_matches_parse_lines_whatever_the_chunk_size(caplog) -> None:
    from smelt_repl.session_core.jsonl import parse_chunks, parse_lines

    data = b'{"a":1}\n{"b":"two\\nlines"}\nnot json\n[1]\n\n{"c":3}\n{"torn":'
    expected = list(parse_lines(data, "t"))
    assert expected == [{"a": 1}, {"b": "two\nlines"}, {"c": 3}]
    for size in (1, 2, 5, 7, len(data), len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(parse_chunks(chunks, "t")) == expected
    assert "t:3: skipped a corrupt or torn line" in caplog.text and "t:7: skipped" in caplog.text


def test_a_long_transcript_read_in_chunks_replays_whole(tmp_path, monkeypatch) -> None:
    from smelt_repl.session_core import derived

    monkeypatch.setattr(derived, "READ_CHUNK", 64)  # every record spans chunks
    store = SessionStore(tmp_path)
    session = store.new_session("/w")
    for i in range(30):
        session.append_message("user" if i % 2 == 0 else "assistant", f"message {i} " + "x" * i)
    session.close()
    reopened = store.open(session.id)
    reopened.close()
    assert [m["content"] for m in reopened.messages] == [f"message {i} " + "x" * i for i in range(30)]
