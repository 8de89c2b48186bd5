"""Models: a session remembers its model, the precedence of the choices, :model, and an
unusable model said at start-up."""

from __future__ import annotations

import sys

import pytest

from tests.shell_driver import ShellDriver
from tests.test_hardening_cli import write_provider_config
from tests.test_headless import cli_env, messages, run, sessions
from tests.tmux_driver import TmuxSession, tmux_available


def test_a_resumed_session_keeps_its_model_unless_a_flag_says_otherwise(xdg, provider_server, tmp_path):
    write_provider_config(xdg, provider_server, "openai-compatible")
    (xdg["config"] / "smelt" / "init.lua").write_text(  # the model comes from --model only
        f'smelt.provider.register("loop", {{kind = "openai-compatible", api_base = "{provider_server.openai_base}"}})\n')
    provider_server.script(text="from the loop")
    assert run(xdg, "-p", "one", "--model", "loop/m", cwd=tmp_path).returncode == 0
    (session_dir,) = sessions(xdg)
    assert run(xdg, "-c", "-p", "two", cwd=tmp_path, SMELT_MODEL="offline/offline").returncode == 0
    assert len(provider_server.requests) == 2  # the session's own model beat $SMELT_MODEL
    assert run(xdg, "-c", "-p", "three", "--model", "offline/offline", cwd=tmp_path).returncode == 0
    assert len(provider_server.requests) == 2  # the flag beat the session's model
    assert [m.get("model") for m in messages(session_dir) if m["role"] == "assistant"] == [
        "loop/m", "loop/m", "offline/offline"]


def test_an_ad_hoc_api_base_is_remembered_too(xdg, provider_server, tmp_path):
    provider_server.script(text="ad hoc")
    result = run(xdg, "-p", "one", "--api-base", provider_server.openai_base, "--model", "llama", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[1]["api_base"] == provider_server.openai_base
    assert run(xdg, "-c", "-p", "two", cwd=tmp_path).returncode == 0
    assert [r.body["model"] for r in provider_server.requests] == ["llama", "llama"]


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    spec = provider_server.provider_spec("openai-compatible", models={"big": {}, "small": {}})
    with ShellDriver(store, tmp_path, model="loop/big", providers={"loop": spec}) as driver:
        yield driver


def test_model_command_switches_by_name_and_bare_name(loop_sh, provider_server):
    loop_sh.command(":model small")  # a bare name: on the current provider
    loop_sh.wait_output("model: loop/small")
    assert "loop/small" in loop_sh.status
    loop_sh.submit("hi")
    assert provider_server.requests[-1].body["model"] == "small"
    loop_sh.command(":model nosuch/x")
    loop_sh.wait_output("unknown provider 'nosuch'")
    assert "loop/small" in loop_sh.status


def test_model_picker_marks_the_current_model_and_picks(loop_sh, provider_server):
    provider_server.script(models=None)  # the server lists none: the configured ones only
    loop_sh.command(":model")
    loop_sh.wait_for(lambda: loop_sh.shell.picker.active, what="picker")
    labels = [choice.label for choice in loop_sh.shell.picker.choices]
    assert "● loop/big" in labels and "  loop/small" in labels and "  offline/offline" in labels
    loop_sh.type("j\r")  # the row after the current one
    loop_sh.wait_output("model: loop/small")


def test_model_completion_lists_configured_models(loop_sh):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from smelt_repl.commands import CommandCompleter

    found = {c.text: c.display_meta_text for c in CommandCompleter(loop_sh.shell).get_completions(
        Document(":model lo"), CompleteEvent())}
    assert found == {"loop/big": "in use", "loop/small": ""}


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (apt-get install tmux)")
def test_an_unusable_model_is_said_at_start_up(xdg, tmp_path):
    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text('smelt.settings.model = "openai/gpt-4o-mini"\n')
    env = {k: v for k, v in cli_env(xdg).items() if k.startswith(("XDG_", "PATH", "HOME"))}
    env["TERM"] = "xterm-256color"
    with TmuxSession([sys.executable, "-m", "smelt_repl"], env=env, cwd=tmp_path) as term:
        # the line is printed before the first frame; the status line comes with that frame
        screen = term.wait_for(lambda s: "OPENAI_API_KEY is not set" in s and "INSERT" in s)
        assert "(:model picks another)" in screen
    assert sessions(xdg) == []
