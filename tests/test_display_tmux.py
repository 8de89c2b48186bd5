"""The screen in a real terminal (tmux): the status line at 120, 60 and 40 columns, and no
stale copies of the prompt in the scrollback after a long paste or ``:rewind undo``.

tmux's ``scroll-on-clear`` (on by default, off in tmux_driver) moves the screen into the
history whenever it is erased from its top-left corner; these tests turn it back on.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tmux_driver import TmuxSession, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")

STATUS = re.compile(r"^ (INSERT|NORMAL|EMACS) .*", re.M)
PASTE = "\n".join(f"pasted line {i}" for i in range(60))
REPL = [sys.executable, "-m", "smelt_repl"]
# The REPL with its terminal output made to erase without a whole-screen clear, as shell.py
# does once it calls screen_erase.keep_erases_out_of_history (used while it does not yet).
ERASE_FIXED = [sys.executable, "-c", """
import smelt_repl.shell as shell
from smelt_repl.screen_erase import keep_erases_out_of_history
made = shell.Shell.__init__
def init(self, *args, **options):
    made(self, *args, **options)
    keep_erases_out_of_history(self.terminal)
shell.Shell.__init__ = init
from smelt_repl.cli import main
raise SystemExit(main())
"""]


def erase_fix_is_wired() -> bool:
    root = Path(__file__).resolve().parents[1] / "smelt_repl"
    return any("keep_erases_out_of_history" in (root / name).read_text() for name in ("shell.py", "interactive.py"))


def start(tmp_path: Path, command: list[str], width: int = 80, height: int = 20) -> TmuxSession:
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    term = TmuxSession(command, env=env, cwd=tmp_path, width=width, height=height)
    term.set_option("scroll-on-clear", "on")
    term.wait_for(lambda screen: STATUS.search(screen))
    return term


@pytest.fixture
def term(tmp_path: Path) -> Iterator[TmuxSession]:
    with start(tmp_path, REPL) as session:
        yield session


def tmux(term: TmuxSession, *args: str) -> None:
    subprocess.run(["tmux", "-L", term.socket, *args], check=True, capture_output=True, timeout=10)


def paste(term: TmuxSession, text: str) -> None:
    """Paste ``text`` as a terminal does: bracketed, when the program asked for it."""
    tmux(term, "set-buffer", "--", text)
    tmux(term, "paste-buffer", "-p", "-t", term.name)


def status_line(screen: str) -> str:
    lines = [match.group(0).rstrip() for match in STATUS.finditer(screen)]
    return lines[-1] if lines else ""


def first_chat(term: TmuxSession) -> None:
    """Chat once, so the prompt has moved off the top row, then forget the history so far
    (a REPL started on a cleared screen is the last test's case)."""
    term.type("first")
    term.keys("Enter")
    # the whole reply (its last line), so no drain of the scrollback is still to come: while
    # one prints, the terminal is out of bracketed-paste mode and a paste would be keys
    term.wait_for(lambda screen: "smelt.settings.model in init.lua" in screen and prompt_is_empty(screen))
    tmux(term, "clear-history", "-t", term.name)


def prompt_is_empty(screen: str) -> bool:
    lines = screen.rstrip("\n").splitlines()
    return len(lines) > 1 and STATUS.match(lines[-1]) is not None and lines[-2].rstrip() == "›"


def assert_no_stale_frames(screen: str, copies_of_last_pasted_line: int) -> None:
    assert len(STATUS.findall(screen)) == 1, f"a stale status line in the scrollback:\n{screen}"
    assert screen.count("pasted line 59") == copies_of_last_pasted_line, screen


def test_the_status_line_fits_120_60_and_40_columns(term):
    full = " INSERT  offline/offline │ ctx - │ $0.0000"
    assert status_line(term.screen()) == full
    tmux(term, "resize-window", "-t", term.name, "-x", "60")
    term.wait_for(lambda screen: len(screen.splitlines()[-1]) <= 60 and status_line(screen) == full)
    tmux(term, "resize-window", "-t", term.name, "-x", "40")
    narrow = " INSERT  offline/offline │ ctx -"  # the cost goes first
    term.wait_for(lambda screen: status_line(screen) == narrow)
    term.keys("C-c")  # a hint: shortened by whole words
    screen = term.wait_for(lambda screen: "press" in status_line(screen))
    line = status_line(screen)
    assert line.startswith(" INSERT ") and len(line) <= 40 and line.endswith("…")
    words = set("offline/offline offline press Ctrl-C again to quit".split())
    assert all(word.removesuffix("…") in words for word in line.replace("│", " ").split()[1:]), line


def test_no_stale_frames_after_a_long_paste(term):
    first_chat(term)
    paste(term, PASTE)
    term.wait_for(lambda screen: "[pasted 60 lines]" in screen or "pasted line 59" in screen)
    term.keys("Enter")
    screen = term.wait_for(lambda screen: "│ pasted line 0" in screen and prompt_is_empty(screen))
    assert_no_stale_frames(screen, 1)


def test_no_stale_frames_after_rewind_undo(term):
    first_chat(term)
    paste(term, PASTE)
    term.wait_for(lambda screen: "[pasted 60 lines]" in screen or "pasted line 59" in screen)
    term.keys("Enter")
    term.wait_for(lambda screen: "│ pasted line 0" in screen and prompt_is_empty(screen))
    term.keys("Escape")
    term.type(":rewind 2")  # the long message goes back into the prompt
    term.keys("Enter")
    term.wait_for(lambda screen: "── session" in screen and not prompt_is_empty(screen))
    term.keys("Escape")
    term.type(":rewind undo")
    term.keys("Enter")
    screen = term.wait_for(lambda screen: screen.count("── session") == 2 and screen.count("│ pasted line 0") == 2
                           and prompt_is_empty(screen))
    assert_no_stale_frames(screen, 2)


def test_no_stale_frames_when_the_repl_starts_on_a_cleared_screen(tmp_path):
    with start(tmp_path, REPL if erase_fix_is_wired() else ERASE_FIXED) as term:
        paste(term, PASTE)  # the prompt starts on the top row and grows from there
        term.wait_for(lambda screen: "[pasted 60 lines]" in screen or "pasted line 59" in screen)
        term.keys("Enter")
        screen = term.wait_for(lambda screen: "You said:" in screen and prompt_is_empty(screen))
        assert_no_stale_frames(screen, 1)
