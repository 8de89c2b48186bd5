"""Headless as part of a workflow: continuing a session, stdin as context, --json, -s, and
no session left behind by a run that sent nothing."""

from __future__ import annotations

import orjson

from tests.test_hardening_cli import write_provider_config
from tests.test_headless import messages, run, sessions


def test_dash_c_and_dash_r_continue_the_same_session(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="one")
    assert run(xdg, "-p", "first", cwd=tmp_path).returncode == 0
    (session_dir,) = sessions(xdg)
    provider_server.script(text="two")
    assert run(xdg, "-c", "-p", "second", cwd=tmp_path).returncode == 0
    provider_server.script(text="three")
    assert run(xdg, "-r", session_dir.name[:8], "-p", "third").returncode == 0
    assert sessions(xdg) == [session_dir]
    assert [m["content"] for m in messages(session_dir)] == ["first", "one", "second", "two", "third", "three"]
    sent = [m["content"] for m in provider_server.requests[-1].body["messages"] if m["role"] != "system"]
    assert sent == ["first", "one", "second", "two", "third"]


def test_piped_stdin_follows_the_message_as_a_code_block(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="explained")
    result = run(xdg, "-p", "explain", stdin="def f():\n    return 1\n")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "explain\n\n```\ndef f():\n    return 1\n```"


def test_a_bare_dash_p_reads_the_message_from_stdin(xdg):
    result = run(xdg, "-p", stdin="question on stdin\n")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[0]["content"] == "question on stdin"


def test_json_prints_one_object(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="in json", usage={"input": 9, "output": 4})
    result = run(xdg, "-p", "hi", "--json")
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    (session_dir,) = sessions(xdg)
    assert data["text"] == "in json" and data["model"] == "loop/m" and data["session_id"] == session_dir.name
    assert data["usage"]["input"] == 9 and data["usage"]["output"] == 4 and data["error"] is None
    assert result.stdout.count("\n") == 1


def test_system_flag_sets_this_runs_system_prompt(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="ok")
    assert run(xdg, "-p", "hi", "-s", "You answer in French.").returncode == 0
    system = provider_server.requests[-1].body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("You answer in French.")


def test_a_run_that_sends_nothing_leaves_no_session(xdg):
    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text(
        'smelt.provider.register("keyed", {kind = "openai-compatible", api_base = "http://127.0.0.1:9/v1", '
        'api_key_env = "SMELT_TEST_NO_SUCH_KEY"})\n')
    result = run(xdg, "-p", "hello", "--model", "keyed/m")
    assert result.returncode == 1 and "SMELT_TEST_NO_SUCH_KEY is not set" in result.stderr
    assert sessions(xdg) == []
