"""Races between a turn and whoever cancels it or changes the session under it.

Each race is pinned down with events, not sleeps: the turn is held at the exact step under
test (before it starts, while it streams, while it writes its reply) while the other side
acts, and the order of records in the transcript shows who went first.
"""

from __future__ import annotations

import threading
import time

import orjson
import pytest

from smelt_repl.app import App
from smelt_repl.providers import parse_provider_spec
from smelt_repl.session_core import Session

WAIT = 5.0


@pytest.fixture
def app(store, tmp_path, ui):
    project = tmp_path / "project"
    project.mkdir()
    application = App(store, cwd=str(project), ui=ui, env={})
    application.start()
    yield application
    application.shutdown()


def on_loopback(app: App, server, **script) -> None:
    app.providers["loop"] = parse_provider_spec("loop", server.provider_spec("openai-compatible",
                                                                            retry_backoff=0.01))
    app.settings["model"] = "loop/m"
    server.script(**script)


def transcript(session: Session) -> list[dict]:
    path = session.dir / "transcript.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def run_in_thread(target, *args) -> tuple[threading.Thread, list]:
    box: list = []
    thread = threading.Thread(target=lambda: box.append(target(*args)), daemon=True)
    thread.start()
    return thread, box


def hold_first_assistant_write(app: App) -> tuple[threading.Event, threading.Event]:
    """Make the current session's next assistant write stop until released: (reached, release)."""
    reached, release = threading.Event(), threading.Event()
    session = app.session
    append = session.append_message

    def held_append(role, content, **kwargs):
        if role == "assistant" and not reached.is_set():
            reached.set()
            assert release.wait(WAIT)
        return append(role, content, **kwargs)

    session.append_message = held_append  # type: ignore[method-assign]
    return reached, release


def test_a_cancel_before_the_turn_starts_sends_nothing_and_keeps_the_message(app, provider_server):
    on_loopback(app, provider_server, text="never")
    turn = app.new_turn("hello")
    assert turn.cancel(wait=0) is False  # not ended: it has not even started
    result = app.run_turn(turn)
    assert result.cancelled and result.reply == ""
    assert provider_server.requests == []
    assert [(m["role"], m["content"], m.get("cancelled")) for m in app.session.messages] == [
        ("user", "hello", None), ("assistant", "", True)]
    assert turn.ended.is_set() and app.turn is None


def test_a_cancel_while_the_reply_is_written_keeps_it_whole(app, provider_server):
    on_loopback(app, provider_server, text="all of it")
    reached, release = hold_first_assistant_write(app)
    turn = app.new_turn("q")
    worker, results = run_in_thread(app.run_turn, turn)
    assert reached.wait(WAIT)
    assert turn.cancel(wait=0) is False
    release.set()
    assert turn.wait(WAIT)
    worker.join(WAIT)
    assert results[0].reply == "all of it" and not results[0].cancelled
    assert app.session.messages[-1]["content"] == "all of it" and "cancelled" not in app.session.messages[-1]


def test_a_rewind_while_the_reply_is_written_waits_for_it(app, provider_server, ui):
    on_loopback(app, provider_server, text="the reply")
    reached, release = hold_first_assistant_write(app)
    turn = app.new_turn("question")
    worker, _ = run_in_thread(app.run_turn, turn)
    assert reached.wait(WAIT)
    rewinder, _ = run_in_thread(app.rewind_to, 0)
    release.set()
    rewinder.join(WAIT)
    worker.join(WAIT)
    kinds = [(r["type"], r.get("role")) for r in transcript(app.session)]
    assert kinds[-3:] == [("message", "user"), ("message", "assistant"), ("rewind", None)]
    assert app.session.messages == [] and ui.prompt == "question"


def test_a_rewind_during_a_streaming_turn_cancels_it_first(app, provider_server, ui):
    on_loopback(app, provider_server, chunks=[f"w{i} " for i in range(50)], hold_after=1)
    first_delta = threading.Event()
    turn = app.new_turn("stream please")
    worker, results = run_in_thread(app.run_turn, turn, lambda text: first_delta.set())
    assert first_delta.wait(WAIT)
    app.rewind_to(0)  # the UI thread's part: returns once the turn has ended and been cut
    assert turn.ended.is_set()
    worker.join(WAIT)
    result = results[0]
    assert result.cancelled and result.reply.startswith("w0") and "w49" not in result.reply
    records = transcript(app.session)
    assert records[-2]["role"] == "assistant" and records[-2]["cancelled"] is True
    assert records[-1]["type"] == "rewind"
    assert app.session.messages == [] and ui.prompt == "stream please"


def test_a_load_during_a_turn_leaves_the_partial_reply_in_the_old_session(app, provider_server, ui):
    on_loopback(app, provider_server, text="earlier")
    app.send("in the other session")
    other = app.session.id
    app.reset()
    old = app.session
    provider_server.script(chunks=[f"p{i} " for i in range(50)], hold_after=1)
    first_delta = threading.Event()
    turn = app.new_turn("interrupted")
    worker, _ = run_in_thread(app.run_turn, turn, lambda text: first_delta.set())
    assert first_delta.wait(WAIT)
    app.load(other)
    worker.join(WAIT)
    assert app.session.id == other and old.closed
    assert [m["content"] for m in app.session.messages] == ["in the other session", "earlier"]
    kept = app.store.open(old.id)
    try:
        assert [(m["role"], m.get("cancelled")) for m in kept.messages] == [("user", None), ("assistant", True)]
        assert kept.messages[1]["content"].startswith("p0")
    finally:
        kept.close()


def test_a_session_change_never_waits_unbounded_on_a_stuck_handler(app, provider_server):
    """A turn_start handler that never returns (Lua stuck elsewhere) holds the UI thread for
    at most ``cancel_wait_s``; the stuck turn is detached and writes nothing more."""
    on_loopback(app, provider_server, text="late reply")
    app.cancel_wait_s = 0.2
    stuck, release = threading.Event(), threading.Event()
    app.events.on("turn_start", lambda payload: (stuck.set(), release.wait(WAIT)))
    turn = app.new_turn("q")
    worker, _ = run_in_thread(app.run_turn, turn)
    assert stuck.wait(WAIT)
    old = app.session
    app.reset()  # returns after the bounded wait
    assert turn.detached and not turn.ended.is_set()
    release.set()
    worker.join(WAIT)
    assert [r.get("role") for r in transcript(old) if r["type"] == "message"] == ["user"]
    assert app.session.messages == []


def test_a_session_change_from_the_turns_own_thread_is_deferred_not_deadlocked(app, provider_server):
    on_loopback(app, provider_server, text="one two three", chunks=3)
    asked = []
    app.events.on("turn_start", lambda payload: asked or asked.append(app.fork()))
    forks = []
    app.events.on("fork", forks.append)
    parent = app.session.id
    result = app.send("q")
    assert result.reply == "one two three"
    assert len(forks) == 1 and forks[0]["parent_id"] == parent and app.session.id != parent
    assert [m["content"] for m in app.session.messages] == ["q", "one two three"]


def test_turns_of_one_session_share_one_connection_closed_at_shutdown(store, tmp_path, provider_server):
    application = App(store, cwd=str(tmp_path), env={})
    application.start()
    on_loopback(application, provider_server, text="hi")
    application.send("one")
    application.send("two")
    assert provider_server.connections_opened == 1  # HTTP keep-alive across turns
    assert [m["content"] for m in application.session.messages] == ["one", "hi", "two", "hi"]
    application.shutdown()
    assert provider_server.wait_for(lambda: provider_server.connections_closed == 1)


def test_a_cancelled_stream_frees_its_provider_thread_at_once(app, provider_server):
    on_loopback(app, provider_server, chunks=[f"s{i} " for i in range(50)], hold_after=1)
    first_delta = threading.Event()
    turn = app.new_turn("q")
    worker, _ = run_in_thread(app.run_turn, turn, lambda text: first_delta.set())
    assert first_delta.wait(WAIT)
    assert turn.cancel(wait=WAIT)
    worker.join(WAIT)
    # the provider thread ends although the server holds the stream (for 10 s) and sends nothing
    deadline = time.monotonic() + 0.5
    while any(t.name == "smelt-provider" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the provider thread still reads a cancelled stream"
        time.sleep(0.005)
