"""Run a program in a real terminal (tmux) and read its screen, for end-to-end tests.

    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=..., cwd=...) as term:
        term.wait_for("INSERT")
        term.type("hello"); term.keys("Enter")
        screen = term.wait_for("Offline mode")

Each session runs on its own tmux server (a unique socket) under a unique session name,
and both are always killed on exit. After the program ends, the pane prints
``[exited N]`` and stays open so the last screen and the exit code can be read.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

EXITED = re.compile(r"\[exited (\d+)\]")


def tmux_available() -> bool:
    """True when a tmux binary is on PATH."""
    return shutil.which("tmux") is not None


class TmuxSession:
    """One program in one detached tmux pane."""

    def __init__(self, command: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: str | Path | None = None, width: int = 120, height: int = 40) -> None:
        self.socket = f"smelt-test-{uuid.uuid4().hex[:12]}"
        self.name = f"smelt-{uuid.uuid4().hex[:12]}"
        assignments = [f"{key}={value}" for key, value in (env or {}).items()]
        # The wrapper shell survives a Ctrl-C meant for the program (a trap with a command,
        # unlike an ignored signal, is not inherited by the program).
        script = f'trap ":" INT; {shlex.join(["env", *assignments, *command])}; echo "[exited $?]"; sleep 600'
        try:
            self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                       *(["-c", str(cwd)] if cwd else []), "sh", "-c", script)
            # tmux moves a screen cleared from its top-left corner into the history; the
            # prompt's "erase below" then would leave a stale copy of the prompt there.
            self._tmux("set-option", "-g", "scroll-on-clear", "off", check=False)
        except BaseException:
            self.kill()
            raise

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=10)

    def set_option(self, name: str, value: str) -> None:
        """A global tmux option of this session's private server (``set-clipboard on``...)."""
        self._tmux("set-option", "-g", name, value)

    def paste_buffer(self) -> str:
        """The newest tmux paste buffer ("" when there is none)."""
        return self._tmux("show-buffer", check=False).stdout

    def type(self, text: str) -> None:
        """Type ``text`` literally."""
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def keys(self, *names: str) -> None:
        """Press named keys: Enter, Escape, C-c, C-d, Up..."""
        self._tmux("send-keys", "-t", self.name, *names)

    def screen(self) -> str:
        """The visible screen plus the scrollback above it."""
        return self._tmux("capture-pane", "-p", "-J", "-t", self.name, "-S", "-5000").stdout

    def wait_for(self, what: str | Callable[[str], object], timeout: float = 8.0) -> str:
        """Poll the screen until ``what`` (text, or a predicate of the screen) shows; returns it."""
        test = (lambda screen: what in screen) if isinstance(what, str) else what
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what!r}; screen:\n{screen}")
            time.sleep(0.05)

    def exit_code(self, timeout: float = 8.0) -> int:
        """Wait for the program to end; its exit status."""
        screen = self.wait_for(lambda s: EXITED.search(s), timeout)
        return int(EXITED.search(screen).group(1))  # type: ignore[union-attr]

    def kill(self) -> None:
        """End the session and its private server (never fails)."""
        self._tmux("kill-session", "-t", self.name, check=False)
        self._tmux("kill-server", check=False)

    def __enter__(self) -> TmuxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
