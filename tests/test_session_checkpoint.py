"""Checkpoints in the session core: written to the transcript, replayed, cut by rewinds,
brought back by undo, copied by fork (real files in a temp dir)."""

from __future__ import annotations

import orjson
import pytest

from smelt_repl.session_core import SessionRefused
from tests.test_session_core import chat


def transcript(session):
    return [orjson.loads(line) for line in (session.dir / "transcript.jsonl").read_bytes().splitlines()]


def three_turns(store):
    session = store.new_session("/w")
    chat(session, ("one", "r1"), ("two", "r2"), ("three", "r3"))
    return session


def test_checkpoint_record_is_written_and_the_messages_stay(store):
    session = three_turns(store)
    record = session.add_checkpoint("they said one", 2, "compact")
    assert session.checkpoint == record
    last = transcript(session)[-1]
    assert (last["type"], last["summary"], last["index"], last["kind"]) == ("checkpoint", "they said one", 2, "compact")
    assert len(session.messages) == 6
    assert (session.dir / "content.txt").read_text().startswith("one")


def test_index_zero_installs_nothing(store):
    session = three_turns(store)
    before = transcript(session)
    assert session.add_checkpoint("s", 0) is None
    assert session.checkpoint is None and transcript(session) == before


@pytest.mark.parametrize(("summary", "index", "problem"), [
    ("", 2, "non-empty"), ("  ", 2, "non-empty"), (None, 2, "non-empty"),
    ("s", 7, "from 1 to 6"), ("s", -1, "from 1 to 6"), ("s", 1.5, "from 1 to 6"), ("s", True, "from 1 to 6"),
])
def test_bad_checkpoints_are_refused_and_write_nothing(store, summary, index, problem):
    session = three_turns(store)
    before = transcript(session)
    with pytest.raises(SessionRefused, match=problem):
        session.add_checkpoint(summary, index)
    assert session.checkpoint is None and transcript(session) == before


def test_reload_restores_the_checkpoint(store):
    session = three_turns(store)
    session.add_checkpoint("first", 2)
    session.add_checkpoint("second", 4, "auto")
    sid = session.id
    session.close()
    again = store.open(sid)
    assert (again.checkpoint["summary"], again.checkpoint["index"], again.checkpoint["kind"]) == ("second", 4, "auto")
    assert [c["summary"] for c in again.history.checkpoints] == ["first", "second"]


def test_rewind_before_a_checkpoint_drops_it_and_undo_restores_it(store):
    session = three_turns(store)
    session.add_checkpoint("first", 2)
    session.add_checkpoint("second", 4)
    session.rewind_to(4)  # the live part only: both still apply
    assert session.checkpoint["summary"] == "second"
    session.undo_rewind()
    session.rewind_to(2)  # before the second checkpoint: the first one applies again
    assert session.checkpoint["summary"] == "first"
    assert any(r["type"] == "checkpoint" and r["summary"] == "second" for r in transcript(session))
    session.rewind_to(0)
    assert session.checkpoint is None
    session.undo_rewind()
    assert session.checkpoint["summary"] == "first"
    session.undo_rewind()
    assert session.checkpoint["summary"] == "second" and len(session.messages) == 6
    session.rewind_to(2)
    sid = session.id
    session.close()
    again = store.open(sid)  # the replay gives the same answer
    assert again.checkpoint["summary"] == "first"
    again.undo_rewind()
    assert again.checkpoint["summary"] == "second"


def test_a_checkpoint_ends_the_chance_to_undo(store):
    session = three_turns(store)
    session.rewind_to(4)
    session.add_checkpoint("s", 2)
    assert not session.can_undo_rewind


def test_fork_copies_the_checkpoint(store):
    session = three_turns(store)
    session.add_checkpoint("first", 2)
    session.add_checkpoint("second", 4)
    child = store.fork(session)
    assert child.checkpoint["summary"] == "second" and child.checkpoint["index"] == 4
    child.rewind_to(2)
    assert child.checkpoint["summary"] == "first"
    sid = child.id
    child.close()
    again = store.open(sid)
    assert [c["summary"] for c in again.history.checkpoints] == ["first"]
    assert session.checkpoint["summary"] == "second"
