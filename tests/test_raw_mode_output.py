"""The terminal's mode around the REPL, read on a real pty (tests/pty_repl.py).

Printing above the prompt leaves the terminal in raw mode: a key typed while a reply is being
written stays a key (in cooked mode Ctrl-D would be an end of file, Ctrl-C a signal, text
echoed by the terminal). Keys typed before the first prompt is drawn are neither echoed nor
rewritten (Enter stays Enter, it does not become Ctrl-J, a newline in the message)."""

from __future__ import annotations

import termios

import orjson

from tests.pty_repl import PtyRepl
from tests.test_hardening_cli import write_provider_config
from tests.test_headless import cli_env, sessions

LINES = 400


def test_the_terminal_stays_raw_while_a_reply_streams(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    pieces = [f"line {i}\n\n" for i in range(LINES)]
    provider_server.script(text="".join(pieces), chunks=pieces, delay=0.003)
    repl = PtyRepl(cli_env(xdg), tmp_path)
    seen = {"polls": 0, "cooked": 0}

    def poll() -> None:
        if b"line 1\n" in repl.output.replace(b"\r", b""):  # the reply is streaming
            seen["polls"] += 1
            seen["cooked"] += bool(repl.lflag() & termios.ICANON)

    try:
        repl.read_until(lambda out: b"INSERT" in out)
        repl.write(b"go\r")
        last = f"line {LINES - 1}".encode()
        repl.read_until(lambda out: last in out and b"INSERT" in out.split(last)[-1], each=poll)
    finally:
        repl.close()
    assert seen["polls"] > 1000  # the mode was looked at all through the reply
    assert seen["cooked"] == 0


def test_keys_typed_before_the_prompt_are_neither_echoed_nor_rewritten(xdg, tmp_path):
    repl = PtyRepl(cli_env(xdg), tmp_path)
    try:
        # typed once the REPL holds the keys (no echo, but Ctrl-C still a signal: not yet
        # prompt_toolkit's raw mode), before its first prompt is drawn
        repl.read_until(lambda out: repl.lflag() & (termios.ECHO | termios.ISIG) == termios.ISIG, timeout=10)
        assert b"INSERT" not in repl.output
        repl.write(b"hello there\r")
        out = repl.read_until(lambda out: b"You said" in out)
    finally:
        repl.close()
    before_prompt = out.split(b"INSERT", 1)[0]
    assert b"hello there" not in before_prompt  # not echoed by the terminal
    [session] = sessions(xdg)
    records = [orjson.loads(line) for line in (session / "transcript.jsonl").read_bytes().splitlines()]
    assert [r["content"] for r in records if r.get("role") == "user"] == ["hello there"]  # Enter sent it
