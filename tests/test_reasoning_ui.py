"""Reasoning as the user meets it: folded after the reply, :thinking, --show-reasoning,
:reasoning LEVEL, the estimated mark; :model with what the server serves."""

from __future__ import annotations

import orjson
import pytest

from tests.shell_driver import ShellDriver
from tests.test_hardening_cli import write_provider_config
from tests.test_headless import messages, run, sessions


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    spec = provider_server.provider_spec("openai-compatible")
    with ShellDriver(store, tmp_path, model="loop/m", providers={"loop": spec}) as driver:
        yield driver


def test_thinking_is_folded_and_thinking_command_shows_it(loop_sh, provider_server):
    provider_server.script(text="The answer is 4.", reasoning="two plus two is four, surely")
    loop_sh.submit("2+2?")
    out = loop_sh.wait_output("▸ thinking: 6 words (:thinking shows them)")
    assert "two plus two" not in out and "The answer is 4." in out
    loop_sh.command(":thinking")
    loop_sh.wait_output("two plus two is four, surely")
    assert "two plus two" not in loop_sh.app.text(loop_sh.app.session.id)


def test_reasoning_level_is_sent_from_the_next_message(loop_sh, provider_server):
    provider_server.script(text="ok")
    loop_sh.command(":reasoning high")
    loop_sh.wait_output("reasoning: high (from the next message)")
    loop_sh.submit("think hard")
    assert provider_server.requests[-1].body["reasoning_effort"] == "high"
    loop_sh.command(":reasoning sideways")
    loop_sh.wait_output('bad argument "sideways"')


def test_model_picker_adds_what_the_server_serves(loop_sh, provider_server):
    provider_server.script(models=["served-one", "served-two"])
    loop_sh.command(":model")
    loop_sh.wait_for(lambda: loop_sh.shell.picker.active, what="picker")
    labels = [choice.label for choice in loop_sh.shell.picker.choices]
    assert "  loop/served-one" in labels and "● loop/m" in labels
    loop_sh.type("\x1b")
    provider_server.script(models=None)  # asked once a run: the cache answers now
    loop_sh.command(":model")
    loop_sh.wait_for(lambda: loop_sh.shell.picker.active, what="picker again")
    assert "  loop/served-two" in [choice.label for choice in loop_sh.shell.picker.choices]


def test_a_server_without_a_model_list_is_one_line(store, tmp_path, provider_server):
    provider_server.script(models=None)
    spec = provider_server.provider_spec("openai-compatible")
    with ShellDriver(store, tmp_path, model="loop/m", providers={"loop": spec}) as sh:
        sh.command(":model")
        sh.wait_output("the server lists no models")
        sh.wait_for(lambda: sh.shell.picker.active, what="the configured ones still")


def test_show_reasoning_prints_a_thinking_block_before_the_answer(xdg, provider_server):
    write_provider_config(xdg, provider_server, "openai-compatible")
    provider_server.script(text="four", reasoning="adding up")
    plain = run(xdg, "-p", "2+2?")
    assert plain.stdout == "four\n"
    shown = run(xdg, "-p", "2+2?", "--show-reasoning")
    assert shown.stdout == "<thinking>\nadding up\n</thinking>\n\nfour\n"


def test_an_estimated_reasoning_count_is_marked(xdg, provider_server):
    write_provider_config(xdg, provider_server, "anthropic")
    provider_server.script(text="four", reasoning="adding up the numbers carefully")
    assert run(xdg, "-p", "2+2?").returncode == 0
    (session_dir,) = sessions(xdg)
    usage = [orjson.loads(line) for line in (session_dir / "ledger.jsonl").read_bytes().splitlines()
             if b'"usage"' in line]
    assert usage[-1]["reasoning_estimated"] is True and usage[-1]["reasoning"] > 0
    assert messages(session_dir)[-1]["reasoning_content"] == "adding up the numbers carefully"
