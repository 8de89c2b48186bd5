"""A store that refuses a write mid-turn (disk full, here a file size limit: RLIMIT_FSIZE with
SIGXFSZ ignored, so writes past it fail with EFBIG as on a full disk): one line, the turn ends,
the transcript keeps no half record, and the REPL goes on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from tests.test_hardening_cli import write_provider_config
from tests.test_headless import cli_env, run, sessions
from tests.tmux_driver import TmuxSession

# Runs the CLI with files limited to SIZE bytes (argv: SIZE, then the CLI's arguments).
LIMITED = """
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an ignored signal stays ignored across exec
size = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
os.execv(sys.executable, [sys.executable, "-m", "smelt_repl", *sys.argv[2:]])
"""


def transcript(xdg) -> Path:
    [session] = sessions(xdg)
    return session / "transcript.jsonl"


def limited_run(xdg, room: int, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI, with ``room`` bytes left for the transcript to grow."""
    size = transcript(xdg).stat().st_size + room
    return subprocess.run([sys.executable, "-c", LIMITED, str(size), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=cli_env(xdg), cwd=cwd, timeout=60)


def assert_whole_records(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]  # every line a whole record


def test_a_message_that_cannot_be_saved_is_not_sent(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    assert run(xdg, "-p", "first", cwd=tmp_path).returncode == 0
    before = transcript(xdg).read_bytes()
    result = limited_run(xdg, 20, "-c", "-p", "second, a message longer than the room left", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "smelt-repl: your message could not be saved, so it was not sent: File too large")
    assert "Traceback" not in result.stderr
    assert len(provider_server.requests) == 1
    assert transcript(xdg).read_bytes() == before  # the torn write was cut back off


def test_a_reply_that_cannot_be_saved_is_one_line_and_leaves_whole_records(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    assert run(xdg, "-p", "first", cwd=tmp_path).returncode == 0
    provider_server.script(text="a reply far too long to fit in the room that is left " * 4)
    result = limited_run(xdg, 120, "-c", "-p", "second", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "smelt-repl: the reply could not be saved: File too large"
    assert result.stdout.startswith("a reply far too long")  # shown, though not saved
    records = assert_whole_records(transcript(xdg))
    assert [r["content"] for r in records if r["type"] == "message"][-1] == "second"
    # the next run (no limit) appends after whole records
    assert run(xdg, "-c", "-p", "third", cwd=tmp_path).returncode == 0
    assert [r.get("content") for r in assert_whole_records(transcript(xdg))][-2] == "third"


def test_the_repl_says_so_in_one_line_and_goes_on(xdg, tmp_path):
    assert run(xdg, "-p", "first", cwd=tmp_path).returncode == 0
    size = transcript(xdg).stat().st_size + 150
    env = {k: v for k, v in cli_env(xdg).items() if k.startswith(("XDG_", "PATH", "HOME"))}
    env["TERM"] = "xterm-256color"
    with TmuxSession([sys.executable, "-c", LIMITED, str(size), "-c"], env=env, cwd=tmp_path) as term:
        term.wait_for("INSERT")
        term.type("second")
        term.keys("Enter")
        screen = term.wait_for("the reply could not be saved: File too large")
        assert "Traceback" not in screen
        term.type(":cost")
        term.keys("Enter")
        term.wait_for("cache hits")
    assert_whole_records(transcript(xdg))
