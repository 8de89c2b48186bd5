"""`smelt-repl --list`, `--resume` and `--continue` resolution, run as a real subprocess."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "smelt_repl"]


def cli_env(env_dirs):
    """The environment of a CLI run: ours, with the XDG directories pointed at ``env_dirs``."""
    env = dict(os.environ)
    for name, path in env_dirs.items():
        env[f"XDG_{name.upper()}_HOME"] = str(path)
    return env


def run_cli(*args, env_dirs, cwd=None, prefix=(), timeout=60):
    """Run ``smelt-repl ARGS`` (after ``prefix``, e.g. a privilege drop) to completion."""
    return subprocess.run([*prefix, *CLI, *args], capture_output=True, text=True, env=cli_env(env_dirs),
                          cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


def resume_in_terminal(session_id, *, env_dirs, prefix=()):
    """Run ``smelt-repl --resume ID`` with a pseudo-terminal as stdin and stdout (the REPL
    needs one, or it stops before opening the session); stderr is captured. Only for
    sessions the REPL must refuse: one it starts on fails the test."""
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([*prefix, *CLI, "--resume", session_id], stdin=terminal, stdout=terminal,
                                stderr=subprocess.PIPE, text=True, env=cli_env(env_dirs))
    finally:
        os.close(terminal)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the REPL started on session {session_id[:8]}, which it should refuse")
    finally:
        os.close(controller)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def test_list_prints_sessions_newest_first(store, xdg):
    a = store.new_session("/proj/a")
    a.append_message("user", "first question\nwith detail")
    b = store.new_session("/proj/b")
    b.append_message("user", "second question")
    b.set_title("Named session")
    result = run_cli("--list", env_dirs=xdg)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(b.id[:8] + "  ") and "Named session" in lines[0] and lines[0].endswith("/proj/b")
    assert lines[1].startswith(a.id[:8] + "  ") and "first question" in lines[1] and "with detail" not in lines[1]


def test_list_with_no_sessions_is_empty(xdg):
    result = run_cli("--list", env_dirs=xdg)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("bad, message", [
    ("../../etc", "invalid session id"),
    ("/abs/path", "invalid session id"),
    ("a" * 300, "longer than 128"),
    ("abc", "at least 4"),
    ("ffffffff", "no session matches"),
])
def test_resume_refuses_bad_ids_with_one_line(xdg, bad, message):
    result = run_cli("--resume", bad, env_dirs=xdg)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_resume_ambiguous_prefix(store, xdg):
    for suffix in "12":
        d = store.root / ("beef" + suffix * 60)
        d.mkdir(parents=True)
        (d / "transcript.jsonl").write_text('{"type":"message","role":"user","content":"x"}\n')
    result = run_cli("-r", "beef", env_dirs=xdg)
    assert result.returncode == 1 and "ambiguous" in result.stderr and len(result.stderr.splitlines()) == 1


def test_continue_without_session_here(store, xdg, tmp_path):
    other = store.new_session("/somewhere/else")
    other.append_message("user", "hi")
    result = run_cli("--continue", env_dirs=xdg, cwd=tmp_path)
    assert result.returncode == 1 and "no session to continue" in result.stderr


def test_syntax_errors_exit_2(xdg):
    assert run_cli("--no-such-flag", env_dirs=xdg).returncode == 2
    assert run_cli("--list", "--resume", "abcd", env_dirs=xdg).returncode == 2


def test_version(xdg):
    result = run_cli("--version", env_dirs=xdg)
    assert result.returncode == 0 and result.stdout.startswith("smelt-repl ")


def test_interactive_without_a_terminal_is_one_clear_line(xdg):
    result = run_cli(env_dirs=xdg)
    assert result.returncode == 1
    assert result.stderr.strip() == ("smelt-repl: interactive mode needs a terminal; "
                                     "for one-shot use try -p MESSAGE (or -p - to read stdin)")
