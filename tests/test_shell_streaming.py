"""Replies streaming into the scrollback from the loopback server: lines as they arrive,
the spinner, Ctrl-C mid-stream, provider errors, and the status line's numbers."""

from __future__ import annotations

import json
import threading

import pytest

from smelt_repl import display
from smelt_repl.render import render_markdown, strip_ansi
from tests.shell_driver import ShellDriver

MODEL = "loop/loop-model"


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    spec = provider_server.provider_spec(
        "openai-compatible",
        models={"loop-model": {"context_window": 128000, "input_price": 1000.0, "output_price": 2000.0}})
    with ShellDriver(store, tmp_path, model=MODEL, providers={"loop": spec}) as driver:
        yield driver


def assistant_records(session_dir) -> list[dict]:
    lines = (session_dir / "transcript.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return [r for r in records if r.get("role") == "assistant"]


def test_lines_are_printed_while_the_reply_streams(loop_sh, provider_server):
    provider_server.script(text="first line\nsecond line\nthird line\n", chunks=6, hold_after=2)
    loop_sh.type("go\r")
    loop_sh.wait_output("first line")
    assert loop_sh.shell.runner.busy, "the first line must show before the reply ends"
    assert "third line" not in loop_sh.output
    provider_server.release()
    loop_sh.wait_idle()
    assert "› go\nfirst line\nsecond line\nthird line\n" in loop_sh.output


def test_spinner_until_the_first_token(loop_sh, provider_server):
    provider_server.script(text="late reply", chunks=1, hold_after=0)
    loop_sh.type("hello\r")
    loop_sh.wait_for(lambda: "waiting" in loop_sh.status, what="spinner")
    provider_server.release()
    loop_sh.wait_idle()
    assert "waiting" not in loop_sh.status and "late reply" in loop_sh.output


def test_status_shows_model_context_and_cost(loop_sh, provider_server):
    assert "loop/loop-model" in loop_sh.status and "ctx -/128k" in loop_sh.status
    provider_server.script(text="ok", usage={"input": 1200, "output": 10})
    loop_sh.submit("count")
    assert "ctx 1.2k/128k" in loop_sh.status
    assert "$1.2200" in loop_sh.status  # 1200 * 1000/1e6 + 10 * 2000/1e6


def test_streamed_reply_looks_like_its_replay(loop_sh, provider_server):
    text = "# Title\n\nSome *text* and `code`.\n\n```python\nprint('hi')\n```\n- a\n- b"
    provider_server.script(text=text, chunks=9)
    loop_sh.submit("render")
    live = loop_sh.output
    assert strip_ansi(render_markdown(text, 80, False)) in live
    replayed = display.replay(loop_sh.app.session.messages, 80, False)
    assert live.endswith(replayed)


def test_ctrl_c_cancels_mid_stream_keeps_partial_and_prompt(loop_sh, provider_server):
    words = [f"word{i}\n" for i in range(40)]
    provider_server.script(chunks=words, hold_after=2)
    loop_sh.type("long one\r")
    loop_sh.wait_output("word1\n")
    loop_sh.type("\x03")
    loop_sh.type("next")  # the prompt is usable at once
    loop_sh.wait_for(lambda: loop_sh.buffer_text == "next", what="typing during cancel")
    loop_sh.wait_idle()
    out = loop_sh.output
    assert "[cancelled]" in out and "word39" not in out
    assert not loop_sh.exited(0.1)
    record = assistant_records(loop_sh.app.store.root / loop_sh.app.session.id)[-1]
    assert record["cancelled"] is True and record["content"].startswith("word0\nword1\n")
    provider_server.script(text="after cancel")
    loop_sh.type("\r")
    loop_sh.wait_output("after cancel")


def test_enter_while_streaming_queues_the_message(loop_sh, provider_server):
    provider_server.script(text="slow reply here", chunks=3, hold_after=1)
    loop_sh.type("first\r")
    loop_sh.wait_for(lambda: "streaming" in loop_sh.status, what="the first piece")
    loop_sh.type("second\r")
    loop_sh.wait_for(lambda: "queued" in loop_sh.status, what="shown as queued")
    assert loop_sh.buffer_text == "" and loop_sh.shell.runner.queued == "second"
    provider_server.release()
    loop_sh.wait_output("› second")
    loop_sh.wait_idle()
    assert [m["content"] for m in loop_sh.app.session.messages if m["role"] == "user"] == ["first", "second"]


@pytest.mark.parametrize("key", ["\x03", "\x1b"])
def test_ctrl_c_or_esc_takes_a_queued_message_back_and_the_reply_goes_on(loop_sh, provider_server, key):
    provider_server.script(text="slow reply here", chunks=3, hold_after=1)
    loop_sh.type("first\r")
    loop_sh.wait_for(lambda: "streaming" in loop_sh.status, what="the first piece")
    loop_sh.type("second\r")
    loop_sh.sync()
    loop_sh.type(key)
    loop_sh.sync()
    assert loop_sh.buffer_text == "second" and loop_sh.shell.runner.queued is None
    provider_server.release()
    loop_sh.wait_idle()
    assert [m["content"] for m in loop_sh.app.session.messages] == ["first", "slow reply here"]


@pytest.mark.parametrize("fault, cause", [(401, "HTTP 401"), ("cut", "stream cut mid-reply")])
def test_provider_error_prints_one_red_line(store, tmp_path, provider_server, fault, cause):
    provider_server.script(text="partial words here and more", fault=fault, fault_times=9)
    spec = provider_server.provider_spec("openai-compatible", max_retries=0)
    with ShellDriver(store, tmp_path, model=MODEL, providers={"loop": spec}) as sh:
        sh.shell.color = sh.shell.runner.color = True
        sh.type("trigger\r")
        sh.wait_for(lambda: "\x1b[31m" in "".join(sh.chunks), what="the error line")
        sh.wait_idle()
        raw = "".join(sh.chunks)
        red = [line for line in raw.splitlines() if "\x1b[31m" in line]
        assert len(red) == 1 and cause in red[0] and "loop" in red[0]
        transcript = (sh.app.session.dir / "transcript.jsonl").read_text()
        assert '"content":"trigger"' in transcript  # kept on disk in every case
        if fault == "cut":  # some text came: the partial reply stays in the history
            assert sh.app.session.messages[0]["content"] == "trigger"
        else:  # nothing came: the message was taken back into the prompt
            assert sh.app.session.messages == [] and sh.buffer_text == "trigger"
        sh.type("x")
        sh.wait_for(lambda: sh.buffer_text.endswith("x"), what="prompt alive")


def test_bad_model_is_one_line_and_nothing_is_sent(store, tmp_path):
    with ShellDriver(store, tmp_path, model="nosuchprovider/x") as sh:
        assert "(bad model)" in sh.status
        sh.type("hello\r")
        sh.wait_output("nosuchprovider")
        sh.wait_idle()
        assert sh.app.session.messages == []


def test_ctrl_c_right_after_enter_still_cancels(loop_sh, provider_server):
    provider_server.script(chunks=[f"w{i} " for i in range(30)], delay=0.05)
    loop_sh.type("go\r\x03")
    loop_sh.wait_idle()
    assert "[cancelled]" in loop_sh.output and "w29" not in loop_sh.output
    assert not loop_sh.exited(0.1)


def held_turn_end(sh) -> threading.Event:
    """Keep the turn's worker busy after its reply, as a slow turn_end handler would, until
    the returned event is set."""
    release = threading.Event()
    sh.app.events.on("turn_end", lambda payload: release.wait(5))
    return release


@pytest.mark.parametrize("command", [":reset", ":rewind 1"])
def test_cancelled_tail_prints_before_the_replay(loop_sh, provider_server, command):
    provider_server.script(text="kept")
    loop_sh.submit("first")
    release = held_turn_end(loop_sh)
    provider_server.script(chunks=["word0\n", "word1\npartial tail"] + [" more"] * 30, hold_after=2)
    loop_sh.type("second\r")
    loop_sh.wait_output("word1\n")
    loop_sh.command(command)  # returns while turn_end handlers still hold the worker
    loop_sh.wait_output("── session")
    release.set()
    loop_sh.wait_idle()
    out = loop_sh.output
    replay_at = out.rindex("── session")
    assert out.index("partial tail") < out.index("[cancelled]") < replay_at
    assert "[cancelled]" not in out[replay_at:]


def test_enter_right_after_ctrl_c_sends_once_the_reply_has_ended(loop_sh, provider_server):
    provider_server.script(chunks=[f"word{i}\n" for i in range(40)], hold_after=2)
    loop_sh.type("long one\r")
    loop_sh.wait_output("word1\n")
    release = held_turn_end(loop_sh)
    provider_server.script(text="second reply")
    loop_sh.type("\x03next\r")
    loop_sh.sync()
    assert loop_sh.shell.runner.busy and loop_sh.buffer_text == ""
    assert "still streaming" not in loop_sh.status
    release.set()
    loop_sh.wait_output("second reply")
    loop_sh.wait_idle()
    out = loop_sh.output
    assert out.index("[cancelled]") < out.index("› next") < out.index("second reply")
    assert [m["content"] for m in loop_sh.app.session.messages if m["role"] == "user"] == ["long one", "next"]


def test_ctrl_c_takes_back_a_queued_message(loop_sh, provider_server):
    provider_server.script(chunks=[f"word{i}\n" for i in range(40)], hold_after=2)
    loop_sh.type("long one\r")
    loop_sh.wait_output("word1\n")
    release = held_turn_end(loop_sh)
    loop_sh.type("\x03queued\r")
    loop_sh.sync()
    assert loop_sh.shell.runner.busy and loop_sh.buffer_text == ""
    loop_sh.type("\x03")
    loop_sh.sync()
    assert loop_sh.buffer_text == "queued"
    release.set()
    loop_sh.wait_idle()
    assert [m["content"] for m in loop_sh.app.session.messages if m["role"] == "user"] == ["long one"]
