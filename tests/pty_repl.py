"""``python -m smelt_repl`` on a real pseudo-terminal, for what only a terminal shows: its
mode (the two ends of a pty share one termios, so the test reads it from the master side)
and keys that arrive before the prompt is drawn. Cursor-position requests are turned off
(``PROMPT_TOOLKIT_NO_CPR``): nothing here answers them."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path


class PtyRepl:
    """The REPL on a pty: write keys, read its output, look at the terminal's mode."""

    def __init__(self, env: Mapping[str, str], cwd: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env={**env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
                                     cwd=cwd, start_new_session=True)
        os.close(slave)
        self.output = b""

    def lflag(self) -> int:
        """The terminal's local mode flags now (termios ECHO, ICANON...)."""
        return termios.tcgetattr(self.master)[3]

    def write(self, data: bytes) -> None:
        """Type ``data``."""
        os.write(self.master, data)

    def read_until(self, test: Callable[[bytes], bool], timeout: float = 20.0,
                   each: Callable[[], None] = lambda: None) -> bytes:
        """Read output until ``test(output so far)``; ``each`` runs at every turn of the loop
        (about every 0.2 ms)."""
        deadline = time.monotonic() + timeout
        while not test(self.output):
            assert time.monotonic() < deadline, f"timed out; output ends {self.output[-400:]!r}"
            if select.select([self.master], [], [], 0.0002)[0]:
                self.output += os.read(self.master, 65536)
            each()
        return self.output

    def close(self) -> None:
        """Kill the REPL and close the terminal."""
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)
