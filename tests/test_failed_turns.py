"""A turn that fails before any reply text is taken back (SPEC §9); ``:retry``."""

from __future__ import annotations

import orjson
import pytest

from tests.shell_driver import ShellDriver


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    spec = provider_server.provider_spec("openai-compatible", max_retries=0)
    with ShellDriver(store, tmp_path, model="loop/m", providers={"loop": spec}) as driver:
        yield driver


def sent_user_texts(server) -> list[list[str]]:
    """The user messages of each request the server received."""
    return [[m["content"] for m in r.body["messages"] if m["role"] == "user"] for r in server.requests]


def test_a_failed_message_comes_back_and_is_sent_once_more_not_merged(loop_sh, provider_server):
    provider_server.script(fault=500)
    loop_sh.type("first try\r")
    loop_sh.wait_output("Enter sends it again")
    loop_sh.sync()
    assert loop_sh.buffer_text == "first try" and loop_sh.shell.buffer.cursor_position == len("first try")
    assert "HTTP 500" in loop_sh.output
    assert loop_sh.app.session.messages == []  # out of the live history...
    transcript = (loop_sh.app.session.dir / "transcript.jsonl").read_bytes()
    assert b"first try" in transcript and b'"type":"rewind"' in transcript  # ...kept on disk
    provider_server.script(text="it worked")
    loop_sh.type("\r")
    loop_sh.wait_output("it worked")
    loop_sh.wait_idle()
    loop_sh.submit("second message")
    assert sent_user_texts(provider_server)[-2:] == [["first try"], ["first try", "second message"]]


def test_a_draft_typed_meanwhile_stays_and_retry_resends(loop_sh, provider_server):
    provider_server.script(fault=500, hold_after=0)
    loop_sh.type("will fail\r")
    loop_sh.wait_for(lambda: loop_sh.shell.runner.busy, what="the turn")
    loop_sh.type("my draft")
    loop_sh.sync()
    provider_server.release()
    loop_sh.wait_output(":retry sends the failed message again")
    loop_sh.sync()
    assert loop_sh.buffer_text == "my draft"
    provider_server.script(text="second time lucky")
    loop_sh.escape()
    loop_sh.type(":retry\r")  # the Vim command line leaves the draft alone
    loop_sh.wait_output("second time lucky")
    loop_sh.wait_idle()
    assert [m["content"] for m in loop_sh.app.session.messages] == ["will fail", "second time lucky"]
    assert loop_sh.buffer_text == "my draft"


def test_a_failure_after_some_text_keeps_the_partial_reply(loop_sh, provider_server):
    provider_server.script(text="half of it and then", fault="cut")
    loop_sh.submit("q")
    assert loop_sh.app.session.messages[-1]["content"].startswith("half")
    assert loop_sh.app.session.messages[-1]["error"]
    assert loop_sh.buffer_text == ""


def test_retry_regenerates_the_last_reply(loop_sh, provider_server):
    provider_server.script(text="first answer")
    loop_sh.submit("question")
    provider_server.script(text="better answer")
    loop_sh.command(":retry")
    loop_sh.wait_output("better answer")
    loop_sh.wait_idle()
    assert [m["content"] for m in loop_sh.app.session.messages] == ["question", "better answer"]
    records = [orjson.loads(line) for line in (loop_sh.app.session.dir / "transcript.jsonl").read_bytes().splitlines()]
    assert sum(1 for r in records if r.get("content") == "first answer") == 1  # still on disk


def test_a_truncated_reply_is_marked_and_more_asks_for_the_rest(loop_sh, provider_server):
    provider_server.script(text="the first half", stop_reason="length")
    loop_sh.submit("write a lot")
    loop_sh.wait_output("[truncated: the model hit its output limit")
    assert loop_sh.app.session.messages[-1]["truncated"] is True
    provider_server.script(text="and the second half")
    loop_sh.command(":more")
    loop_sh.wait_output("and the second half")
    loop_sh.wait_idle()
    assert loop_sh.app.session.messages[-2]["content"].startswith("Continue exactly where")
    assert "truncated" not in loop_sh.app.session.messages[-1]
