"""Printing above the prompt leaves the terminal in raw mode: a key typed while a reply is
being written stays a key (in cooked mode Ctrl-D would be an end of file, Ctrl-C a signal,
text echoed by the terminal). The REPL runs on a real pty whose mode is polled from the
master side (the two ends share one termios) all through a streamed reply."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import termios
import time

from tests.test_hardening_cli import write_provider_config
from tests.test_headless import cli_env

LINES = 400


def test_the_terminal_stays_raw_while_a_reply_streams(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    pieces = [f"line {i}\n\n" for i in range(LINES)]
    provider_server.script(text="".join(pieces), chunks=pieces, delay=0.003)
    master, slave = pty.openpty()
    env = {**cli_env(xdg), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=tmp_path, start_new_session=True)
    os.close(slave)
    screen, cooked_seen, polls = b"", 0, 0
    try:
        def pump(until: bytes, timeout: float = 20.0) -> None:
            nonlocal screen, cooked_seen, polls
            deadline = time.monotonic() + timeout
            while until not in screen:
                assert time.monotonic() < deadline, f"no {until!r} in {screen[-400:]!r}"
                if select.select([master], [], [], 0.0002)[0]:
                    screen += os.read(master, 65536)
                if b"line 1\n" in screen.replace(b"\r", b""):  # the reply is streaming
                    polls += 1
                    cooked_seen += bool(termios.tcgetattr(master)[3] & termios.ICANON)

        pump(b"INSERT")
        os.write(master, b"go\r")
        pump(f"line {LINES - 1}".encode())
        pump(b"INSERT")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert polls > 1000  # the mode was looked at all through the reply
    assert cooked_seen == 0
