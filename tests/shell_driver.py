"""Drive the real shell (prompt_toolkit Application) through a pipe, for tests.

    with ShellDriver(store, cwd) as sh:
        sh.type("hello\\r")
        sh.wait_output("Offline mode")
        assert "NORMAL" in sh.escape_status()

The application runs on its own thread with a pipe as its keyboard and a DummyOutput as its
screen; everything the user would see in the scrollback is collected (without colour) in
``sh.output``. ``wait_*`` helpers poll with a timeout instead of sleeping.
"""

from __future__ import annotations

import fcntl
import itertools
import struct
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.key_binding.key_processor import _Flush  # what a key-sequence timeout feeds
from prompt_toolkit.output import DummyOutput

from smelt_repl.app import App
from smelt_repl.render import strip_ansi
from smelt_repl.shell import Shell

TIMEOUT = 5.0
POLL = 0.002  # seconds between two looks at the state waited for


class ShellDriver:
    """A running Shell + App (+ LuaHost) on a temp sessions store."""

    def __init__(self, store: Any, cwd: str | Path, *, model: str | None = None, api_base: str | None = None,
                 env: dict[str, str] | None = None, lua_config: Path | None = None, settings: dict | None = None,
                 session_id: str | None = None, providers: dict[str, dict] | None = None) -> None:
        self._pipe_cm = create_pipe_input()
        self.pipe = self._pipe_cm.__enter__()
        self.chunks: list[str] = []
        self._markers: dict[str, threading.Event] = {}
        self._marker_count = itertools.count()
        self.app = App(store, cwd=str(cwd), model_flag=model, api_base=api_base, env=env or {})
        self.app.settings.update(settings or {})
        if providers:
            from smelt_repl.providers import parse_provider_spec

            self.app.providers.update({name: parse_provider_spec(name, raw) for name, raw in providers.items()})
        from smelt_repl.lua_host import LuaHost

        self.host = LuaHost(self.app)
        self.shell = Shell(self.app, self.host, input=self.pipe, output=DummyOutput(), write=self._collect,
                           color=False)
        if lua_config is not None:
            self.host.load_config(lua_config)
        self.app.start(session_id)
        if session_id is not None:
            self.shell.show_session(self.app.session.messages)
        self.thread = threading.Thread(target=self.shell.run, name="shell-under-test", daemon=True)
        self.thread.start()
        self.wait_for(lambda: self.shell.application.is_running, what="application start")
        self.sync()

    # -- input ------------------------------------------------------------------------------

    def type(self, text: str) -> None:
        """Send keys: text, "\\r" Enter, "\\n" Ctrl-J, "\\x1b" Escape, "\\x03" Ctrl-C."""
        self.pipe.send_text(text)

    def escape(self) -> None:
        """Press Escape and wait until vi normal mode shows in the status line."""
        self.type("\x1b")
        self.sync()
        self.wait_for(lambda: "NORMAL" in self.status, what="NORMAL mode")

    def submit(self, text: str) -> None:
        """Type ``text`` and Enter, wait until it is sent and its reply has been printed."""
        before = self.user_message_count()
        self.type(text + "\r")
        self.wait_for(lambda: self.user_message_count() > before, what=f"{text!r} to be sent")
        self.wait_idle()

    def user_message_count(self) -> int:
        return sum(1 for m in list(self.app.session.messages) if m.get("role") == "user")

    def command(self, line: str) -> None:
        """Run a meta-command and wait until the UI loop has handled it."""
        self.type(line + "\r")
        self.sync()

    # -- observation -------------------------------------------------------------------------

    @property
    def output(self) -> str:
        """Everything printed to the scrollback so far, without ANSI codes."""
        return strip_ansi("".join(self.chunks))

    @property
    def status(self) -> str:
        return self.shell.status_text()

    @property
    def buffer_text(self) -> str:
        return self.shell.buffer.text

    def wait_for(self, predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; output so far:\n{self.output}"
                                     f"\nstatus: {self.status}\nprompt: {self.buffer_text!r}")
            time.sleep(POLL)

    def wait_output(self, text: str, timeout: float = TIMEOUT, count: int = 1) -> str:
        """Wait until ``text`` has been printed ``count`` times; returns the output."""
        self.wait_for(lambda: self.output.count(text) >= count, timeout, what=repr(text))
        return self.output

    def wait_idle(self, timeout: float = TIMEOUT) -> None:
        """Wait until the keys sent so far are handled, no turn runs, and its output is printed."""
        self.sync()  # a turn that the keys sent start has started before ``busy`` is read
        self.wait_for(lambda: not self.shell.runner.busy, timeout, what="turn to end")
        self.sync()

    def sync(self) -> None:
        """Wait until the UI loop has handled the keys sent so far and printed what it queued.

        Nothing here waits on time: the pipe is empty; on the UI loop the input parser and a
        pending key sequence (an Escape that may start Alt-Enter, a ``g`` of ``gg``) are
        flushed as the application itself does once its timeouts pass with no more keys
        (``ttimeoutlen``, ``timeoutlen``); and a marker written to the scrollback after
        everything else has come out of it.
        """
        self.wait_for(lambda: self._unread_input() == 0, what="keys to be read")
        flushed = threading.Event()

        def flush() -> None:
            application = self.shell.application
            if application.is_running and not application.is_done:
                processor = application.key_processor
                processor.feed_multiple(application.input.flush_keys())
                processor.process_keys()
                if processor.key_buffer:  # as when ``timeoutlen`` passes with a prefix pending
                    processor.feed(_Flush)
                    processor.process_keys()
            flushed.set()

        self.shell.on_ui(flush)
        flushed.wait(TIMEOUT)
        marker = f"\0sync{next(self._marker_count)}\0"
        written = self._markers[marker] = threading.Event()
        self.shell.scrollback.write(marker)
        if not written.wait(TIMEOUT):
            raise AssertionError(f"output not drained; so far:\n{self.output}")

    def _collect(self, text: str) -> None:
        """The shell's terminal writer: keeps the text, signals the sync markers in it."""
        for marker in [m for m in self._markers if m in text]:
            text = text.replace(marker, "")
            self._markers.pop(marker).set()
        if text:
            self.chunks.append(text)

    def _unread_input(self) -> int:
        """Bytes sent to the pipe that the application has not read yet."""
        try:
            return struct.unpack("i", fcntl.ioctl(self.pipe.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return 0

    def exited(self, timeout: float = TIMEOUT) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    # -- teardown ----------------------------------------------------------------------------

    def close(self) -> None:
        loop = self.shell._loop
        if self.thread.is_alive() and loop is not None:
            loop.call_soon_threadsafe(self.shell.quit)
        self.thread.join(TIMEOUT)
        self.shell.runner.cancel()
        self.app.shutdown()
        self.shell.runner.join(TIMEOUT)
        self.host.close()
        self._pipe_cm.__exit__(None, None, None)

    def __enter__(self) -> ShellDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def sh(store: Any, tmp_path: Path) -> Iterator[ShellDriver]:
    """A running shell on the offline provider, in temp XDG dirs."""
    project = tmp_path / "project"
    project.mkdir()
    with ShellDriver(store, project) as driver:
        yield driver
