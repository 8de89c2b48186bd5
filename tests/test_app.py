"""App operations (SPEC §4) with a recording UI host and the real session core."""

from __future__ import annotations

import pytest

from smelt_repl.session_core import SessionNotFound, SessionRefused


def events_of(app, *names):
    seen = []
    for name in names:
        app.events.on(name, lambda payload, name=name: seen.append((name, dict(payload))))
    return seen


def test_rewind_restores_prompt_and_vim_insert(app, ui):
    app.send("first question")
    app.send("second question\nmore")
    seen = events_of(app, "rewind")
    app.rewind_to(2, restore_vim_insert=True)
    assert ui.prompt == "second question\nmore" and ui.vim_insert
    assert [m["content"] for m in app.session.messages][:1] == ["first question"]
    assert len(app.session.messages) == 2
    assert seen == [("rewind", {"block_idx": 2, "restored_text": "second question\nmore"})]


def test_rewind_to_non_user_turn_changes_nothing(app, ui):
    app.send("q")
    with pytest.raises(SessionRefused):
        app.rewind_to(1)
    assert len(app.session.messages) == 2 and ui.prompt == ""


def test_undo_rewind(app):
    app.send("q1")
    app.send("q2")
    app.rewind_to(None)
    assert app.session.messages == []
    app.undo_rewind()
    assert len(app.session.messages) == 4


def test_fork_switches_and_fires(app):
    app.send("q1")
    parent = app.session.id
    seen = events_of(app, "fork")
    app.fork()
    assert app.session.id != parent and app.session.parent_id == parent
    assert seen == [("fork", {"id": app.session.id, "parent_id": parent})]
    assert [r["id"] for r in app.list_sessions()] == [parent]


def test_reset_clears_screen_and_keeps_old_session(app, ui):
    app.send("q1")
    old = app.session.id
    seen = events_of(app, "reset")
    app.reset()
    assert app.session.id != old and app.session.messages == [] and ui.shown[-1] == []
    assert seen[0][0] == "reset"
    assert [r["id"] for r in app.list_sessions()] == [old]


def test_load_replays_and_fires(app, ui, store):
    app.send("remember me")
    first = app.session.id
    app.reset()
    seen = events_of(app, "session_load")
    app.load(first[:6])
    assert app.session.id == first
    assert [m["content"] for m in ui.shown[-1]][0] == "remember me"
    assert seen == [("session_load", {"id": first})]


def test_delete_rules(app):
    app.send("q")
    current = app.session.id
    with pytest.raises(SessionRefused):
        app.delete(current)
    app.reset()
    app.delete(current)
    assert app.list_sessions() == []
    with pytest.raises(SessionNotFound):
        app.delete(current)


def test_event_handler_errors_are_reported_not_raised(app, ui):
    app.events.on("turn_end", lambda payload: 1 / 0)
    result = app.send("still works")
    assert result.error is None
    assert ui.errors and "turn_end" in ui.errors[0] and "division by zero" in ui.errors[0]


def test_invalid_rewind_does_not_cancel_the_turn_in_flight(app, provider_server):
    from smelt_repl.providers import parse_provider_spec

    app.providers["loop"] = parse_provider_spec("loop", provider_server.provider_spec())
    app.settings["model"] = "loop/m"
    provider_server.script(text="a b c d e f", delay=0.01)
    errors = []

    def bad_rewind(payload):
        try:
            app.rewind_to(99)
        except SessionRefused as exc:
            errors.append(str(exc))

    app.events.on("stream_delta", bad_rewind)
    result = app.send("q")
    assert errors and not result.cancelled and result.reply == "a b c d e f"


def test_rewind_changes_the_vim_mode_only_when_asked(app, ui):
    app.send("q1")
    app.rewind_to(0)
    assert ui.prompt == "q1" and not ui.vim_insert
    app.send("q1")
    app.rewind_to(0, restore_vim_insert=True)
    assert ui.vim_insert


@pytest.mark.parametrize("operation", ["reset", "load"])
def test_reset_and_load_put_the_prompt_in_insert_mode(app, ui, operation):
    app.send("q1")
    first = app.session.id
    app.reset()
    ui.vim_insert = False
    if operation == "load":
        app.load(first)
    else:
        app.reset()
    assert ui.vim_insert
