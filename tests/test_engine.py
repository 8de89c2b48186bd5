"""The chat engine through App: turns against the offline provider and the loopback server."""

from __future__ import annotations

import threading
import time

import orjson
import pytest

from smelt_repl.app import App, ConfigError
from smelt_repl.engine import request_messages
from smelt_repl.providers import parse_provider_spec


def read_jsonl(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.fixture
def app(store, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    application = App(store, cwd=str(project), env={})
    application.start()
    yield application
    application.shutdown()


def loop_app(app, server, kind="openai-compatible", **spec):
    app.providers["loop"] = parse_provider_spec("loop", server.provider_spec(kind, **spec))
    app.settings["model"] = "loop/loop-model"
    return app


def record_events(app, *names):
    seen = []
    for name in names:
        app.events.on(name, lambda payload, name=name: seen.append((name, dict(payload))))
    return seen


def test_offline_turn_persists_everything(app):
    seen = record_events(app, "turn_start", "stream_delta", "turn_end")
    streamed = []
    result = app.send("hello there", streamed.append)
    assert result.error is None and not result.cancelled
    assert "offline" in result.reply.lower() and "".join(streamed) == result.reply
    transcript = [r for r in read_jsonl(app.session.dir / "transcript.jsonl") if r["type"] == "message"]
    assert [(r["role"], r["content"]) for r in transcript] == [("user", "hello there"), ("assistant", result.reply)]
    assert transcript[1]["model"] == "offline/offline"
    usage = [r for r in read_jsonl(app.session.dir / "ledger.jsonl") if r["type"] == "usage"]
    assert len(usage) == 1 and usage[0]["output"] > 0 and usage[0]["input"] > 0
    assert app.session.context_tokens() == usage[0]["context_tokens"]
    assert seen[0] == ("turn_start", {"text": "hello there"})
    assert "".join(p["text"] for n, p in seen if n == "stream_delta") == result.reply
    assert seen[-1] == ("turn_end", {"cancelled": False})


def test_request_carries_history_and_exact_system_prompt(app, provider_server, tmp_path):
    (tmp_path / "project" / "AGENTS.md").write_text("Always answer in haiku.\n")
    loop_app(app, provider_server)
    app.system_sections.append("Section from Lua.")
    provider_server.script(text="first reply")
    app.send("one")
    provider_server.script(text="second reply", usage={"input": 30, "output": 4, "cache_read": 10})
    app.send("two")
    body = provider_server.requests[-1].body
    assert body["model"] == "loop-model" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    system = body["messages"][0]
    assert system["role"] == "system" and system["content"] == app.system()
    assert "Always answer in haiku." in app.system() and app.system().endswith("Section from Lua.")
    assert [(m["role"], m["content"]) for m in body["messages"][1:]] == [
        ("user", "one"), ("assistant", "first reply"), ("user", "two")]
    assert app.session.context_tokens() == 40
    assert app.session.tokens()["cache_read"] == 10


def test_user_message_is_on_disk_before_the_request_is_answered(app, provider_server):
    loop_app(app, provider_server)
    provider_server.script(text="slow reply here", hold_after=0)
    seen_on_disk = []

    def watch():
        assert provider_server.wait_for(lambda: bool(provider_server.requests), timeout=5)
        path = app.session.dir / "transcript.jsonl"
        seen_on_disk.extend(r.get("content") for r in read_jsonl(path) if r["type"] == "message")
        provider_server.release()

    watcher = threading.Thread(target=watch)
    watcher.start()
    app.send("durable question")
    watcher.join()
    assert seen_on_disk == ["durable question"]


def test_cancel_from_another_thread_keeps_partial_reply(app, provider_server):
    loop_app(app, provider_server)
    provider_server.script(text="one two three four five six seven eight nine ten", hold_after=2)
    ends = record_events(app, "turn_end")
    got, asked = [], []

    def cancel_after_two_words(text):  # deltas may come joined (one piece per batch)
        got.append(text)
        if "two" in "".join(got) and not asked:
            asked.append(True)
            threading.Thread(target=app.cancel_turn).start()

    start = time.monotonic()
    result = app.send("count", cancel_after_two_words)
    assert time.monotonic() - start < 1.5
    assert result.cancelled and result.reply.startswith("one two")
    assert "ten" not in result.reply
    last = app.session.messages[-1]
    assert last["role"] == "assistant" and last["cancelled"] is True and last["content"] == result.reply
    assert ends == [("turn_end", {"cancelled": True})]


@pytest.mark.parametrize("fault, expected", [
    (401, "HTTP 401"),
    (404, "404"),
    ("malformed", "malformed"),
    ("cut", "cut"),
])
def test_provider_faults_end_the_turn_with_one_line_and_keep_the_message(app, provider_server, fault, expected):
    loop_app(app, provider_server)
    provider_server.script(text="partial words then trouble", fault=fault, fault_times=5)
    ends = record_events(app, "turn_end")
    result = app.send("will this work?")
    assert result.error and result.error.startswith("loop: ") and "\n" not in result.error
    assert expected.lower() in result.error.lower()
    user, reply = app.session.messages[-2:]
    assert user["content"] == "will this work?"
    assert reply["role"] == "assistant" and reply["error"] == result.error
    assert ends[-1][1]["error"] == result.error and ends[-1][1]["cancelled"] is False


def test_connection_refused(app):
    app.providers["dead"] = parse_provider_spec("dead", {"kind": "openai-compatible", "api_base": "http://127.0.0.1:9/v1"})
    app.settings["model"] = "dead/m"
    result = app.send("anyone?")
    assert result.error and "dead" in result.error and "refused" in result.error.lower()
    assert app.session.messages[0]["content"] == "anyone?"


def test_retry_on_503_then_success(app, provider_server):
    loop_app(app, provider_server)
    provider_server.script(text="made it", fault=503, fault_times=2)
    result = app.send("retry please")
    assert result.error is None and result.reply == "made it"
    assert len(provider_server.requests) == 3


def test_price_table_cost_and_context_window(app, provider_server):
    app.api_base = provider_server.openai_base
    app.model_flag = "gpt-4o-mini"
    app.env = {"OPENAI_API_KEY": "sk-test-SECRET-value"}
    provider_server.script(text="priced", usage={"input": 1_000_000, "output": 1_000_000})
    result = app.send("price me")
    assert result.cost_usd > 0
    assert app.session.cost() == pytest.approx(result.cost_usd)
    assert app.context_window() and app.context_window() >= 100_000
    assert provider_server.requests[-1].headers["authorization"] == "Bearer sk-test-SECRET-value"


def test_api_key_is_never_written_to_disk(app, provider_server, xdg):
    app.api_base = provider_server.openai_base
    app.model_flag = "openai/some-model"
    app.env = {"OPENAI_API_KEY": "sk-test-NEVER-ON-DISK"}
    provider_server.script(fault=401)
    app.send("first")
    provider_server.script(text="fine")
    app.send("second")
    for path in xdg["state"].rglob("*"):
        if path.is_file():
            assert b"NEVER-ON-DISK" not in path.read_bytes(), path


def test_missing_api_key_is_a_config_error_and_writes_nothing(app):
    app.model_flag = "openai/gpt-4o-mini"
    with pytest.raises(ConfigError, match="openai: OPENAI_API_KEY is not set"):
        app.send("hi")
    assert not app.session.persisted


def test_unknown_provider_is_a_config_error_and_writes_nothing(app):
    app.model_flag = "nosuch/model"
    with pytest.raises(ConfigError, match="unknown provider 'nosuch'"):
        app.send("hi")
    assert not app.session.persisted


def test_anthropic_turn(app, provider_server):
    loop_app(app, provider_server, kind="anthropic", api_key_env="ANTH_KEY")
    app.env = {"ANTH_KEY": "ak-1"}
    provider_server.script(text="bonjour", usage={"input": 10, "output": 2, "cache_read": 5, "cache_write": 3})
    result = app.send("salut")
    assert result.reply == "bonjour"
    request = provider_server.requests[-1]
    assert request.path == "/v1/messages" and request.headers["x-api-key"] == "ak-1"
    # prompt caching (on by default for Anthropic) marks the system prompt
    assert request.body["system"] == [{"type": "text", "text": app.system(), "cache_control": {"type": "ephemeral"}}]
    assert app.session.context_tokens() == 18


def test_request_messages_merges_and_drops():
    history = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "", "error": "boom"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "partial", "cancelled": True},
        {"role": "agent", "content": [{"type": "text", "text": "from agent"}]},
    ]
    assert request_messages(history) == [
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "partial"},
        {"role": "user", "content": "from agent"},
    ]


def test_cancel_is_prompt_even_when_the_server_never_answers(app, provider_server):
    loop_app(app, provider_server, timeout=30)
    provider_server.script(fault="hang")
    threading.Timer(0.3, app.cancel_turn).start()
    start = time.monotonic()
    result = app.send("hello?")
    assert time.monotonic() - start < 2.0
    assert result.cancelled and result.reply == ""
    assert app.session.messages[-1]["cancelled"] is True


def test_rewind_from_inside_the_turn_runs_when_the_turn_has_ended(app, provider_server):
    loop_app(app, provider_server)
    provider_server.script(text="alpha beta gamma delta", delay=0.01)
    app.send("first")
    asked = []
    app.events.on("stream_delta", lambda payload: asked or asked.append(app.rewind_to(2)))
    rewinds = []
    app.events.on("rewind", rewinds.append)
    result = app.send("second")
    assert result.reply == "alpha beta gamma delta" and not result.cancelled  # the turn ran whole
    assert [m["role"] for m in app.session.messages] == ["user", "assistant"]  # then it was cut
    assert app.session.messages[0]["content"] == "first"
    assert rewinds == [{"block_idx": 2, "restored_text": "second"}]
    transcript = (app.session.dir / "transcript.jsonl").read_text()
    assert transcript.count("alpha beta gamma delta") == 2  # both replies stay on disk


def test_a_switch_asked_for_mid_turn_leaves_the_whole_turn_in_the_old_session(app, provider_server):
    loop_app(app, provider_server)
    provider_server.script(text="one two three four", delay=0.01)
    app.send("keep")
    old = app.session
    switched = []
    app.events.on("stream_delta", lambda payload: switched or switched.append(app.reset()))
    app.send("during")
    assert old.closed and app.session is not old and app.session.messages == []
    assert [m["content"] for m in app.store.open(old.id).messages][-2:] == ["during", "one two three four"]


def test_request_messages_kept_between_turns_match_a_fresh_conversion():
    from smelt_repl.engine import RequestMessages

    convert = RequestMessages()
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": ""}]
    assert convert(history) == request_messages(history)
    history.append({"role": "user", "content": "b"})  # merged into the failed turn's message
    assert convert(history) == request_messages(history) == [{"role": "user", "content": "a\n\nb"}]
    history.append({"role": "assistant", "content": "B"})
    assert convert(history) == request_messages(history)
    del history[1:]  # a rewind: the history shrank
    history.append({"role": "user", "content": "c"})
    assert convert(history) == request_messages(history) == [{"role": "user", "content": "a\n\nc"}]
    other = [{"role": "user", "content": "x"}]  # another session's history
    assert convert(other) == [{"role": "user", "content": "x"}]
