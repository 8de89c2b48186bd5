"""Headless mode: one message in, the streamed reply on stdout, a usage summary on stderr.

Exit codes: 0 ok, 1 runtime error (provider, config, Lua), 2 usage, 130 interrupted
(Ctrl-C), 143 / 129 ended by SIGTERM / SIGHUP (the partial reply is saved in every case); a
Lua script's ``os.exit(code)`` ends the run with its code.

The session is written like an interactive one (``-r ID`` / ``-c`` continue a saved one); a
run that fails before sending anything leaves no session behind. Commands are refused (the
rule of ``input_rule``). A message that will clearly not fit the model's context window is
not sent (exit 1); with ``auto_compact`` on, the conversation is compacted first (``:compact``'s
summary, its outcome on stderr). ``--json`` prints the turn as one JSON object instead of its text.
The message (argument or stdin) is decoded with U+FFFD for bytes that are not UTF-8, so it is
always saved and sent. The reply goes to stdout byte for byte when that is a pipe; to a
terminal, control characters are made harmless as in the REPL.
"""

from __future__ import annotations

import argparse
import os
import sys

from smelt_repl.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, fail
from smelt_repl.input_rule import CommandInput, LikelyTypo, classify
from smelt_repl.markdown_blocks import fenced
from smelt_repl.stop_signals import exit_code_for, raising_on_stop_signals
from smelt_repl.unicode_text import text_from_argv, text_from_bytes

HEADLESS_REMEDY = "nothing was sent (run :compact in the REPL, or set smelt.settings.auto_compact = true)"


def run_headless(args: argparse.Namespace, session_id: str | None = None) -> int:
    """Run ``-p [MESSAGE]`` (in session ``session_id`` with ``-r``/``-c``, else a new one)
    or ``--headless --lua FILE``."""
    message = None if args.lua is not None else read_message(args.headless)
    if message is None and args.lua is None:
        print("smelt-repl: --headless needs a MESSAGE (or one on stdin) or --lua FILE", file=sys.stderr)
        return EXIT_USAGE
    app, host = _start_app(args, session_id)
    try:
        if app.exit_code is not None:  # os.exit in init.lua: a clean quit before anything runs
            return app.exit_code
        if args.lua is not None:
            ok = host.run_file(args.lua)
            host.wait_tasks()  # smelt.spawn tasks still sleeping finish before the exit
            if app.exit_code is not None:
                return app.exit_code
            return EXIT_OK if ok else EXIT_ERROR
        kind = classify(message or "", known_commands(host))
        if isinstance(kind, LikelyTypo):
            return fail(kind.hint)
        if isinstance(kind, CommandInput):
            return fail(f'":{kind.name}" requires interactive mode')
        return _one_shot(app, kind.text, as_json=bool(getattr(args, "json", False)),
                         show_reasoning=bool(getattr(args, "show_reasoning", False)))
    finally:
        app.shutdown()


def known_commands(host) -> set[str]:  # noqa: ANN001 - a LuaHost
    """Built-in and Lua-registered command names, for the messages-vs-commands rule."""
    from smelt_repl.commands import BUILTINS

    return {command.name for command in BUILTINS} | {name for name, _ in host.commands()}


def read_message(raw: str | None) -> str | None:
    """The message to send; None when there is none (blank counts as none).

    ``-p -`` and a bare ``-p`` read it from stdin. ``-p MESSAGE`` with stdin that is not a
    terminal (``cat file | smelt-repl -p "explain"``) sends MESSAGE plus stdin as a fenced
    block after it.
    """
    if raw is None:
        return None
    if raw in ("", "-"):
        text = _stdin_text() if raw == "-" or not sys.stdin.isatty() else ""
    else:
        text = text_from_argv(raw)
        piped = "" if sys.stdin.isatty() else _stdin_text()
        if piped.strip():
            text = f"{text}\n\n{fenced(piped)}"
    return text if text.strip() else None


def _stdin_text() -> str:
    # A trailing newline from `echo ... |` is not part of the message.
    return text_from_bytes(sys.stdin.buffer.read()).rstrip("\n")


def _start_app(args: argparse.Namespace, session_id: str | None):  # noqa: ANN202
    from smelt_repl.app import App
    from smelt_repl.applog import setup_app_log
    from smelt_repl.lua_host import LuaHost
    from smelt_repl.paths import config_dir, sessions_root
    from smelt_repl.session_core import SessionStore

    setup_app_log()
    app = App(SessionStore(sessions_root()), cwd=os.getcwd(), model_flag=args.model, api_base=args.api_base)
    host = LuaHost(app)
    host.load_config(config_dir())
    if getattr(args, "system", None) is not None:
        app.settings["system_prompt"] = args.system
    app.start(session_id)
    return app, host


def _one_shot(app, message: str, as_json: bool, show_reasoning: bool = False) -> int:  # noqa: ANN001
    from smelt_repl.app import ConfigError

    out = _Stdout()
    thinking = _Thinking(out) if show_reasoning and not as_json else None
    try:
        model = app.resolved_model()
        turn = _new_turn(app, message)
        if thinking is not None:
            turn.on_reasoning = thinking.write
        with raising_on_stop_signals() as stopped:
            sink = None if as_json else (thinking.before_answer(out.write) if thinking else out.write)
            result = app.run_turn(turn, sink)
    except ConfigError as exc:  # nothing was sent and nothing written
        return fail(str(exc))
    if thinking is not None:
        thinking.close()
    if as_json:
        out.write(json_result(app, model.key, result) + "\n")
    elif out.wrote_any and not result.reply.endswith("\n"):
        out.write("\n")
    print(_summary(app, model.key, result), file=sys.stderr, flush=True)
    if result.interrupted:
        print("smelt-repl: interrupted; the partial reply was saved", file=sys.stderr)
        return exit_code_for(stopped.signum) if stopped.signum else EXIT_INTERRUPTED
    if result.error:
        return fail(result.error)
    return EXIT_OK


def _new_turn(app, message: str):  # noqa: ANN001, ANN202 - an App in, a TurnHandle out
    """The turn of ``message``: ConfigError (nothing sent) when it will not fit the context
    window; with auto_compact on, it compacts first (the outcome on stderr)."""
    from smelt_repl import compaction
    from smelt_repl.app import ConfigError

    problem = compaction.overflow_problem(app, message, HEADLESS_REMEDY)
    if problem is not None:
        raise ConfigError(problem)
    turn = app.new_turn(message)
    turn.before_send = compaction.auto_compaction(
        app, lambda outcome: print(f"smelt-repl: {outcome.line}", file=sys.stderr, flush=True))
    return turn


def json_result(app, model_key: str, result) -> str:  # noqa: ANN001
    """``--json``: the turn as one JSON object."""
    import orjson

    usage = result.usage.counts() | {"context_tokens": result.usage.context_tokens} if result.usage else None
    return orjson.dumps({
        "text": result.reply, "model": model_key, "usage": usage, "cost_usd": result.cost_usd,
        "session_id": app.session.id, "cancelled": result.cancelled or result.interrupted, "error": result.error,
        "truncated": result.truncated,
    }).decode()


class _Thinking:
    """``--show-reasoning``: the model's reasoning on stdout as it streams, inside a
    ``<thinking>`` block that closes before the answer."""

    def __init__(self, out: _Stdout) -> None:
        self._out = out
        self._open = False

    def write(self, text: str) -> None:
        if not self._open:
            self._out.write("<thinking>\n")
            self._open = True
        self._out.write(text)

    def close(self) -> None:
        if self._open:
            self._out.write("\n</thinking>\n\n")
            self._open = False

    def before_answer(self, write):  # noqa: ANN001, ANN202 - a sink in, a sink out
        def answer(text: str) -> None:
            self.close()
            write(text)
        return answer


class _Stdout:
    """Reply text to stdout as it streams; a reader that goes away (``| head``) is not an error."""

    def __init__(self) -> None:
        self.wrote_any = False
        self._closed = False
        self._to_terminal = sys.stdout.isatty()
        if self._to_terminal:
            from smelt_repl.display import sanitize_lines  # the REPL's rule; rendering stays unloaded

            self._sanitize_lines = sanitize_lines

    def write(self, text: str) -> None:
        if self._closed:
            return
        if self._to_terminal:  # a reply must not drive the terminal (titles, cursor moves)
            text = "\n".join(self._sanitize_lines(text))
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
    mark = " · truncated (the output limit): -c -p 'continue' goes on" if result.truncated else ""
    return f"[{model_key}] {tokens}, cost ${result.cost_usd:.4f} · session {app.session.id[:8]}{mark}"
