"""The interactive shell: the one UI host (``UiHost``), built on a non-full-screen
prompt_toolkit application.

Threads: the prompt_toolkit event loop (the UI thread) reads keys and runs actions,
meta-commands and Lua; a turn (``App.send``, blocking) runs on a worker thread
(``turns.TurnRunner``), and so do its event handlers. Anything printed goes through
``Scrollback``, which marshals it to the UI loop and prints it above the prompt, so the
prompt stays usable while a reply streams. The UI thread never waits for Lua running on the
worker: it refuses to enter Lua then, and Ctrl-C interrupts that Lua.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import Condition, has_focus
from prompt_toolkit.history import History
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from prompt_toolkit.key_binding.vi_state import InputMode
from prompt_toolkit.output import Output

from smelt_repl import display, session_screen
from smelt_repl.actions import Actions
from smelt_repl.command_line import CommandLine, command_line_bindings
from smelt_repl.dot_repeat import DotRepeat
from smelt_repl.input_history import project_history
from smelt_repl.keybindings import picker_bindings, shell_bindings
from smelt_repl.layout import STYLE, build_layout
from smelt_repl.paste import paste_key_bindings
from smelt_repl.pickers import Choice, Picker, SearchModel
from smelt_repl.replay_window import tail_start
from smelt_repl.screen_erase import keep_erases_out_of_history
from smelt_repl.scrollback import Scrollback, Writer
from smelt_repl.settings import DEFAULT_SETTINGS
from smelt_repl.shell_application import ESCAPE_DELAY, ShellApplication
from smelt_repl.shell_completers import command_line_completer, prompt_completer
from smelt_repl.shell_status import StatusLine
from smelt_repl.sigint import sigint_from_terminal
from smelt_repl.stop_signals import STOP_SIGNALS
from smelt_repl.turn_runner import TurnRunner
from smelt_repl.user_keymaps import UserKeymaps

if TYPE_CHECKING:
    from smelt_repl.app import App
    from smelt_repl.lua_host import LuaHost

LUA_BUSY = "Lua is busy in a turn's event handler (Ctrl-C stops it)"

__all__ = ["Shell"]


class Shell:
    """The terminal UI: prompt, status line, pickers, scrollback output; implements UiHost."""

    def __init__(self, app: App, host: LuaHost | None, *, input: Input | None = None,  # noqa: A002
                 output: Output | None = None, write: Writer | None = None, color: bool | None = None,
                 history: History | None = None) -> None:
        """The UI of ``app`` (which it attaches itself to) with Lua host ``host``; ``input``,
        ``output`` and ``write`` default to the terminal, ``history`` to this project's."""
        self.app = app
        self.host = host
        self.make_host: Callable[[], LuaHost] | None = None  # when making the host is deferred
        self.buffer = Buffer(multiline=True, history=history or project_history(app.cwd),
                             completer=prompt_completer(self, lambda: app.cwd),
                             complete_while_typing=Condition(lambda: self.buffer.text.startswith(":")))
        self.picker = Picker(on_open=self._focus_picker, on_close=self._focus_input,
                             on_change=lambda: self.application.invalidate())
        self.command_line = CommandLine(command_line_completer(self), on_open=self._enter_command_line,
                                        on_close=self._leave_command_line, run=self.run_command_line)
        self.actions = Actions(self)
        self.user_keys = KeyBindings()
        self.keymaps = UserKeymaps(self.user_keys, has_focus(self.buffer),
                                   lambda: self.app.settings.get("leader") or DEFAULT_SETTINGS["leader"])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context = contextvars.copy_context()
        input_focused = has_focus(self.buffer)
        self.screen = build_layout(self.buffer, self.picker, picker_bindings(self.picker), lambda: self.status_line.fragments(),
                                   self.command_line, command_line_bindings(self.command_line))
        self.application = ShellApplication(
            layout=self.screen.layout, style=STYLE, editing_mode=EditingMode.VI, full_screen=False,
            key_bindings=merge_key_bindings([
                shell_bindings(self.actions, input_focused, Condition(lambda: not self.buffer.text)),
                paste_key_bindings(self.screen.pastes, input_focused),
                self.user_keys,
            ]),
            erase_when_done=True, input=input, output=output, before_render=self._sync_editing_mode)
        self.application.ttimeoutlen = ESCAPE_DELAY
        self.dot_repeat = DotRepeat(self.application, self.buffer)
        self.terminal = self.application.output
        keep_erases_out_of_history(self.terminal)
        self.color = display.wants_color(self.terminal) if color is None else color
        self.scrollback = Scrollback(write or self._write_terminal)
        self.status_line = StatusLine(self)
        self.runner = TurnRunner(app, self.scrollback, self.width, self.color, self.application.invalidate,
                                 self._offer_again)
        self.stopped_by: int | None = None  # SIGTERM / SIGHUP, when one ended the REPL
        self.shown_from = 0  # index of the first message of the session replayed on screen
        self.pending_attachments: list[str] = []  # :attach PATH, for the next message
        app.attach_ui(self)

    # -- running -------------------------------------------------------------------------

    def run(self) -> None:
        """Run the prompt until the user leaves; output is written straight through after.

        SIGTERM and SIGHUP (``kill``, a closed terminal) cancel the reply in flight, as
        Ctrl-C does, and leave; ``stopped_by`` then names the signal. Once the terminal is
        gone (SIGHUP), output to it is dropped rather than raised.
        """
        try:
            # Ctrl-C is a key in raw mode. prompt_toolkit's SIGINT handler stays off: a Ctrl-C
            # that stopped Lua code (see sigint.py) would otherwise come back as a key later.
            self.application.run(pre_run=self._attach, handle_sigint=False)
        except OSError:
            if self.stopped_by is None:
                raise
        finally:
            self._loop = None
            self.scrollback.detach()

    def _attach(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()  # holds the running application
        self.scrollback.attach()
        self._sync_editing_mode()
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                loop.add_signal_handler(signum, self._stop_by_signal, signum)

    def _stop_by_signal(self, signum: int) -> None:
        self.stopped_by = signum
        self.runner.cancel()
        self.quit()

    def width(self) -> int:
        """Columns available for rendered replies."""
        try:
            return max(20, self.terminal.get_size().columns)
        except Exception:
            return 80

    # -- UiHost --------------------------------------------------------------------------

    def set_prompt_text(self, text: str) -> None:
        """Replace the prompt's text, cursor at its end."""
        self.on_ui(lambda: setattr(self.buffer, "document", Document(text, len(text))))

    def enter_vim_insert(self) -> None:
        """Leave the prompt in vim insert mode (no-op with emacs bindings)."""
        self.on_ui(lambda: setattr(self.application.vi_state, "input_mode", InputMode.INSERT))

    def leave_vim_insert(self) -> None:
        """Put the prompt in vim normal mode (no-op with emacs bindings)."""
        def leave() -> None:
            if self.application.editing_mode == EditingMode.VI:
                self.application.vi_state.input_mode = InputMode.NAVIGATION

        self.on_ui(leave)

    def output(self, text: str) -> None:
        """Print plain text into the scrollback above the prompt."""
        self.scrollback.write(display.plain(text))

    def error(self, text: str) -> None:
        """Print one red error line into the scrollback."""
        self.scrollback.write(display.error_line(text, self.color))

    def show_session(self, messages: list[dict], reset_mode: bool = True) -> None:
        """Reset the prompt and picker (and with ``reset_mode`` the vim mode, to insert), then
        replay ``messages`` under a separator (``session_screen``)."""
        session_screen.show_session(self, messages, reset_mode)

    def show_history(self, turns: int) -> int:
        """``:history``: the ``turns`` user turns above what is on screen; how many messages
        are still above them."""
        messages = self.app.session.messages
        end = min(self.shown_from, len(messages))
        start = tail_start(messages, turns, end)
        width = self.width()
        header = display.separator(width, self.color, f"earlier: messages {start + 1}-{end} of {len(messages)}")
        self.scrollback.write(header + display.replay(messages[start:end], width, self.color)
                              + display.separator(width, self.color, "end of earlier messages"))
        self.shown_from = start
        return start

    def _offer_again(self, text: str) -> None:
        """A failed turn's message was taken back: into the prompt, unless a draft is there."""
        def offer() -> None:
            if self.buffer.text.strip():
                self.print("your draft is kept: :retry sends the failed message again")
                return
            self.buffer.document = Document(text, len(text))
            self.print("your message is back in the prompt: Enter sends it again")

        self.on_ui(offer)

    def run_builtin(self, name: str, args: str) -> bool:
        """``smelt.cmd.run`` of a built-in meta-command; False when ``name`` is none. On the UI
        thread it runs at once and its errors go back to the caller; from a turn's event
        handler it is handed to the UI thread and its errors are printed there."""
        from smelt_repl import commands

        command = commands.builtin(name)
        if command is None:
            return False
        if self._on_ui_thread():
            command.run(self, args)
        else:
            self.on_ui(lambda: commands.run_guarded(self, name, lambda: command.run(self, args)))
        return True

    def add_keymap(self, mode: str, keys: str, action: object, desc: str | None) -> None:
        """Bind vim-notation ``keys`` in mode "n"/"i" to ``action``; rebinding replaces."""
        if not callable(action):
            raise ValueError("keymap action must be a function")
        self.keymaps.add(mode, self.keymaps.parse(mode, keys)[1], keys, lambda: self._run_user_action(action, keys), desc)

    def remove_keymap(self, mode: str, keys: str) -> None:
        """Undo ``add_keymap`` (smelt's ``Reg:remove()``)."""
        mode, parsed = self.keymaps.parse(mode, keys)
        self.on_ui(lambda: self.keymaps.remove(mode, parsed))

    def user_keymaps(self) -> list[tuple[str, str, str]]:
        """Lua keymaps as ``(mode, keys, description)``, for ``:help``."""
        return self.keymaps.listing()

    # -- what commands and actions use ----------------------------------------------------

    print = output  # the names commands use (ShellOps) for UiHost's output and error
    print_error = error

    def open_picker(self, title: str, choices: list[Choice], on_pick: Callable[[Any], None],
                    index: int = 0, on_dismiss: Callable[[], None] | None = None) -> None:
        """Show a selection list under the prompt (``on_dismiss``: closed without a pick)."""
        self.picker.open(title, choices, on_pick, index, on_dismiss)

    def open_search_picker(self, model: SearchModel, on_pick: Callable[[Any], None]) -> None:
        """Show a picker with a query line whose rows ``model`` decides (``:sessions``)."""
        self.picker.open_search(model, on_pick)

    def ask(self, label: str, on_answer: Callable[[str], None], on_dismiss: Callable[[], None]) -> None:
        """Ask one line of text under the prompt (a script's dialog input); from any thread."""
        self.on_ui(lambda: self.command_line.ask(label, on_answer, on_dismiss))

    def set_vim(self, enabled: bool) -> None:
        """Switch between vi and emacs key bindings (``:set vim`` / ``:set novim``)."""
        self.app.settings["vim"] = bool(enabled)
        self._sync_editing_mode()

    def quit(self) -> None:
        """Leave the prompt (from any thread); ``run_interactive`` shuts the app down."""
        def leave() -> None:
            if self.application.is_running and not self.application.future.done():
                self.application.exit()

        self.on_ui(leave)

    def hint(self, text: str) -> None:
        """Show a short message in the status line for a few seconds."""
        self.status_line.hint(text)

    def status_text(self) -> str:
        """The status line as plain text."""
        return self.status_line.text()

    def run_command_line(self, line: str) -> None:
        """What Enter on the Vim command line does: run ``line`` as a command, whatever it is."""
        from smelt_repl import commands
        from smelt_repl.input_rule import CommandInput, classify

        kind = classify(line if line.startswith(":") else f":{line}", commands.known_names(self))
        if isinstance(kind, CommandInput):
            self.run_command(kind.line)
        else:
            name = line.strip().lstrip(":").split(maxsplit=1)[0]
            self.print_error(f"not a command: :{name} (try :help)")

    def run_command(self, line: str) -> None:
        """Run a ``:command`` line (Ctrl-C can stop Lua code it runs)."""
        from smelt_repl import commands

        if commands.enters_lua(self, line) and self._lua_busy_elsewhere():
            self.error(LUA_BUSY)
            return
        with self._lua_interruptible():
            commands.run(self, line)

    def send_to_terminal(self, control: str) -> None:
        """Write a terminal control sequence (OSC 52, say) in order with the output."""
        self.scrollback.write(control)

    def can_send(self) -> bool:
        """True when a message sent now would go (or be queued), not be refused."""
        return self.runner.can_send

    def send_message(self, text: str, attachments: list[dict] | None = None) -> bool:
        """Send ``text`` (with ``attachments`` references) as a chat turn (queued while the
        last one ends) and animate the spinner until the first token; False when not taken."""
        return self._spin_if(self.runner.start(text, attachments))

    def start_compaction(self, guidance: str) -> bool:
        """``:compact``: the summary request on the turn worker, with the spinner; False
        while a turn runs or a message is queued."""
        return self._spin_if(self.runner.start_compaction(guidance))

    def _spin_if(self, started: bool) -> bool:
        if started and self.application.is_running:
            self.application.create_background_task(self.status_line.spin())
        return started

    def lua_host(self) -> LuaHost | None:
        """The Lua host; made now if its making was deferred (``make_host``) and is still
        to come, e.g. for a ``:lua`` typed while a resumed session's turns are printed."""
        if self.host is None and self.make_host is not None:
            self.host = self.make_host()
        return self.host

    def _lua_busy_elsewhere(self) -> bool:
        # Keys are read only while no Lua runs on the UI thread: running Lua is on the worker.
        return self.host is not None and self.host.running

    def _run_user_action(self, action: Callable[[], object], keys: str) -> None:
        if self._lua_busy_elsewhere():
            self.error(LUA_BUSY)
            return
        with self._lua_interruptible():
            try:
                action()
            except Exception as exc:  # the Lua host reports its own errors; this is a backstop
                self.error(f"keymap {keys} failed: {exc}")

    def _lua_interruptible(self) -> AbstractContextManager[None]:
        try:
            fd = self.application.input.fileno() if self.application.is_running else None
        except Exception:
            fd = None
        return sigint_from_terminal(fd, lambda: self.error("interrupted"))

    def _sync_editing_mode(self, _app: object = None) -> None:
        wanted = EditingMode.VI if self.app.settings.get("vim", True) else EditingMode.EMACS
        if self.application.editing_mode != wanted:
            self.application.editing_mode = wanted
            self.application.vi_state.input_mode = InputMode.INSERT

    def _focus_picker(self) -> None:
        self.application.layout.focus(self.screen.picker_window)
        self.application.invalidate()

    def _enter_command_line(self) -> None:
        self.application.vi_state.input_mode = InputMode.INSERT
        self.application.layout.focus(self.screen.command_window)
        self.application.invalidate()

    def _leave_command_line(self) -> None:
        self._focus_input()
        if self.application.editing_mode == EditingMode.VI:
            self.application.vi_state.input_mode = InputMode.NAVIGATION

    def _focus_input(self) -> None:
        self.application.layout.focus(self.screen.input_window)
        self.application.invalidate()

    def _on_ui_thread(self) -> bool:
        loop = self._loop
        return loop is None or _running_loop() is loop

    def on_ui(self, operation: Callable[[], None]) -> None:
        """Run ``operation`` on the UI thread (now, if this is it), in the application's
        context, so prompt_toolkit's ``get_app()`` finds this application there."""
        if self._on_ui_thread():
            operation()
        else:
            self._loop.call_soon_threadsafe(operation, context=self._context.copy())  # type: ignore[union-attr]

    def _write_terminal(self, text: str) -> None:
        try:
            self.terminal.write_raw(text)
            self.terminal.flush()
        except OSError:  # the terminal hung up (SIGHUP): what it would show is saved anyway
            if self.stopped_by is None:
                raise


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
