"""The session core's operations against real files in temp dirs."""

from __future__ import annotations

import os
import stat

import orjson
import pytest

from smelt_repl.session_core import SessionLocked, SessionNotFound, SessionRefused, SessionStore
from smelt_repl.session_core.catalog_file import decode_catalog, encode_catalog
from smelt_repl.session_core.usage import Usage


def chat(session, *pairs):
    """Append user/assistant pairs; the assistant reply records context tokens and usage."""
    for n, (user, reply) in enumerate(pairs, start=1):
        session.append_message("user", user)
        session.append_message("assistant", reply, model="test/m", context_tokens=100 * n)
        session.record_usage("test/m", Usage(input=10 * n, output=5, cache_read=2, context_tokens=100 * n), 0.5)


def read_jsonl(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_new_session_is_not_persisted_until_first_message(store):
    session = store.new_session("/work")
    assert not session.dir.exists()
    assert store.list() == []
    session.append_message("user", "hello")
    assert (session.dir / "transcript.jsonl").is_file()
    assert [row["id"] for row in store.list()] == [session.id]
    assert len(session.id) == 64 and all(c in "0123456789abcdef" for c in session.id)


def test_transcript_and_ledger_lines(store):
    session = store.new_session("/work")
    chat(session, ("hi", "hello!"))
    records = read_jsonl(session.dir / "transcript.jsonl")
    assert records[0]["type"] == "session" and records[0]["cwd"] == "/work"
    assert [(r["role"], r["content"]) for r in records[1:]] == [("user", "hi"), ("assistant", "hello!")]
    assert all(isinstance(r["ts_ms"], int) for r in records[1:])
    ledger = read_jsonl(session.dir / "ledger.jsonl")
    assert ledger[0]["type"] == "usage" and ledger[0]["input"] == 10 and ledger[0]["cost_usd"] == 0.5
    assert ledger[0]["context_tokens"] == 100


def test_tokens_cost_and_context(store):
    session = store.new_session("/w")
    assert session.context_tokens() is None
    assert session.tokens()["cache_hit_ratio"] is None
    chat(session, ("a", "b"), ("c", "d"))
    tokens = session.tokens()
    assert tokens == {"input": 30, "output": 10, "cache_read": 4, "cache_write": 0, "reasoning": 0,
                      "total": 40, "cache_hit_ratio": pytest.approx(4 / 34)}
    assert session.cost() == pytest.approx(1.0)
    assert session.context_tokens() == 200


def test_turns_rows(store):
    session = store.new_session("/w")
    session.append_message("system", "be brief")
    chat(session, ("first line\nsecond line", "ok"), ("  \nnext", "ok"))
    assert [(t.block_idx, t.label) for t in session.turns()] == [(1, "first line"), (3, "next")]


def test_rewind_cuts_history_keeps_log_and_spent_money(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"), ("two", "r2"), ("three", "r3"))
    result = session.rewind_to(2)
    assert result.restored_text == "two"
    assert [m["content"] for m in session.messages] == ["one", "r1"]
    assert session.context_tokens() == 100
    assert session.cost() == pytest.approx(1.5)  # spent money stays spent
    contents = [r.get("content") for r in read_jsonl(session.dir / "transcript.jsonl")]
    assert "three" in contents  # the cut turns stay in the append-only log
    assert (session.dir / "content.txt").read_text() == "one\nr1"
    reopened_id = session.id
    session.close()
    again = store.open(reopened_id)
    assert [m["content"] for m in again.messages] == ["one", "r1"]
    assert any(r["type"] == "rewind" for r in read_jsonl(again.dir / "ledger.jsonl"))


def test_rewind_none_and_invalid_index(store):
    session = store.new_session("/w")
    session.append_message("system", "sys")
    chat(session, ("one", "r1"))
    with pytest.raises(SessionRefused, match="not a user turn"):
        session.rewind_to(2)
    with pytest.raises(SessionRefused):
        session.rewind_to(99)
    assert len(session.messages) == 3
    result = session.rewind_to(None)
    assert result.restored_text == "one" and [m["role"] for m in session.messages] == ["system"]
    with pytest.raises(SessionRefused, match="nothing to rewind"):
        session.rewind_to(None)


def test_undo_rewind_restores_and_survives_reload(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"), ("two", "r2"))
    session.rewind_to(2)
    session.rewind_to(0)
    assert session.messages == []
    session.undo_rewind()
    assert [m["content"] for m in session.messages] == ["one", "r1"]
    session.undo_rewind()
    assert [m["content"] for m in session.messages] == ["one", "r1", "two", "r2"]
    assert session.context_tokens() == 200
    with pytest.raises(SessionRefused, match="nothing to undo"):
        session.undo_rewind()
    session.rewind_to(2)
    sid = session.id
    session.close()
    again = store.open(sid)
    assert again.can_undo_rewind
    again.undo_rewind()
    assert len(again.messages) == 4


def test_undo_refused_after_new_message(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"), ("two", "r2"))
    session.rewind_to(2)
    session.append_message("user", "two, again")
    with pytest.raises(SessionRefused):
        session.undo_rewind()


def test_fork_copies_messages_and_leaves_original_untouched(store):
    session = store.new_session("/w")
    session.set_title("experiment")
    chat(session, ("one", "r1"), ("two", "r2"))
    before = {p.name: p.read_bytes() for p in session.dir.iterdir() if p.is_file() and p.name != "lock"}
    child = store.fork(session)
    after = {p.name: p.read_bytes() for p in session.dir.iterdir() if p.is_file() and p.name != "lock"}
    assert before == after
    assert child.id != session.id and child.parent_id == session.id
    assert child.title == "experiment"
    assert [m["content"] for m in child.messages] == ["one", "r1", "two", "r2"]
    assert child.cost() == 0 and child.tokens()["total"] == 0
    assert child.created_at_ms >= session.created_at_ms
    child_id = child.id
    child.close()
    reopened = store.open(child_id)
    assert reopened.parent_id == session.id and len(reopened.messages) == 4
    first_event = read_jsonl(reopened.dir / "ledger.jsonl")[0]
    assert (first_event["type"], first_event["parent_id"]) == ("fork", session.id)


def test_fork_of_empty_session_is_refused(store):
    with pytest.raises(SessionRefused, match="nothing to fork"):
        store.fork(store.new_session("/w"))


def test_reset_logs_agent_stop_and_starts_new_session(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"))
    fresh = store.reset(session)
    assert fresh.id != session.id and fresh.messages == []
    ledger = read_jsonl(session.dir / "ledger.jsonl")
    assert ledger[-1]["type"] == "agent_stop" and ledger[-1]["reason"] == "user_cancel_and_clear"
    assert [row["id"] for row in store.list(exclude=fresh.id)] == [session.id]


def test_list_newest_first_excludes_current_and_empty(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    b = store.new_session("/b")
    chat(b, ("beta", "y"))
    store.new_session("/c")  # empty: never persisted
    rows = store.list()
    assert [r["id"] for r in rows] == [b.id, a.id]
    assert rows[0]["subtitle"] == "beta" and rows[0]["cwd"] == "/b" and rows[0]["parent_id"] is None
    assert rows[0]["size_bytes"] > 0 and rows[0]["created_at_ms"] <= rows[0]["updated_at_ms"]
    assert [r["id"] for r in store.list(exclude=b.id)] == [a.id]
    chat(a, ("alpha again", "z"))  # a is now the newest
    assert [r["id"] for r in store.list()] == [a.id, b.id]


def test_load_replays_history(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"))
    sid = session.id
    session.close()
    loaded = store.open(sid)
    assert [m["content"] for m in loaded.messages] == ["one", "r1"]
    assert loaded.cost() == pytest.approx(0.5) and loaded.context_tokens() == 100
    loaded.append_message("user", "more")
    loaded.close()
    assert len(store.open(sid).messages) == 3


def test_open_unknown_session(store):
    with pytest.raises(SessionNotFound):
        store.open("f" * 64)


def test_delete(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    b = store.new_session("/b")
    chat(b, ("beta", "y"))
    with pytest.raises(SessionRefused, match="current"):
        store.delete(b.id, current_id=b.id)
    a.close()
    store.delete(a.id, current_id=b.id)
    assert not a.dir.exists()
    assert [r["id"] for r in store.list()] == [b.id]
    with pytest.raises(SessionNotFound):
        store.delete(a.id)


def test_delete_refuses_session_locked_by_this_or_other_holder(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    with pytest.raises(SessionLocked, match=str(os.getpid())):
        store.delete(a.id)  # a is open (locked) through another descriptor
    assert a.dir.exists()
    a.close()
    store.delete(a.id)
    assert not a.dir.exists()


def test_open_refuses_session_locked_elsewhere(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    with pytest.raises(SessionLocked):
        store.open(a.id)


def test_text_and_texts(store):
    a = store.new_session("/a")
    a.append_message("system", "secret system")
    a.append_message("user", [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:x"}}])
    a.append_message("assistant", "an image", reasoning_content="hidden thoughts")
    a.append_message("tool", "tool output", tool_call_id="t1")
    b = store.new_session("/b")
    chat(b, ("beta", "y"))
    assert store.text(a.id) == "look\nan image"
    assert store.text("f" * 64) is None
    assert store.texts([a.id, b.id, "f" * 64, "../etc"]) == {a.id: "look\nan image", b.id: "beta\ny"}


def test_text_rebuilds_missing_stale_or_corrupt_derived_files(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    sid = a.id
    a.close()
    content, meta = a.dir / "content.txt", a.dir / "meta.json"
    content.unlink()
    assert store.text(sid) == "alpha\nx" and content.read_text() == "alpha\nx"
    content.write_text("stale garbage")
    meta.write_text("{not json")
    assert store.text(sid) == "alpha\nx" and content.read_text() == "alpha\nx"
    assert orjson.loads(meta.read_bytes())["message_count"] == 2


def test_list_survives_corrupt_or_missing_catalog_and_meta(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    store.list()
    (store.root / ".catalog" / "catalog.json").write_text("garbage{")
    (a.dir / "meta.json").write_text("[1,2")
    assert [r["subtitle"] for r in store.list()] == ["alpha"]
    (store.root / ".catalog" / "catalog.json").unlink()
    (a.dir / "meta.json").unlink()
    assert [r["subtitle"] for r in store.list()] == ["alpha"]


def test_list_sees_changes_from_another_store_instance(store):
    other = SessionStore(store.root)  # stands for another process's view
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    assert [r["subtitle"] for r in other.list()] == ["alpha"]
    a.rewind_to(0)
    a.append_message("user", "rewritten")
    assert [r["subtitle"] for r in other.list()] == ["rewritten"]
    a.close()
    other.delete(a.id)
    assert store.list() == []


def test_resolve_prefix(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    assert store.resolve(a.id) == a.id
    assert store.resolve(a.id[:4]) == a.id
    with pytest.raises(SessionNotFound, match="at least 4"):
        store.resolve(a.id[:3])
    with pytest.raises(SessionNotFound):
        store.resolve("zzzz")


def test_resolve_ambiguous_prefix(store):
    from smelt_repl.session_core import AmbiguousSessionId

    for suffix in ("1", "2"):
        d = store.root / ("abcd" + suffix * 60)
        d.mkdir(parents=True)
        (d / "transcript.jsonl").write_bytes(b'{"type":"message","role":"user","content":"x"}\n')
    with pytest.raises(AmbiguousSessionId, match="ambiguous"):
        store.resolve("abcd")
    assert store.resolve("abcd1") == "abcd" + "1" * 60


def test_most_recent_in_cwd(store):
    a = store.new_session("/proj")
    chat(a, ("one", "x"))
    b = store.new_session("/elsewhere")
    chat(b, ("two", "y"))
    assert store.most_recent_in("/proj") == a.id
    assert store.most_recent_in("/nowhere") is None


def test_file_and_dir_modes(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    store.list()
    a.rewind_to(0)
    for path in [store.root, *store.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_hand_edited_transcript_is_relisted_without_a_marker(store):
    a = store.new_session("/a")
    chat(a, ("original subtitle", "x"))
    sid = a.id
    a.close()
    assert store.list()[0]["subtitle"] == "original subtitle"
    path = store.root / sid / "transcript.jsonl"
    with open(path, "ab") as fh:  # an edit no smelt-repl process announced
        fh.write(b'{"type":"title","title":"RENAMED","ts_ms":1}\n')
    (store.root / sid / "meta.json").unlink()
    assert SessionStore(store.root).list()[0]["title"] == "RENAMED"


def test_catalog_with_malformed_rows_is_repaired(store):
    a = store.new_session("/a")
    chat(a, ("alpha", "x"))
    store.list()
    catalog = store.root / ".catalog" / "catalog.json"
    data = decode_catalog(catalog.read_bytes())
    data.records[a.id] = ["garbage"]
    data.records["f" * 64] = ["f" * 64, *data.records[a.id][1:], 1, 1, 0]
    catalog.write_bytes(encode_catalog(data))  # well-formed file, records that are not
    rows = SessionStore(store.root).list()
    assert [(r["id"], r["subtitle"]) for r in rows] == [(a.id, "alpha")]
    assert "stamp" not in rows[0]


def test_content_stays_clean_across_reopen_and_rewind(store):
    a = store.new_session("/a")
    chat(a, ("hello", "hi there"))
    sid = a.id
    a.close()
    b = store.open(sid)
    b.append_message("user", "second")
    assert (b.dir / "content.txt").read_text() == "hello\nhi there\nsecond"
    b.rewind_to(2)
    b.append_message("user", "third")
    assert (b.dir / "content.txt").read_text() == "hello\nhi there\nthird"


def test_fork_is_never_older_than_its_creation(store):
    a = store.new_session("/a")
    chat(a, ("one", "x"))
    child = store.fork(a)
    cid = child.id
    child.close()
    again = store.open(cid)
    assert again.history.updated_at_ms >= again.created_at_ms
    (row,) = [r for r in store.list() if r["id"] == cid]
    assert row["updated_at_ms"] >= row["created_at_ms"]


def test_open_reads_after_taking_the_lock(store, monkeypatch):
    """A writer that finishes between 'open' starting and taking the lock is fully seen."""
    from smelt_repl.session_core import lock as lock_module

    a = store.new_session("/a")
    chat(a, ("one", "x"))
    real_acquire = lock_module.SessionLock.acquire

    def acquire_after_writer_finishes(self, *args, **kwargs):
        if a.persisted and not a.closed:  # the writer appends its last message, then exits
            a.append_message("user", "written at the last moment")
            a.close()
        return real_acquire(self, *args, **kwargs)

    monkeypatch.setattr(lock_module.SessionLock, "acquire", acquire_after_writer_finishes)
    opened = store.open(a.id)
    assert opened.messages[-1]["content"] == "written at the last moment"
