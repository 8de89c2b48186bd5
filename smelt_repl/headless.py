"""Headless mode: one message in, the streamed reply on stdout, a usage summary on stderr.

Exit codes: 0 ok, 1 runtime error (provider, config, Lua), 2 usage, 130 interrupted.
The session is written like an interactive one; meta-commands are refused.
"""

from __future__ import annotations

import argparse
import os
import sys

from smelt_repl.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, fail


def run_headless(args: argparse.Namespace) -> int:
    """Run ``--headless MESSAGE`` / ``-p MESSAGE`` / ``--headless --lua FILE``."""
    message = _read_message(args.headless)
    if message is None and args.lua is None:
        print("smelt-repl: --headless needs a MESSAGE ('-' reads stdin) or --lua FILE", file=sys.stderr)
        return EXIT_USAGE
    if message is not None and message.lstrip().startswith(":"):
        name = message.split()[0]
        return fail(f'"{name}" requires interactive mode')
    app, host = _start_app(args)
    try:
        if args.lua is not None:
            return EXIT_OK if host.run_file(args.lua) else EXIT_ERROR
        return _one_shot(app, message or "")
    finally:
        app.shutdown()


def _read_message(raw: str | None) -> str | None:
    """The message to send; None when there is none (blank stdin counts as none)."""
    # A trailing newline from `echo ... |` is not part of the message.
    text = sys.stdin.read().rstrip("\n") if raw == "-" else raw
    return text if text and text.strip() else None


def _start_app(args: argparse.Namespace):  # noqa: ANN202
    from smelt_repl.app import App
    from smelt_repl.applog import setup_app_log
    from smelt_repl.lua_host import LuaHost
    from smelt_repl.paths import config_dir, sessions_root
    from smelt_repl.session_core import SessionStore

    setup_app_log()
    app = App(SessionStore(sessions_root()), cwd=os.getcwd(), model_flag=args.model, api_base=args.api_base)
    host = LuaHost(app)
    host.load_config(config_dir())
    app.start()
    return app, host


def _one_shot(app, message: str) -> int:  # noqa: ANN001
    from smelt_repl.app import ConfigError

    try:
        model = app.resolved_model()
    except ConfigError as exc:
        return fail(str(exc))
    out = _Stdout()
    result = app.send(message, out.write)
    if out.wrote_any and not result.reply.endswith("\n"):
        out.write("\n")
    print(_summary(app, model.key, result), file=sys.stderr, flush=True)
    if result.interrupted:
        print("smelt-repl: interrupted; the partial reply was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.error:
        return fail(result.error)
    return EXIT_OK


class _Stdout:
    """Reply text to stdout as it streams; a reader that goes away (``| head``) is not an error."""

    def __init__(self) -> None:
        self.wrote_any = False
        self._closed = False

    def write(self, text: str) -> None:
        if self._closed:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
            self.wrote_any = True
        except BrokenPipeError:
            self._closed = True
            # Point stdout at /dev/null so the interpreter's final flush does not fail too.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


def _summary(app, model_key: str, result) -> str:  # noqa: ANN001
    usage = result.usage
    if usage is None:
        tokens = "tokens: n/a"
    else:
        cached = f" (+{usage.cache_read} cached)" if usage.cache_read else ""
        tokens = f"tokens: {usage.input}{cached} in, {usage.output} out"
    return f"[{model_key}] {tokens}, cost ${result.cost_usd:.4f} · session {app.session.id[:8]}"
