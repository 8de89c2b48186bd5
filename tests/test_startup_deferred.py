"""Start-up work deferred past the first frame: keys typed before it is done wait for it.

With no config, the Lua host is made right after the first frame is drawn; keys already
typed are handled only after that (``ShellApplication.after_first_frame``). With an init.lua,
its keymaps and commands are in place before the first key is handled, in a real terminal.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smelt_repl.app import App
from smelt_repl.render import strip_ansi
from smelt_repl.session_core import SessionStore
from smelt_repl.shell import Shell
from tests.tmux_driver import TmuxSession, tmux_available

STATUS = re.compile(r"^ (INSERT|NORMAL|EMACS) .*ctx", re.M)
TIMEOUT = 10.0


def test_keys_sent_before_the_first_frame_wait_for_the_deferred_lua_host(tmp_path):
    chunks: list[str] = []
    done = threading.Event()
    seen: list[str] = []
    with create_pipe_input() as pipe:
        app = App(SessionStore(tmp_path / "sessions"), cwd=str(tmp_path), env={})
        shell = Shell(app, None, input=pipe, output=DummyOutput(), write=chunks.append, color=False)

        def first_frame(_application: object) -> None:
            if "frame" not in seen:
                seen.append("frame")

        def make_host() -> None:
            from smelt_repl.lua_host import LuaHost

            seen.append("host")
            shell.host = LuaHost(app)

        def printed(text: str) -> None:
            chunks.append(text)
            if "early bird" in strip_ansi("".join(chunks)):
                done.set()

        shell.scrollback._write = printed  # noqa: SLF001 - the scrollback's writer, watched
        shell.application.after_render += first_frame
        shell.application.after_first_frame(make_host)
        pipe.send_text(":lua smelt.notify('early bird')\r")  # in the input before the app runs
        thread = threading.Thread(target=shell.run, daemon=True)
        thread.start()
        try:
            assert done.wait(TIMEOUT), strip_ansi("".join(chunks))
        finally:
            shell.quit()
            thread.join(TIMEOUT)
    assert seen[:2] == ["frame", "host"]  # the host came after the first frame, before the keys
    assert "Lua is not available" not in strip_ansi("".join(chunks))


def test_an_error_in_deferred_work_is_logged_and_the_prompt_lives(tmp_path, caplog):
    with create_pipe_input() as pipe:
        app = App(SessionStore(tmp_path / "sessions"), cwd=str(tmp_path), env={})
        shell = Shell(app, None, input=pipe, output=DummyOutput(), write=lambda text: None, color=False)
        ran = threading.Event()

        def broken() -> None:
            ran.set()
            raise RuntimeError("deferred work broke")

        shell.application.after_first_frame(broken)
        pipe.send_text("still typing")
        thread = threading.Thread(target=shell.run, daemon=True)
        thread.start()
        try:
            assert ran.wait(TIMEOUT)
            _wait_until(lambda: shell.buffer.text == "still typing")
        finally:
            shell.quit()
            thread.join(TIMEOUT)
    assert "deferred work broke" in caplog.text


def _wait_until(predicate, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


INIT_LUA = """
smelt.cmd.register("hello", function() smelt.notify("hello from init.lua") end, {desc = "greet"})
smelt.keymap.set("i", "<C-g>", function() smelt.cmd.run(":hello") end)
"""


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
@pytest.mark.parametrize("with_config", [True, False], ids=["init.lua", "no-config"])
def test_keys_typed_before_the_prompt_appears_reach_init_lua(tmp_path: Path, with_config: bool):
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    if with_config:
        config = tmp_path / "config" / "smelt"
        config.mkdir(parents=True)
        (config / "init.lua").write_text(INIT_LUA)
    early = "early" if with_config else ":lua smelt.notify('lua is up')"
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=tmp_path) as term:
        term.type(early)
        if with_config:
            term.keys("C-g")  # the init.lua keymap
        assert not STATUS.search(term.screen()), "the prompt was up before the keys were typed"
        screen = term.wait_for(lambda s: STATUS.search(s) and f"› {early}" in s, TIMEOUT)
        if with_config:
            screen = term.wait_for("hello from init.lua", TIMEOUT)
        else:
            term.keys("Enter")  # the Lua host was made after the first frame
            screen = term.wait_for("lua is up", TIMEOUT)
    assert "Lua is not available" not in screen


def run_resumed_shell(tmp_path: Path, typed: str, until: str) -> tuple[list[str], list[str]]:
    """A resumed session's shell wired as ``run_interactive`` wires it (its tail printed after
    the first frame, the Lua host deferred past it) with ``typed`` in the input before it
    runs; its output and the order of events (``tail``, ``host``) once ``until`` is printed."""
    from smelt_repl import interactive, lua_host, session_screen
    from tests.test_resume_tail import write_long_session

    store = SessionStore(tmp_path / "sessions")
    session_id = write_long_session(store.root, 200)
    store.open(session_id).close()  # derives meta.json, so the tail is read first
    chunks: list[str] = []
    events: list[str] = []
    done = threading.Event()
    with create_pipe_input() as pipe:
        app = App(store, cwd=str(tmp_path), env={})
        app.start(session_id, tail_turns=3)
        shell = Shell(app, None, input=pipe, output=DummyOutput(), write=chunks.append, color=False)

        def printed(text: str) -> None:
            chunks.append(text)
            if "(199)" in text:
                events.append("tail")
            if until in strip_ansi("".join(chunks)):
                done.set()

        def host_made(self: object, app: App) -> None:
            events.append("host")
            made(self, app)

        made = lua_host.LuaHost.__init__
        shell.scrollback._write = printed  # noqa: SLF001 - the scrollback's writer, watched
        session_screen.show_resumed(shell)
        interactive.defer_past_first_frame(shell, tmp_path / "config")
        pipe.send_text(typed)
        thread = threading.Thread(target=shell.run, daemon=True)
        lua_host.LuaHost.__init__ = host_made
        try:
            thread.start()
            assert done.wait(TIMEOUT), strip_ansi("".join(chunks))
            _wait_until(lambda: "host" in events)
        finally:
            lua_host.LuaHost.__init__ = made
            shell.quit()
            thread.join(TIMEOUT)
    return chunks, events


def test_a_resumed_sessions_tail_is_printed_before_the_deferred_lua_host_is_made(tmp_path):
    _, events = run_resumed_shell(tmp_path, "", until="(199)")
    assert events == ["tail", "host"]


def test_lua_typed_before_the_deferred_host_is_made_makes_it_then(tmp_path):
    chunks, events = run_resumed_shell(tmp_path, ":lua smelt.notify('early bird')\r", until="early bird")
    assert events.count("host") == 1
    assert "Lua is not available" not in strip_ansi("".join(chunks))


GC_PROBE = """
import gc, sys
from smelt_repl import app, shell
started = app.App.start
def start(self, *args, **kwargs):
    print("start-up collects:", gc.isenabled(), flush=True)
    return started(self, *args, **kwargs)
app.App.start = start
shell.Shell.run = lambda self: print("prompt collects:", gc.isenabled(), "frozen:", gc.get_freeze_count() > 0, flush=True)
from smelt_repl.cli import main
sys.exit(main([]))
"""


def test_the_collector_is_off_during_start_up_and_on_with_start_up_frozen_at_the_prompt(tmp_path: Path):
    import os
    import pty
    import subprocess

    env = {**os.environ, "TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PROMPT_TOOLKIT_NO_CPR": "1"}
    env.update({f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")})
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", GC_PROBE], stdin=slave, stdout=slave, stderr=slave, env=env,
                            cwd=tmp_path, start_new_session=True)
    os.close(slave)
    output = b""
    try:
        deadline = time.monotonic() + TIMEOUT
        while not re.search(rb"frozen: \w+\r?\n", output) and time.monotonic() < deadline:  # the whole line
            try:
                output += os.read(master, 65536)
            except OSError:
                break
        proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = output.decode(errors="replace")
    assert "start-up collects: False" in text, text
    assert "prompt collects: True frozen: True" in text, text


def test_a_skipped_first_cursor_request_skips_only_the_first(monkeypatch):
    from prompt_toolkit.application import Application

    from smelt_repl.shell_application import ShellApplication

    asked: list[int] = []
    monkeypatch.setattr(Application, "_request_absolute_cursor_position", lambda self: asked.append(1))
    application = ShellApplication(output=DummyOutput())
    application._request_absolute_cursor_position()  # noqa: SLF001 - what run() and printing call
    assert asked == [1]
    application.skip_first_cursor_request()
    application._request_absolute_cursor_position()  # noqa: SLF001 - the first frame's: skipped
    application._request_absolute_cursor_position()  # noqa: SLF001 - the tail's printing asks
    assert asked == [1, 1]
