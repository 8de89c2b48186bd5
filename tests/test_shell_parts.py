"""The shell's small parts on their own: key notation, status text, pickers, scrollback,
display, and ``run_interactive`` start-up and exit."""

from __future__ import annotations

import argparse
import asyncio
import threading
from types import SimpleNamespace

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smelt_repl import display
from smelt_repl.keynotation import KeyNotationError, parse_keys
from smelt_repl.pickers import Choice, Picker, turn_choices
from smelt_repl.scrollback import Scrollback
from smelt_repl.status import StatusFacts, context_text, format_count, status_text


@pytest.mark.parametrize("notation, keys", [
    ("gr", ("g", "r")),
    ("<C-r>", ("c-r",)),
    ("<c-R>", ("c-r",)),
    ("<Esc>", ("escape",)),
    ("<CR>", ("enter",)),
    ("<leader>x", ("\\", "x")),
    ("<M-x>", ("escape", "x")),
    ("<lt>b", ("<", "b")),
    ("<Space>a", (" ", "a")),
    ("<F5>", ("f5",)),
    ("<S-Tab>", ("s-tab",)),
])
def test_key_notation(notation, keys):
    assert parse_keys(notation) == keys


def test_key_notation_leader_and_errors():
    assert parse_keys("<leader>x", leader="<Space>") == (" ", "x")
    assert parse_keys("<Leader>x", leader=",") == (",", "x")
    for bad in ("", "<Nope>", "<C-Nope>", "<Q-x>"):
        with pytest.raises(KeyNotationError):
            parse_keys(bad)


@pytest.mark.parametrize("n, text", [(None, "-"), (0, "0"), (950, "950"), (1234, "1.2k"), (12_345, "12k"),
                                     (128_000, "128k"), (1_000, "1k"), (1_500_000, "1.5M")])
def test_format_count(n, text):
    assert format_count(n) == text


def test_status_text():
    facts = StatusFacts("openai/gpt-4o", "NORMAL", 1234, 128_000, 0.01234, "⠋ waiting")
    text = status_text(facts)
    for part in ("openai/gpt-4o", "NORMAL", "ctx 1.2k/128k", "$0.0123", "⠋ waiting"):
        assert part in text
    assert context_text(None, None) == "ctx -"
    assert "waiting" not in status_text(StatusFacts("m", "INSERT", None, None, 0.0))


def test_picker_model():
    picked = []
    opened, closed = [], []
    picker = Picker(on_open=lambda: opened.append(1), on_close=lambda: closed.append(1))
    picker.open("title", [Choice(f"row {i}", i) for i in range(25)], picked.append, index=24)
    assert picker.active and opened and picker.index == 24
    start, rows = picker.visible()
    assert len(rows) == Picker.VISIBLE_ROWS and start <= 24 < start + len(rows)
    picker.move(-3)
    picker.move(+100)
    picker.move(-1)
    text = "".join(t for _, t in picker.fragments())
    assert "› row 23" in text and "24/25" in text
    picker.pick()
    assert picked == [23] and not picker.active and closed
    picker.open("again", [Choice("a", "a")], picked.append)
    picker.close()
    assert picked == [23]


def test_turn_choices_are_numbered_from_one():
    turns = [SimpleNamespace(block_idx=0, label="hi"), SimpleNamespace(block_idx=2, label="again")]
    assert [(c.label, c.value) for c in turn_choices(turns)] == [("  1  hi", 0), ("  2  again", 2)]


def test_display_echo_and_markers():
    assert display.user_echo("a\nb", color=False) == "› a\n  b\n"
    assert "\x1b[" in display.user_echo("a", color=True)
    assert display.user_echo("evil\x1b[2J", color=False) == "› evil\ufffd[2J\n"
    assert display.error_line("bad\nthing", color=True) == "\x1b[31mbad thing\x1b[0m\n"
    assert display.reply_trailer({"cancelled": True}, color=False) == "[cancelled]\n\n"


def test_scrollback_keeps_order_across_threads():
    written: list[str] = []
    drained = threading.Event()

    def write(text: str) -> None:
        written.append(text)
        if "t-last\n" in text:
            drained.set()

    scrollback = Scrollback(write)
    scrollback.write("before\n")

    async def main() -> None:
        from prompt_toolkit.application import Application

        app = Application(output=DummyOutput(), input=pipe)
        async def produce() -> None:
            scrollback.attach()
            threads = [threading.Thread(target=lambda i=i: [scrollback.write(f"t{i}-{n}\n") for n in range(50)])
                       for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                await asyncio.get_running_loop().run_in_executor(None, thread.join)
            scrollback.write("t-last\n")  # comes out after everything queued before it
            await asyncio.get_running_loop().run_in_executor(None, drained.wait, 5)
            app.exit()
        app.pre_run_callables.append(lambda: app.create_background_task(produce()))
        await app.run_async()

    with create_pipe_input() as pipe:
        asyncio.run(main())
    scrollback.detach()
    scrollback.write("after\n")
    lines = "".join(written).splitlines()
    assert lines[0] == "before" and lines[-2:] == ["t-last", "after"] and len(lines) == 203
    for i in range(4):
        mine = [line for line in lines if line.startswith(f"t{i}-")]
        assert mine == [f"t{i}-{n}" for n in range(50)]


def _args(**overrides: object) -> argparse.Namespace:
    return argparse.Namespace(model=None, api_base=None, **overrides)


def test_run_interactive_resumes_and_prints_the_resume_hint(store, tmp_path, monkeypatch, capsys):
    from smelt_repl.app import App
    from smelt_repl.interactive import run_interactive

    monkeypatch.chdir(tmp_path)
    app = App(store, cwd=str(tmp_path), env={})
    app.start()
    app.send("saved earlier")
    session_id = app.session.id
    app.shutdown()
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("\x04")  # Ctrl-D on the empty prompt
        assert run_interactive(_args(), session_id) == 0
    assert f"resume with: smelt-repl --resume {session_id[:8]}" in capsys.readouterr().out


def test_run_interactive_new_empty_session_prints_no_hint(store, tmp_path, monkeypatch, capsys):
    from smelt_repl.interactive import run_interactive

    monkeypatch.chdir(tmp_path)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(":q\r")
        assert run_interactive(_args(), None) == 0
    assert "resume with" not in capsys.readouterr().out


def test_run_interactive_start_error_is_one_line_exit_1(store, tmp_path, monkeypatch, capsys):
    from smelt_repl.interactive import run_interactive

    monkeypatch.chdir(tmp_path)
    assert run_interactive(_args(), "f" * 64) == 1
    err = capsys.readouterr().err
    assert err.startswith("smelt-repl: ") and err.count("\n") == 1


@pytest.fixture
def app_log(xdg):
    """The app log file of ``setup_app_log`` in the temp state dir; logging restored after."""
    import logging
    from pathlib import Path

    from smelt_repl.applog import setup_app_log

    smelt = logging.getLogger("smelt")
    saved = list(smelt.handlers), smelt.propagate, smelt.level
    for handler in saved[0]:
        smelt.removeHandler(handler)
    setup_app_log()
    (handler,) = smelt.handlers
    yield Path(handler.baseFilename)
    handler.close()
    smelt.removeHandler(handler)
    smelt.handlers[:], smelt.propagate, smelt.level = saved


def test_a_bug_under_a_lua_function_goes_to_the_app_log(app_log):
    from smelt_repl.lua.bindings import Tier, guard

    failing = guard("boom", lambda: 1 / 0, Tier.HOST, lambda: True, lambda: None)
    assert failing() == ("smelt.boom: ZeroDivisionError: division by zero", None)
    logged = app_log.read_text()
    assert "smelt.boom failed" in logged and "Traceback" in logged


def test_interactive_logging_never_reaches_the_terminal(app_log, capfd):
    import logging

    from smelt_repl.interactive import logs_to_file_only

    before = logging.lastResort, logging.getLogger().handlers[:]
    with logs_to_file_only():
        logging.getLogger("asyncio").error("loop trouble")
        logging.lastResort.handle(logging.makeLogRecord({"msg": "last resort", "levelno": logging.ERROR}))
        thread = threading.Thread(target=lambda: 1 / 0)
        thread.start()
        thread.join()
    assert (logging.lastResort, logging.getLogger().handlers) == before
    assert capfd.readouterr().err == ""
    logged = app_log.read_text()
    assert "loop trouble" in logged and "ZeroDivisionError" in logged
