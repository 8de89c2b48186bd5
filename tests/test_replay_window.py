"""A long session loads with its last turns on screen; ``:history`` brings earlier ones."""

from __future__ import annotations

from smelt_repl.app import App
from smelt_repl.replay_window import tail_start
from tests.shell_driver import ShellDriver


def test_tail_start_counts_user_turns_from_the_end():
    messages = [{"role": r} for r in ["user", "assistant", "user", "assistant", "user", "assistant"]]
    assert [tail_start(messages, n) for n in (1, 2, 3, 9, 0)] == [4, 2, 0, 0, 0]
    assert tail_start(messages, 1, end=4) == 2


def test_a_loaded_session_shows_its_tail_and_history_pages_up(store, tmp_path):
    app = App(store, cwd=str(tmp_path), env={})
    app.start()
    for n in range(1, 8):
        app.send(f"question {n}")
    session_id = app.session.id
    app.shutdown()
    with ShellDriver(store, tmp_path, session_id=session_id, settings={"replay_turns": 2}) as sh:
        sh.sync()
        out = sh.output
        assert "question 6" in out and "question 7" in out and "question 5" not in out
        assert "… 10 earlier messages not shown (:history shows more)" in out
        sh.command(":history 3")
        sh.wait_output("earlier: messages 5-10 of 14")
        assert "question 3" in sh.output and "question 2" not in sh.output
        sh.wait_output("4 earlier messages remain")
        sh.command(":history")
        sh.wait_output("earlier: messages 1-4 of 14")
        sh.command(":history")
        sh.wait_output("the whole conversation is on screen")
