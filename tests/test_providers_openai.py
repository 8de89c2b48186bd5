"""The OpenAI-compatible provider against a real loopback HTTP server."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest

from smelt_repl.providers import (
    ChatRequest,
    Done,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    Usage,
    UsageReport,
)
from tests.conftest_providers import collect, loop_provider

HELLO = ChatRequest(model="loop-model", system="Be brief.", messages=[{"role": "user", "content": "hi"}])


def stream(provider, request=HELLO, cancel=None):
    return provider.stream(request, cancel or threading.Event())


def test_streams_text_in_pieces_then_usage_then_done(provider_server):
    provider_server.script(text="One two three four", chunks=["One ", "two ", "three ", "four"])
    text, events = collect(stream(loop_provider(provider_server)))
    assert text == "One two three four"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["One ", "two ", "three ", "four"]
    assert isinstance(events[-2], UsageReport)
    assert events[-1] == Done("stop")


def test_request_body_and_headers(provider_server):
    provider = loop_provider(provider_server, api_key_env="LOOP_KEY", env={"LOOP_KEY": "sk-test"},
                             headers={"X-Title": "smelt"})
    request = ChatRequest("loop-model", "Be brief.", [{"role": "user", "content": "hi"}], max_tokens=50)
    collect(stream(provider, request))
    [seen] = provider_server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert seen.headers["x-title"] == "smelt"
    assert seen.body == {
        "model": "loop-model",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
    }


def test_no_system_message_no_auth_and_parts_pass_through(provider_server):
    parts = [{"type": "text", "text": "what is this?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    collect(stream(loop_provider(provider_server), ChatRequest("m", "", [{"role": "user", "content": parts}])))
    seen = provider_server.requests[0]
    assert "authorization" not in seen.headers
    assert seen.body["messages"] == [{"role": "user", "content": parts}]
    assert "max_tokens" not in seen.body


def test_usage_maps_cached_and_reasoning_tokens(provider_server):
    provider_server.script(usage={"input": 70, "cache_read": 30, "output": 20, "reasoning": 8})
    _, events = collect(stream(loop_provider(provider_server)))
    [report] = [e for e in events if isinstance(e, UsageReport)]
    assert report.usage == Usage(input=70, output=20, cache_read=30, cache_write=0, reasoning=8,
                                 context_tokens=100)


def test_reasoning_deltas_come_before_text(provider_server):
    provider_server.script(text="Answer.", reasoning="Let me think.")
    _, events = collect(stream(loop_provider(provider_server)))
    kinds = [type(e).__name__ for e in events if isinstance(e, (TextDelta, ReasoningDelta))]
    assert kinds == ["ReasoningDelta", "ReasoningDelta", "ReasoningDelta", "TextDelta"]
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Let me think."


def test_crlf_line_endings_and_plain_base_path(provider_server):
    provider_server.script(text="crlf ok", line_ending="\r\n")
    provider = loop_provider(provider_server, api_base=provider_server.base_url)
    text, _ = collect(stream(provider))
    assert text == "crlf ok"
    assert provider_server.requests[0].path == "/chat/completions"


def test_unauthorized_names_the_key_variable_and_is_not_retried(provider_server):
    provider_server.script(fault=401, error_message="Incorrect API key provided")
    provider = loop_provider(provider_server, api_key_env="LOOP_KEY", env={"LOOP_KEY": "bad"})
    with pytest.raises(ProviderError) as info:
        collect(stream(provider))
    assert str(info.value) == "loop: HTTP 401 unauthorized: check LOOP_KEY (server: Incorrect API key provided)"
    assert not info.value.retryable
    assert len(provider_server.requests) == 1


def test_not_found_mentions_model_and_api_base(provider_server):
    provider_server.script(fault=404, error_message="model 'nope' not found")
    with pytest.raises(ProviderError) as info:
        collect(stream(loop_provider(provider_server, model="nope"), ChatRequest("nope", "", [])))
    message = str(info.value)
    assert "HTTP 404" in message and "'nope'" in message and provider_server.openai_base in message
    assert len(provider_server.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_status_gives_up_after_max_retries(provider_server, status):
    provider_server.script(fault=status, fault_times=99)
    with pytest.raises(ProviderError) as info:
        collect(stream(loop_provider(provider_server, max_retries=2)))
    assert str(info.value).startswith(f"loop: HTTP {status} ")
    assert str(info.value).endswith("(after 2 retries)")
    assert info.value.retryable
    assert len(provider_server.requests) == 3


def test_retry_then_success(provider_server):
    provider_server.script(text="finally", fault=503, fault_times=2)
    text, events = collect(stream(loop_provider(provider_server, max_retries=3)))
    assert text == "finally"
    assert events[-1] == Done("stop")
    assert len(provider_server.requests) == 3


def test_retry_after_is_honoured(provider_server):
    provider_server.script(fault=429, fault_times=1, retry_after="0.3")
    started = time.monotonic()
    text, _ = collect(stream(loop_provider(provider_server, retry_backoff=0)))
    assert text == "Hello from the loopback server."
    assert time.monotonic() - started >= 0.3
    assert len(provider_server.requests) == 2


def test_backoff_doubles(provider_server):
    provider_server.script(fault=503, fault_times=99)
    started = time.monotonic()
    with pytest.raises(ProviderError):
        collect(stream(loop_provider(provider_server, max_retries=3, retry_backoff=0.05)))
    assert time.monotonic() - started >= 0.05 + 0.1 + 0.2


def test_malformed_json_line(provider_server):
    provider_server.script(text="a b c", fault="malformed")
    seen = []
    with pytest.raises(ProviderError) as info:
        for event in stream(loop_provider(provider_server)):
            seen.append(event)
    assert str(info.value) == "loop: malformed stream: invalid JSON in data line '{not json'"
    assert seen == [TextDelta("a ")]  # the delta before the fault was delivered
    assert len(provider_server.requests) == 1


@pytest.mark.parametrize("fault", ["cut", "truncate"])
def test_stream_cut_mid_reply_keeps_earlier_deltas(provider_server, fault):
    provider_server.script(text="one two three four", fault=fault, fault_times=5)
    seen = []
    with pytest.raises(ProviderError) as info:
        for event in stream(loop_provider(provider_server)):
            seen.append(event)
    assert str(info.value) == "loop: stream cut mid-reply"
    assert seen == [TextDelta("one "), TextDelta("two ")]
    assert len(provider_server.requests) == 1  # deltas were shown: no retry


def test_error_object_inside_the_stream(provider_server):
    provider_server.script(fault="error_event", error_message="context length exceeded")
    with pytest.raises(ProviderError, match="context length exceeded"):
        collect(stream(loop_provider(provider_server)))


def test_cancel_mid_stream_stops_promptly(provider_server):
    provider_server.script(text=" ".join(["word"] * 40), delay=0.05)
    cancel = threading.Event()
    seen = []
    started = time.monotonic()
    for event in stream(loop_provider(provider_server), cancel=cancel):
        seen.append(event)
        if len(seen) == 3:
            cancel.set()
            cancelled_at = time.monotonic()
    assert len(seen) == 3  # nothing after the cancel, and no Done
    assert time.monotonic() - cancelled_at < 0.3
    assert time.monotonic() - started < 1.0  # far less than the 2 s full reply


def test_cancel_before_start_sends_nothing(provider_server):
    cancel = threading.Event()
    cancel.set()
    assert list(stream(loop_provider(provider_server), cancel=cancel)) == []
    assert provider_server.requests == []


def test_connection_refused_names_the_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    base = f"http://127.0.0.1:{port}/v1"
    from smelt_repl.providers import make_provider, resolve_model

    provider = make_provider(resolve_model("ollama/llama3.2", base, {}), env={})
    with pytest.raises(ProviderError) as info:
        collect(stream(provider))
    assert str(info.value) == f"ollama: connection refused ({base})"


def test_read_timeout_when_the_server_hangs(provider_server):
    provider_server.script(fault="hang")
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        collect(stream(loop_provider(provider_server, timeout=0.3)))
    assert str(info.value) == f"loop: no data from {provider_server.openai_base} for 0.3 s (read timeout)"
    assert 0.3 <= time.monotonic() - started < 2.0
    assert len(provider_server.requests) == 1


def test_provider_is_reusable_across_turns(provider_server):
    provider = loop_provider(provider_server)
    for word in ("first", "second"):
        provider_server.script(text=word)
        assert collect(stream(provider))[0] == word
    assert len(provider_server.requests) == 2


def _usage_then(tail: list[str]) -> list[str]:
    """SSE lines: one delta, the finish chunk, a usage chunk, then `tail`."""
    def data(obj: dict) -> list[str]:
        return [f"data: {json.dumps(obj)}", ""]
    choice = {"index": 0, "delta": {"content": "hi"}, "finish_reason": None}
    usage = {"prompt_tokens": 90_000, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 0}}
    return (data({"choices": [choice]}) + data({"choices": [{"index": 0, "delta": {}, "finish_reason": None}]})
            + data({"choices": [], "usage": usage}) + tail)


@pytest.mark.parametrize("tail, cause", [
    (["data: {\"choices\": [{\"index\""], "stream cut mid-reply"),  # cut inside a line
    (["data: {\"error\": {\"message\": \"boom\"}}", ""], "server error mid-reply: boom"),
    ([], "stream cut mid-reply"),  # connection closed before [DONE], no finish_reason
])
def test_usage_already_yielded_when_the_stream_fails_after_it(provider_server, tail, cause):
    provider = loop_provider(provider_server)
    seen = []
    with pytest.raises(ProviderError, match=f"^loop: {re.escape(cause)}"):
        for event in provider._events(iter(_usage_then(tail)), threading.Event()):
            seen.append(event)
    assert seen == [TextDelta("hi"), UsageReport(Usage(input=90_000, output=3, context_tokens=90_000))]


def test_usage_reported_once_before_done(provider_server):
    provider = loop_provider(provider_server)
    events = list(provider._events(iter(_usage_then(["data: [DONE]", ""])), threading.Event()))
    assert [type(e) for e in events] == [TextDelta, UsageReport, Done]


def test_retry_carries_usage_of_a_failed_attempt():
    from smelt_repl.providers.retries import with_retries
    from smelt_repl.providers.spec import ProviderSpec

    def failing():
        yield UsageReport(Usage(input=100, output=1, context_tokens=100))
        raise ProviderError("loop", "overloaded_error: busy", retryable=True)

    def succeeding():
        yield UsageReport(Usage(input=100, output=1, context_tokens=100))
        yield TextDelta("ok")
        yield UsageReport(Usage(input=100, output=5, context_tokens=100))
        yield Done("end_turn")

    attempts = iter([failing, succeeding])
    spec = ProviderSpec(name="loop", kind="anthropic", api_base="http://127.0.0.1:9", max_retries=2,
                        retry_backoff_s=0)
    events = list(with_retries(spec, lambda: next(attempts)(), threading.Event()))
    reports = [e.usage for e in events if isinstance(e, UsageReport)]
    assert reports == [Usage(input=100, output=1, context_tokens=100), Usage(input=200, output=2, context_tokens=100),
                       Usage(input=200, output=6, context_tokens=100)]
    assert events[-1] == Done("end_turn")
