"""End to end: the real ``smelt-repl`` in a real terminal (tmux), then the files on disk."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from tests.tmux_driver import TmuxSession, tmux_available

pytestmark = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")

STATUS = re.compile(r"^ (INSERT|NORMAL|EMACS) .*ctx", re.M)


@pytest.fixture
def repl(tmp_path: Path):
    """Start ``python -m smelt_repl`` with XDG dirs in ``tmp_path``; yields (term, sessions root)."""
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("STATE", "CONFIG", "DATA", "CACHE")}
    env.update({"TERM": "xterm-256color", "SMELT_MODEL": "offline/offline", "PYTHONUNBUFFERED": "1"})
    project = tmp_path / "project"
    project.mkdir()
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=project) as term:
        term.wait_for(lambda screen: STATUS.search(screen))
        yield term, tmp_path / "state" / "smelt" / "sessions"


def prompt_line(screen: str) -> str:
    """The prompt's (first) line: the line just above the status line."""
    lines = screen.rstrip("\n").splitlines()
    status_at = max((i for i, line in enumerate(lines) if STATUS.match(line)), default=0)
    return lines[status_at - 1].rstrip() if status_at else ""  # "": caught mid-redraw


def wait_until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def session_dirs(sessions: Path) -> list[Path]:
    return [d for d in sessions.iterdir() if d.is_dir() and re.fullmatch(r"[0-9a-f]{64}", d.name)]


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_chat_rewind_and_quit(repl):
    term, sessions = repl
    term.type("hello from tmux")
    term.keys("Enter")
    term.wait_for("You said:")
    term.wait_for(lambda s: prompt_line(s) == "›")
    term.keys("Escape")
    term.wait_for(lambda s: " NORMAL " in s)
    term.type(":rewind 1")
    term.keys("Enter")
    screen = term.wait_for(lambda s: prompt_line(s) == "› hello from tmux")
    assert "── session" in screen and " INSERT " in screen
    term.keys("C-c")  # clear the restored text
    term.wait_for(lambda s: prompt_line(s) == "›")
    term.type(":q")
    term.keys("Enter")
    assert term.exit_code() == 0
    (session_dir,) = session_dirs(sessions)
    assert f"resume with: smelt-repl --resume {session_dir.name[:8]}" in term.screen()
    kinds = [(r.get("type"), r.get("role")) for r in records(session_dir / "transcript.jsonl")]
    assert ("message", "user") in kinds and ("message", "assistant") in kinds and ("rewind", None) in kinds


def test_fork_and_lua_session_id(repl):
    term, sessions = repl
    term.type("parent message")
    term.keys("Enter")
    term.wait_for("You said:")
    term.type(":fork")
    term.keys("Enter")
    screen = term.wait_for(re.compile(r"forked \w{8} → \w{8}").search)
    parent8, child8 = re.search(r"forked (\w{8}) → (\w{8})", screen).groups()
    term.type(":lua print(smelt.session.id())")
    term.keys("Enter")
    screen = term.wait_for(re.compile(r"^[0-9a-f]{64}$", re.M).search)
    printed = re.search(r"^([0-9a-f]{64})$", screen, re.M).group(1)
    assert printed.startswith(child8)
    term.type("child message")
    term.keys("Enter")
    term.wait_for(lambda s: s.count("You said:") == 2)
    term.keys("C-d")
    assert term.exit_code() == 0
    assert (sessions / printed).is_dir()
    (parent_dir,) = [d for d in session_dirs(sessions) if d.name.startswith(parent8)]
    meta = json.loads((sessions / printed / "meta.json").read_text())
    assert meta["parent_id"] == parent_dir.name
    parent_texts = [r.get("content") for r in records(parent_dir / "transcript.jsonl")]
    child_texts = [r.get("content") for r in records(sessions / printed / "transcript.jsonl")]
    assert "parent message" in parent_texts and "child message" not in parent_texts
    assert "child message" in child_texts


def test_ctrl_c_stops_runaway_lua_and_the_repl_lives(repl, tmp_path):
    term, _ = repl
    started = tmp_path / "project" / "lua-started"  # the REPL's cwd
    term.type(":lua smelt.settings.lua_budget = 1000000000000")
    term.keys("Enter")
    code = ':lua io.open("lua-started", "w"):close() while true do end'
    term.type(code)
    term.wait_for(lambda s: prompt_line(s) == f"› {code}")
    term.keys("Enter")
    wait_until(started.exists, "the Lua loop to start")  # the screen cannot say: the UI thread is in Lua
    term.keys("C-c")
    term.wait_for("interrupted")
    term.type("alive")
    term.wait_for(lambda s: prompt_line(s) == "› alive")
    assert "[exited" not in term.screen()
