"""Starting and ending the interactive REPL: the app, the Lua host and the shell wired
together, logs kept off the terminal while the prompt runs.

``shell.py`` holds the UI itself; this module only runs it (``cli`` calls
``run_interactive``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from smelt_repl import typeahead
from smelt_repl.shell_application import logged

if TYPE_CHECKING:
    from smelt_repl.lua_host import LuaHost
    from smelt_repl.shell import Shell

log = logging.getLogger("smelt.shell")


@contextmanager
def logs_to_file_only() -> Iterator[None]:
    """While the prompt runs, nothing may print over it: records of every logger (asyncio and
    libraries too, not only ``smelt.*``) and threads' uncaught exceptions go to the app log
    (``applog.setup_app_log``), and Python's last-resort handler (stderr) is switched off."""
    root = logging.getLogger()
    added = [h for h in logging.getLogger("smelt").handlers if h not in root.handlers]
    saved = logging.lastResort, threading.excepthook
    for handler in added:
        root.addHandler(handler)
    logging.lastResort = logging.NullHandler()  # type: ignore[assignment]
    threading.excepthook = _log_thread_exception
    try:
        yield
    finally:
        for handler in added:
            root.removeHandler(handler)
        logging.lastResort, threading.excepthook = saved


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if not issubclass(args.exc_type, SystemExit):
        name = args.thread.name if args.thread is not None else "?"
        log.error("uncaught exception in thread %s", name,
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def run_interactive(args: argparse.Namespace, session_id: str | None) -> int:
    """The interactive REPL: start the app on ``session_id`` (or a new session), run the
    prompt until the user leaves, shut down; returns the exit code.

    What the first frame needs comes first. With no config file the Lua host (and the rest
    of what only a key can use) is made right after the first frame is drawn, before any key
    is handled (``ShellApplication.after_first_frame``); a config is loaded before the first
    frame, since it may change what that frame shows (model, vim mode, replayed turns). A
    resumed session's turns are replayed on screen after the first frame too, and with no
    config only the end of a long transcript is read before it (the rest right after)."""
    from smelt_repl import display, session_screen
    from smelt_repl.app import App, ConfigError
    from smelt_repl.applog import setup_app_log
    from smelt_repl.config_files import config_files
    from smelt_repl.paths import config_dir, sessions_root
    from smelt_repl.session_core import SessionError, SessionStore
    from smelt_repl.shell import Shell
    from smelt_repl.stop_signals import exit_code_for

    setup_app_log()
    app = App(SessionStore(sessions_root()), cwd=os.getcwd(), model_flag=args.model, api_base=args.api_base)
    config = config_dir()
    host = _lua_host(app) if config_files(config) else None
    shell = Shell(app, host)
    try:
        if host is not None:
            host.load_config(config)
        if getattr(args, "system", None) is not None:
            app.settings["system_prompt"] = args.system
        app.start(session_id, tail_turns=(app.settings.get("replay_turns") or 0) if host is None else 0)
        if app.exit_code is not None:  # os.exit in init.lua: a clean quit before the prompt
            app.shutdown()
            return app.exit_code
    except (SessionError, ConfigError) as exc:
        print(f"smelt-repl: {exc}", file=sys.stderr)
        app.session.close()
        return 1
    if session_id is not None:
        session_screen.show_resumed(shell)  # the replayed turns come right after the first frame
    problem = app.check_model()  # once the config has loaded, not at the first send
    if problem is not None:  # under the replayed turns, next to the prompt
        shell.application.after_first_frame(lambda: shell.error(f"{problem} (:model picks another)"))
    shell.scrollback.write(display.first_run_hint(app.store, shell.color))
    defer_past_first_frame(shell, config)
    with logs_to_file_only():
        try:
            start_collecting()
            typeahead.release()  # prompt_toolkit saves the terminal's own settings as it starts
            shell.run()
        finally:
            shell.runner.cancel()
            app.shutdown()
            shell.runner.join(5)
    if shell.stopped_by is not None:  # SIGTERM / SIGHUP: the reply in flight was saved
        return exit_code_for(shell.stopped_by)
    if app.session.persisted:
        print(f"resume with: smelt-repl --resume {app.session.id[:8]}")
    return app.exit_code or 0


def start_collecting() -> None:
    """Turn the garbage collector back on for the prompt, with every object made so far
    (modules, the app, the history read) frozen out of its scans: they live as long as the
    process, and a full collection then costs ~3 ms instead of ~20 (which fell right after
    the first frame, when the deferred work runs)."""
    gc.freeze()
    gc.enable()


def _lua_host(app: object) -> LuaHost:
    from smelt_repl.lua_host import LuaHost

    return LuaHost(app)


def defer_past_first_frame(shell: Shell, config: Path) -> None:
    """What no first frame needs but a key may, made once the first frame and whatever is
    printed right after it (a resumed session's turns) are on screen: the Lua host (when
    there was no config to load before the prompt) and the command table. A key handled
    before that which needs the host makes it then (``Shell.lua_host``)."""
    def make_host() -> LuaHost:
        host = _lua_host(shell.app)
        host.load_config(config)  # no files: only the module path
        return host

    def rest() -> None:
        shell.lua_host()
        import smelt_repl.commands  # noqa: F401 - the command table, for the first ':' typed

    if shell.host is None:
        shell.make_host = make_host
    shell.application.after_first_frame(lambda: shell.scrollback.after_drain(logged(rest)))
