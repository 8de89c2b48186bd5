"""Command line: parse arguments, resolve session ids, and hand over to the right mode.

Ids given to ``--resume`` are resolved (unique prefix of ≥ 4 characters) and refused with
one clear line and exit 1 *before* any UI starts. Heavy modules (the shell, providers,
Lua) are imported only by the mode that needs them.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from smelt_repl import __version__
from smelt_repl.exit_codes import EXIT_INTERRUPTED, EXIT_OK, fail
from smelt_repl.stop_signals import TerminationSignal


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``smelt-repl``."""
    parser = argparse.ArgumentParser(
        prog="smelt-repl",
        description="A terminal chat REPL for language models, with durable sessions you can "
        "rewind and fork, scriptable in Lua.",
    )
    session = parser.add_mutually_exclusive_group()
    session.add_argument("-r", "--resume", metavar="ID", help="resume a session (id or unique prefix of >= 4 chars)")
    session.add_argument("-c", "--continue", dest="continue_", action="store_true",
                         help="resume the most recent session started in this directory")
    parser.add_argument("-p", "--headless", metavar="MESSAGE", nargs="?", const="",
                        help="one-shot: send MESSAGE (none or '-': read stdin; piped stdin is added to "
                        "MESSAGE as a code block), stream the reply to stdout, exit; with -r/-c in that session")
    parser.add_argument("--json", action="store_true", help="with -p: print the turn as one JSON object")
    parser.add_argument("--show-reasoning", action="store_true",
                        help="with -p: print the model's reasoning (in a <thinking> block) before the answer")
    parser.add_argument("-s", "--system", metavar="TEXT", help="the system prompt for this run")
    parser.add_argument("--list", action="store_true", help="list saved sessions, newest first")
    parser.add_argument("--cwd", action="store_true", help="with --list: only sessions started in this directory")
    parser.add_argument("-n", metavar="N", type=int, help="with --list: only the newest N")
    parser.add_argument("--export", metavar="ID", help="write session ID as Markdown (to PATH, '-' for stdout)")
    parser.add_argument("path", nargs="?", metavar="PATH", help="with --export: where to write it")
    parser.add_argument("--lua", metavar="FILE", help="with --headless: run a Lua file instead of sending a message")
    parser.add_argument("--model", metavar="PROVIDER/MODEL", help="model for this run (overrides config)")
    parser.add_argument("--api-base", metavar="URL", help="base URL of the provider's API")
    parser.add_argument("--version", action="version", version=f"smelt-repl {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smelt-repl`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lua is not None and args.headless is None:
        parser.error("--lua requires --headless")
    if args.json and args.headless is None and not args.list:
        parser.error("--json requires -p/--headless or --list")
    if (args.cwd or args.n is not None) and not args.list:
        parser.error("--cwd and -n go with --list")
    if args.path is not None and args.export is None:
        parser.error(f"unexpected argument {args.path!r}")
    if args.list and (args.headless is not None or args.resume is not None or args.continue_):
        parser.error("--list stands alone")
    try:
        return _dispatch(args)
    except TerminationSignal as stop:
        return stop.exit_code
    except KeyboardInterrupt:
        print("smelt-repl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(args: argparse.Namespace) -> int:
    interactive = args.headless is None and not args.list and args.export is None
    if interactive and sys.stdin.isatty() and sys.stdout.isatty():
        from smelt_repl import typeahead

        typeahead.hold(sys.stdin.fileno())  # before the imports: keys typed meanwhile stay keys
        gc.disable()  # until the prompt runs (interactive.start_collecting): start-up makes no garbage worth it
    from smelt_repl.session_core import SessionError

    try:
        if args.list:
            return _list_sessions(args)
        if args.export is not None:
            return _export(args.export, args.path)
        session_id = _resolve_start_session(args)
        if args.headless is not None:
            from smelt_repl.headless import run_headless

            return run_headless(args, session_id)
    except SessionError as exc:
        return fail(str(exc))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return fail("interactive mode needs a terminal; for one-shot use try -p MESSAGE (or -p - to read stdin)")
    from smelt_repl.interactive import run_interactive

    try:
        return run_interactive(args, session_id)
    finally:
        gc.enable()


def _resolve_start_session(args: argparse.Namespace) -> str | None:
    from smelt_repl.session_core import SessionNotFound

    store = _store()
    if args.resume is not None:
        return store.resolve(args.resume)
    if args.continue_:
        found = store.most_recent_in(os.getcwd())
        if found is None:
            raise SessionNotFound(f"no session to continue in {os.getcwd()}")
        return found
    return None


def _list_sessions(args: argparse.Namespace) -> int:
    """Print the session rows; a session that cannot be listed costs one warning line on
    stderr, and a reader that stops early (``| head``) ends the listing quietly."""
    import logging

    from smelt_repl.listing import escape_controls, session_lines

    logging.getLogger("smelt").addHandler(logging.NullHandler())  # details stay out: one line per bad entry

    def warn(message: str) -> None:
        print(f"smelt-repl: warning: {escape_controls(message)}", file=sys.stderr)

    records = _store().list_records(warn=warn)
    if args.cwd:
        cwd = os.getcwd()
        records = [record for record in records if record[3] == cwd]
    if args.n is not None:
        records = records[: max(0, args.n)]
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # a terminal that cannot show a character gets its escape
        reconfigure(errors="backslashreplace")
    try:
        for chunk in session_lines(records, as_json=args.json):
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    return EXIT_OK


def _export(session_id: str, path: str | None) -> int:
    """``--export ID [PATH]``: the session as Markdown, to PATH (a new file; ``-``: stdout)."""
    from pathlib import Path

    from smelt_repl.export import conversation_markdown, default_export_path, session_model_name, write_new_file

    store = _store()
    session = store.open(store.resolve(session_id))  # a session open in a REPL: SessionLocked, one line
    try:
        text = conversation_markdown(session.messages, title=session.title, model=session_model_name(session.messages),
                                     cwd=session.cwd or os.getcwd(), created_at_ms=session.created_at_ms)
    finally:
        session.close()
    if path == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(path) if path else default_export_path(os.getcwd(), session.title)
    try:
        written = write_new_file(target, text)
    except OSError as exc:
        return fail(f"cannot write {target}: {exc.strerror or exc}")
    print(f"exported to {written}", file=sys.stderr)
    return EXIT_OK


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail on a closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _store():  # noqa: ANN202 - kept import-light
    from smelt_repl.paths import sessions_root
    from smelt_repl.session_core import SessionStore

    return SessionStore(sessions_root())
