"""Headless mode as users run it: the real `smelt-repl` in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import orjson
import pytest


def cli_env(xdg, **extra):
    env = dict(os.environ)
    for name, path in xdg.items():
        env[f"XDG_{name.upper()}_HOME"] = str(path)
    for key in ("SMELT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(key, None)
    env.update(extra)
    return env


def run(xdg, *args, stdin=None, cwd=None, **env):
    # stdin is read when it is not a terminal: /dev/null when the test gives none
    return subprocess.run([sys.executable, "-m", "smelt_repl", *args], capture_output=True, text=True,
                          input=stdin, stdin=subprocess.DEVNULL if stdin is None else None, env=cli_env(xdg, **env), cwd=cwd, timeout=60)


def sessions(xdg):
    root = xdg["state"] / "smelt" / "sessions"
    return [p for p in root.iterdir() if not p.name.startswith(".")] if root.exists() else []


def messages(session_dir):
    lines = (session_dir / "transcript.jsonl").read_bytes().splitlines()
    return [r for r in map(orjson.loads, lines) if r["type"] == "message"]


def test_offline_one_shot(xdg, tmp_path):
    result = run(xdg, "-p", "hello", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "offline" in result.stdout.lower() and result.stdout.endswith("\n")
    assert "[offline/offline]" in result.stderr and "cost $0.0000" in result.stderr
    (session_dir,) = sessions(xdg)
    assert [m["role"] for m in messages(session_dir)] == ["user", "assistant"]
    assert messages(session_dir)[1]["content"] + "\n" == result.stdout


def test_message_from_stdin(xdg):
    result = run(xdg, "--headless", "-", stdin="question from a pipe\n")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "question from a pipe"


def test_openai_compatible_server_by_flags_alone(xdg, provider_server):
    provider_server.script(text="Streamed from the loopback.", usage={"input": 9, "output": 4})
    result = run(xdg, "-p", "hi", "--api-base", provider_server.openai_base, "--model", "llama3.2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Streamed from the loopback.\n"
    assert "[openai/llama3.2] tokens: 9 in, 4 out" in result.stderr
    request = provider_server.requests[-1]
    assert request.path == "/v1/chat/completions" and request.body["model"] == "llama3.2"
    assert "authorization" not in request.headers


def test_meta_commands_are_refused(xdg):
    result = run(xdg, "--headless", ":rewind 2")
    assert result.returncode == 1
    assert result.stderr.strip() == 'smelt-repl: ":rewind" requires interactive mode'
    assert sessions(xdg) == []


def test_missing_message_is_a_usage_error(xdg):
    assert run(xdg, "--headless").returncode == 2


def test_provider_error_exit_1_keeps_message(xdg, provider_server):
    provider_server.script(fault=500, fault_times=10)
    config = xdg["config"] / "smelt"
    config.mkdir()
    # Registered in init.lua for its short retry backoff; --api-base waits 0.5 s, 1 s, 2 s.
    (config / "init.lua").write_text(
        f'smelt.provider.register("loop", {{ api_base = "{provider_server.openai_base}", retry_backoff = 0.01 }})\n')
    result = run(xdg, "-p", "will fail", "--model", "loop/m")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("smelt-repl: loop: ") and "500" in last and "after 3 retries" in last
    assert len(provider_server.requests) == 4
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "will fail"


def test_unknown_provider_exit_1(xdg):
    result = run(xdg, "-p", "x", "--model", "nosuch/m")
    assert result.returncode == 1 and "unknown provider 'nosuch'" in result.stderr
    assert sessions(xdg) == []


def test_ctrl_c_mid_stream_exits_130_and_keeps_partial(xdg, provider_server):
    provider_server.script(text="alpha beta gamma delta epsilon zeta eta theta", hold_after=1)
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", "-p", "go", "--api-base", provider_server.openai_base,
                             "--model", "m"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cli_env(xdg))
    first = proc.stdout.read1(100) if hasattr(proc.stdout, "read1") else proc.stdout.read(5)
    assert first.startswith(b"alpha")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    (session_dir,) = sessions(xdg)
    user, reply = messages(session_dir)
    assert user["content"] == "go"
    assert reply["cancelled"] is True and reply["content"].startswith("alpha") and "theta" not in reply["content"]


def test_api_key_from_env_never_on_disk(xdg, provider_server):
    provider_server.script(text="ok")
    result = run(xdg, "-p", "hi", "--api-base", provider_server.openai_base, "--model", "openai/m",
                 OPENAI_API_KEY="sk-do-not-store-me")
    assert result.returncode == 0, result.stderr
    assert provider_server.requests[-1].headers["authorization"] == "Bearer sk-do-not-store-me"
    for path in xdg["state"].rglob("*"):
        if path.is_file():
            assert b"sk-do-not-store-me" not in path.read_bytes()


def test_reader_closing_the_pipe_is_not_an_error(xdg, provider_server):
    provider_server.script(text="line one\nline two\nline three\n" * 200, chunks=50)
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", "-p", "long", "--api-base", provider_server.openai_base,
                             "--model", "m"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(xdg))
    proc.stdout.read(10)
    proc.stdout.close()  # like `| head -c 10`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=20) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[1]["content"].count("line two") == 200


@pytest.mark.parametrize("stdin", ["", "  \n\n"])
def test_blank_stdin_is_a_usage_error_and_sends_nothing(xdg, stdin):
    result = run(xdg, "-p", "-", stdin=stdin)
    assert result.returncode == 2 and "needs a MESSAGE" in result.stderr
    assert sessions(xdg) == []
