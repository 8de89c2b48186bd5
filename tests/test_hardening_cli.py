"""Odd bytes and stop signals lose nothing: the real CLI against the loopback server, then the
files on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.test_headless import cli_env, messages, sessions
from tests.tmux_driver import TmuxSession, tmux_available

PROTOCOLS = ["openai-compatible", "anthropic"]


def write_provider_config(xdg, server, kind: str) -> None:
    base = server.openai_base if kind == "openai-compatible" else server.anthropic_base
    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text(
        f'smelt.provider.register("loop", {{kind = "{kind}", api_base = "{base}", retry_backoff = 0.01}})\n'
        'smelt.settings.model = "loop/m"\n')


def cli(xdg, *args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smelt_repl", *args], capture_output=True, input=stdin,
                          stdin=subprocess.DEVNULL if stdin is None else None, env=cli_env(xdg), timeout=60)


def ledger(session_dir: Path) -> list[dict]:
    path = session_dir / "ledger.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


@pytest.mark.parametrize("kind", PROTOCOLS)
def test_a_surrogate_pair_split_over_two_deltas_is_one_emoji(xdg, provider_server, kind):
    write_provider_config(xdg, provider_server, kind)
    provider_server.script(chunks=["smile \ud83d", "\ude00 done, lone \udc00 end"])
    result = cli(xdg, "-p", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == "smile \U0001f600 done, lone \ufffd end\n"
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[1]["content"] == "smile \U0001f600 done, lone \ufffd end"


def test_a_message_that_is_not_utf8_is_saved_and_sent(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="got it")
    result = cli(xdg, "-p", b"bad \xff byte")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "bad \ufffd byte"
    assert provider_server.requests[-1].body["messages"][-1]["content"] == "bad \ufffd byte"


def test_binary_stdin_is_saved_and_sent(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="got it")
    result = cli(xdg, "-p", "-", stdin=b"\x00\xff\xfe binary \xc3\x28 tail\n")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "\x00\ufffd\ufffd binary \ufffd( tail"


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_mid_reply_saves_the_partial_reply_and_its_usage(xdg, provider_server, signum, code):
    write_provider_config(xdg, provider_server, "anthropic")  # input usage comes with the first event
    provider_server.script(chunks=["partial ", "never sent"], hold_after=1, usage={"input": 21, "output": 0})
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", "-p", "go"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=cli_env(xdg))
    try:
        assert proc.stdout.read1(100).startswith(b"partial")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    (session_dir,) = sessions(xdg)
    user, reply = messages(session_dir)
    assert user["content"] == "go" and reply["content"] == "partial " and reply["cancelled"] is True
    assert [r["input"] for r in ledger(session_dir) if r["type"] == "usage"] == [21]


needs_tmux = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")


@needs_tmux
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_the_repl_ends_a_reply_on_a_stop_signal_and_exits(xdg, provider_server, tmp_path, signum, code):
    write_provider_config(xdg, provider_server, "anthropic")
    provider_server.script(chunks=["first line\n", "never sent"], hold_after=1, usage={"input": 33, "output": 0})
    env = {key: value for key, value in cli_env(xdg).items() if key.startswith(("XDG_", "PATH", "HOME"))}
    env["TERM"] = "xterm-256color"
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=tmp_path) as term:
        term.wait_for("INSERT")
        term.type("go")
        term.keys("Enter")
        term.wait_for("first line")
        (session_dir,) = sessions(xdg)
        pid = int((session_dir / "lock").read_text().split()[0])
        os.kill(pid, signum)
        assert term.exit_code() == code
    user, reply = messages(session_dir)
    assert user["content"] == "go" and reply["content"] == "first line\n" and reply["cancelled"] is True
    assert [r["input"] for r in ledger(session_dir) if r["type"] == "usage"] == [33]
