"""Resuming a long session reads the end of its transcript first (what the first frame needs)
and replays the whole of it at the first need; both views must agree."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from smelt_repl.session_core import SessionStore
from smelt_repl.session_core.ids import new_session_id
from smelt_repl.session_core.jsonl import dumps_line
from tests.tmux_driver import TmuxSession, tmux_available

TIMEOUT = 30.0

REPLY = "A reply that is long enough to make the transcript grow past what is read first. " * 12


def write_long_session(root: Path, messages: int, extra: dict[int, list[dict]] | None = None) -> str:
    """A transcript of ``messages`` alternating questions and replies written straight to disk,
    with the records of ``extra`` placed before the message of their index; its id."""
    session_id = new_session_id()
    folder = root / session_id
    folder.mkdir(mode=0o700, parents=True)
    lines = [dumps_line({"type": "session", "v": 1, "id": session_id, "created_at_ms": 1, "cwd": str(root),
                         "parent_id": None, "model": "offline/offline"})]
    for i in range(messages):
        lines += [dumps_line(record) for record in (extra or {}).get(i, [])]
        if i % 2 == 0:
            record = {"type": "message", "role": "user", "content": f"question {i}", "ts_ms": 10 + i}
        else:
            record = {"type": "message", "role": "assistant", "content": f"{REPLY} ({i})", "ts_ms": 10 + i,
                      "model": f"offline/model-{i}", "context_tokens": 100 + i}
        lines.append(dumps_line(record))
    (folder / "transcript.jsonl").write_bytes(b"".join(lines))
    return session_id


def whole(store: SessionStore, session_id: str):
    """The session opened the usual way (whole replay, derives meta.json), then closed."""
    session = store.open(session_id)
    try:
        return [dict(m) for m in session.messages], session.context_tokens(), session.title, session.checkpoint
    finally:
        session.close()


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions")


def test_the_tail_is_read_first_and_the_rest_at_the_first_need(store):
    session_id = write_long_session(store.root, 400)
    messages, context, title, _ = whole(store, session_id)
    session = store.open(session_id, tail_turns=3)
    try:
        assert not session.tail.loaded and session.tail.unloaded == 394
        assert session.tail.current.messages == messages[-6:]
        assert session.context_tokens() == context == 499 and session.title == title
        assert session.messages == messages  # the first need replays the whole transcript
        assert session.tail.loaded and session.tail.unloaded == 0
        assert [t.block_idx for t in session.turns()][:2] == [0, 2]
    finally:
        session.close()


def test_a_short_transcript_is_replayed_whole(store):
    session_id = write_long_session(store.root, 20)
    whole(store, session_id)
    session = store.open(session_id, tail_turns=3)
    assert session.tail.loaded and len(session.messages) == 20
    session.close()


def test_without_a_fresh_meta_json_the_whole_transcript_is_replayed(store):
    session_id = write_long_session(store.root, 400)
    session = store.open(session_id, tail_turns=3)  # the first open: no meta.json yet
    assert session.tail.loaded
    session.close()
    (store.root / session_id / "meta.json").write_text("{not json")
    session = store.open(session_id, tail_turns=3)
    assert session.tail.loaded and len(session.messages) == 400
    session.close()


def test_a_rewind_in_the_tail_means_a_whole_replay(store):
    session_id = write_long_session(store.root, 400, {396: [{"type": "rewind", "to": 390, "ts_ms": 5}]})
    messages, *_ = whole(store, session_id)
    assert len(messages) == 394  # 396 - 6 cut + 4 after
    session = store.open(session_id, tail_turns=3)
    assert session.tail.loaded and session.messages == messages
    session.close()


def test_edits_before_the_tail_hold_once_the_rest_is_replayed(store):
    checkpoint = {"type": "checkpoint", "summary": "what came before", "index": 40, "kind": "manual", "ts_ms": 5}
    edits = {100: [{"type": "rewind", "to": 50, "ts_ms": 5}], 120: [checkpoint],
             150: [{"type": "title", "title": "named early", "ts_ms": 5}]}
    session_id = write_long_session(store.root, 400, edits)
    messages, context, title, in_force = whole(store, session_id)
    assert len(messages) == 350 and title == "named early" and in_force["index"] == 40
    session = store.open(session_id, tail_turns=2)
    try:
        assert not session.tail.loaded and session.tail.unloaded == 346
        assert session.title == "named early" and session.context_tokens() == context
        assert session.checkpoint == in_force and session.messages == messages
    finally:
        session.close()


def test_a_change_replays_the_rest_first_and_meta_json_counts_everything(store):
    session_id = write_long_session(store.root, 400)
    whole(store, session_id)
    session = store.open(session_id, tail_turns=3)
    session.record_event("load", reason="resume")  # a ledger write: meta.json waits for the rest
    assert not session.tail.loaded
    session.load_rest()
    meta = json.loads((store.root / session_id / "meta.json").read_text())
    assert meta["message_count"] == 400 and meta["size_bytes"] > meta["transcript_size"]
    session.close()
    session = store.open(session_id, tail_turns=3)
    session.append_message("user", "one more")
    assert session.tail.loaded and len(session.messages) == 401
    session.close()
    messages, *_ = whole(store, session_id)
    assert len(messages) == 401 and messages[-1]["content"] == "one more"
    meta = json.loads((store.root / session_id / "meta.json").read_text())
    assert meta["message_count"] == 401


def test_a_rewind_before_the_rest_is_replayed_sees_every_turn(store):
    session_id = write_long_session(store.root, 400)
    whole(store, session_id)
    session = store.open(session_id, tail_turns=3)
    result = session.rewind_to(2)
    assert result.restored_text == "question 2" and len(session.messages) == 2
    session.close()
    messages, *_ = whole(store, session_id)
    assert [m["content"] for m in messages] == ["question 0", f"{REPLY} (1)"]


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
def test_keys_typed_at_once_on_resume_act_on_the_whole_history(tmp_path: Path):
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    store = SessionStore(tmp_path / "state" / "smelt" / "sessions")
    session_id = write_long_session(store.root, 400)
    whole(store, session_id)
    with TmuxSession([sys.executable, "-m", "smelt_repl", "--resume", session_id[:12]], env=env, cwd=tmp_path) as term:
        term.type(":rewind 2")  # before the prompt is up: the second turn is far above the tail read first
        term.wait_for(lambda s: re.search(r"^› :rewind 2 *$", s, re.M), TIMEOUT)
        term.keys("Enter")  # typed with the rest, a burst, it would be taken as a pasted newline
        term.wait_for(lambda s: re.search(r"^› question 2 *$", s, re.M), TIMEOUT)  # the text put back
        term.keys("C-c")  # clear it
        term.wait_for(lambda s: re.search(r"^› *\n.*INSERT", s, re.M), TIMEOUT)
        term.type(":q")
        term.keys("Enter")
        assert term.exit_code() == 0
    messages, *_ = whole(store, session_id)
    assert [m["content"] for m in messages] == ["question 0", f"{REPLY} (1)"]


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
@pytest.mark.parametrize("with_config", [False, True], ids=["no-config", "init.lua"])
def test_a_resumed_long_session_shows_its_last_turns_and_what_is_above(tmp_path: Path, with_config: bool):
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    if with_config:  # loaded before the first frame, so the whole transcript is too
        (tmp_path / "config" / "smelt").mkdir(parents=True)
        (tmp_path / "config" / "smelt" / "init.lua").write_text('smelt.settings.replay_turns = 20\n')
    store = SessionStore(tmp_path / "state" / "smelt" / "sessions")
    session_id = write_long_session(store.root, 400)
    whole(store, session_id)
    with TmuxSession([sys.executable, "-m", "smelt_repl", "--resume", session_id[:12]], env=env, cwd=tmp_path,
                     height=60) as term:
        screen = term.wait_for("(399)", TIMEOUT)
        assert "… 360 earlier messages not shown (:history shows more)" in screen
        assert "question 360" in screen and "question 358" not in screen
        term.type(":history 1")
        term.keys("Enter")
        screen = term.wait_for("earlier: messages 359-360 of 400", TIMEOUT)
    assert "question 358" in screen


def test_replayed_messages_share_their_repeated_strings(store):
    session_id = write_long_session(store.root, 6)
    session = store.open(session_id)
    try:
        first, _, third, fourth = (session.messages[i] for i in (0, 1, 2, 3))
        assert first["role"] is third["role"] and first["type"] is third["type"]  # one object, not a copy each
        assert fourth["role"] == "assistant" and fourth["model"] == "offline/model-3"
    finally:
        session.close()
