"""The Anthropic provider against a real loopback HTTP server, and its request conversion."""

from __future__ import annotations

import threading
import time

import pytest

from smelt_repl.providers import ChatRequest, Done, ProviderError, ReasoningDelta, TextDelta, Usage, UsageReport
from smelt_repl.providers.anthropic_format import request_body
from tests.conftest_providers import collect, loop_provider

HELLO = ChatRequest(model="claude-test", system="Be brief.", messages=[{"role": "user", "content": "hi"}])


def anthropic(server, **spec):
    spec.setdefault("api_key_env", "LOOP_ANTHROPIC_KEY")
    return loop_provider(server, "anthropic", model="claude-test",
                         env={"LOOP_ANTHROPIC_KEY": "ak-test"}, **spec)


def stream(provider, request=HELLO, cancel=None):
    return provider.stream(request, cancel or threading.Event())


def test_streams_text_then_usage_then_done(provider_server):
    provider_server.script(text="Bonjour le monde", stop_reason="end_turn")
    text, events = collect(stream(anthropic(provider_server)))
    assert text == "Bonjour le monde"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Bonjour ", "le ", "monde"]
    assert isinstance(events[-2], UsageReport)
    assert events[-1] == Done("end_turn")


def test_request_path_headers_and_body(provider_server):
    collect(stream(anthropic(provider_server)))
    [seen] = provider_server.requests
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == "ak-test"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.headers["content-type"] == "application/json"
    assert "authorization" not in seen.headers
    assert seen.body == {
        "model": "claude-test",
        "max_tokens": 4096,
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }


def test_usage_maps_cache_read_and_write(provider_server):
    provider_server.script(usage={"input": 10, "cache_read": 200, "cache_write": 50, "output": 33})
    _, events = collect(stream(anthropic(provider_server)))
    first, final = [e.usage for e in events if isinstance(e, UsageReport)]
    assert first == Usage(input=10, output=1, cache_read=200, cache_write=50, reasoning=0, context_tokens=260)
    assert final == Usage(input=10, output=33, cache_read=200, cache_write=50, reasoning=0,
                          context_tokens=260)


def test_usage_is_reported_at_message_start_then_cumulatively(provider_server):
    provider_server.script(text="a b c", usage={"input": 90_000, "output": 7})
    _, events = collect(stream(anthropic(provider_server)))
    reports = [e.usage for e in events if isinstance(e, UsageReport)]
    assert isinstance(events[0], UsageReport)  # before any delta
    assert reports[0].input == 90_000 and reports[0].context_tokens == 90_000
    assert reports[-1] == Usage(input=90_000, output=7, context_tokens=90_000)  # output counted once
    assert events[-2:] == [UsageReport(reports[-1]), Done("end_turn")]


def test_cut_stream_still_reports_input_usage_before_the_error(provider_server):
    provider_server.script(text="a b c d", usage={"input": 90_000, "output": 40}, fault="cut")
    seen = []
    with pytest.raises(ProviderError, match=r"^loop: stream cut mid-reply$"):
        for event in stream(anthropic(provider_server)):
            seen.append(event)
    [report] = [e.usage for e in seen if isinstance(e, UsageReport)]
    assert report.input == 90_000 and report.context_tokens == 90_000
    assert seen.index(UsageReport(report)) == 0


def test_cancelled_stream_keeps_the_input_usage(provider_server):
    provider_server.script(text=" ".join(["tok"] * 40), delay=0.05, usage={"input": 90_000, "output": 99})
    cancel = threading.Event()
    seen = []
    for event in stream(anthropic(provider_server), cancel=cancel):
        seen.append(event)
        if isinstance(event, TextDelta):
            cancel.set()
    assert not any(isinstance(e, Done) for e in seen)
    [report] = [e.usage for e in seen if isinstance(e, UsageReport)]
    assert report.input == 90_000 and report.context_tokens == 90_000


def test_thinking_arrives_as_reasoning(provider_server):
    provider_server.script(text="42", reasoning="Six times seven.")
    _, events = collect(stream(anthropic(provider_server)))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == "Six times seven."
    assert events.index(next(e for e in events if isinstance(e, TextDelta))) > 0


def test_error_event_mid_stream(provider_server):
    provider_server.script(text="partial answer here", fault="error_event", error_message="Overloaded")
    seen = []
    with pytest.raises(ProviderError) as info:
        for event in stream(anthropic(provider_server)):
            seen.append(event)
    assert str(info.value) == "loop: overloaded_error: Overloaded"
    assert seen == [UsageReport(Usage(input=12, output=1, context_tokens=12)), TextDelta("partial ")]
    assert len(provider_server.requests) == 1  # a delta was shown: no retry


def test_unauthorized_mentions_key_variable(provider_server):
    provider_server.script(fault=401, error_message="invalid x-api-key")
    with pytest.raises(ProviderError) as info:
        collect(stream(anthropic(provider_server)))
    assert str(info.value) == "loop: HTTP 401 unauthorized: check LOOP_ANTHROPIC_KEY (server: invalid x-api-key)"


def test_forbidden_is_not_retried(provider_server):
    provider_server.script(fault=403, fault_times=5)
    with pytest.raises(ProviderError, match="HTTP 403 forbidden: check LOOP_ANTHROPIC_KEY"):
        collect(stream(anthropic(provider_server)))
    assert len(provider_server.requests) == 1


def test_overloaded_529_retries_then_succeeds(provider_server):
    provider_server.script(text="made it", fault=529, fault_times=2)
    text, _ = collect(stream(anthropic(provider_server)))
    assert text == "made it"
    assert len(provider_server.requests) == 3


def test_malformed_and_cut_streams(provider_server):
    provider_server.script(text="a b c d", fault="malformed")
    with pytest.raises(ProviderError, match=r"^loop: malformed stream: invalid JSON"):
        collect(stream(anthropic(provider_server)))
    provider_server.script(text="a b c d", fault="cut")
    with pytest.raises(ProviderError, match=r"^loop: stream cut mid-reply$"):
        collect(stream(anthropic(provider_server)))
    provider_server.script(text="a b c d", fault="truncate")
    with pytest.raises(ProviderError, match=r"^loop: stream cut mid-reply$"):
        collect(stream(anthropic(provider_server)))


def test_cancel_mid_stream(provider_server):
    provider_server.script(text=" ".join(["tok"] * 40), delay=0.05)
    cancel = threading.Event()
    seen = []
    for event in stream(anthropic(provider_server), cancel=cancel):
        seen.append(event)
        if isinstance(event, TextDelta):
            cancel.set()
            cancelled_at = time.monotonic()
    assert seen == [UsageReport(Usage(input=12, output=1, context_tokens=12)), TextDelta("tok ")]
    assert time.monotonic() - cancelled_at < 0.3


def test_conversion_moves_system_messages_and_converts_images():
    request = ChatRequest(
        model="claude-test",
        system="Base prompt.",
        messages=[
            {"role": "system", "content": "Extra rule."},
            {"role": "user", "content": [
                {"type": "text", "text": "Describe:"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
                {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}},
            ]},
            {"role": "assistant", "content": ""},  # an empty (cancelled) reply: dropped
            {"role": "tool", "name": "ls", "content": "a.txt"},
        ],
        max_tokens=123,
    )
    body = request_body(request)
    assert body["system"] == "Base prompt.\n\nExtra rule."
    assert body["max_tokens"] == 123
    assert body["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "Describe:"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"}},
            {"type": "image", "source": {"type": "url", "url": "https://example.org/cat.png"}},
        ]},
        {"role": "user", "content": "[tool result ls]\na.txt"},
    ]


def test_conversion_omits_empty_system():
    body = request_body(ChatRequest("m", "", [{"role": "user", "content": "x"}]))
    assert "system" not in body
