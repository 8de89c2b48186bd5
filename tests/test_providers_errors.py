"""What a failing server shows: its own message, never the key, retries of early stream errors."""

from __future__ import annotations

import logging
import threading

import pytest

from smelt_repl.providers import ChatRequest, Done, ProviderError, TextDelta, Usage, UsageReport
from smelt_repl.providers.redact import redact
from tests.conftest_providers import collect, loop_provider

HELLO = ChatRequest(model="loop-model", system="", messages=[{"role": "user", "content": "hi"}])
KEY = "sk-live-0123456789abcdef"
KINDS = ["openai-compatible", "anthropic"]


def keyed(server, kind):
    return loop_provider(server, kind, api_key_env="LOOP_KEY", env={"LOOP_KEY": KEY})


def failure(provider, request=HELLO) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        collect(provider.stream(request, threading.Event()))
    return info.value


@pytest.mark.parametrize("kind", KINDS)
def test_a_401_that_echoes_the_key_shows_it_redacted(provider_server, kind):
    provider_server.script(fault=401, error_message="key {auth} is not valid here")
    error = failure(keyed(provider_server, kind))
    assert KEY not in str(error) and "0123456789" not in error.cause
    assert str(error).startswith("loop: HTTP 401 unauthorized: check LOOP_KEY (server: key ")
    assert "[redacted]" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_the_key_value_is_struck_out_of_a_plain_text_body(provider_server, kind):
    odd_key = "loop-secret-4242"  # no well-known key shape: only the configured value finds it
    provider_server.script(fault=500, error_body=f"upstream said no to {odd_key}")
    provider = loop_provider(provider_server, kind, api_key_env="LOOP_KEY", env={"LOOP_KEY": odd_key},
                             max_retries=0)
    assert str(failure(provider)) == "loop: HTTP 500 server error (server: upstream said no to [redacted])"


@pytest.mark.parametrize("text, shown", [
    ("Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"),
    ("bad token bearer xyz987, try again", "bad token bearer [redacted], try again"),
    ('{"x-api-key": "ak-999"}', '{"x-api-key": "[redacted]"}'),
    ("key sk-proj-AAAABBBBCCCCDDDD rejected", "key sk-[redacted] rejected"),
    ("check ANTHROPIC_API_KEY", "check ANTHROPIC_API_KEY"),
])
def test_redact_patterns(text, shown):
    assert redact(text) == shown
    assert ProviderError("p", text).cause == shown


@pytest.mark.parametrize("body, message", [
    ({"detail": "model 'm' is not served here"}, "model 'm' is not served here"),
    ({"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]},
     "body.model: field required"),
    ({"error": "model not loaded"}, "model not loaded"),
    ({"error": {"message": "bad things", "type": "invalid_request_error"}}, "bad things"),
    ({"message": "quota reached"}, "quota reached"),
    ("model  is\nnot   here", "model is not here"),
])
def test_the_servers_own_message_is_shown_on_one_line(provider_server, body, message):
    provider_server.script(fault=400, error_body=body)
    assert str(failure(loop_provider(provider_server))) == f"loop: HTTP 400 bad request (server: {message})"


def test_an_html_error_page_is_not_quoted(provider_server):
    provider_server.script(fault=400, error_body="<html><body>Bad Request</body></html>")
    assert str(failure(loop_provider(provider_server))) == "loop: HTTP 400 bad request"


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_event_before_any_text_is_retried(provider_server, kind):
    provider_server.script(text="second try", fault="error_first", error_message="Overloaded")
    text, events = collect(loop_provider(provider_server, kind).stream(HELLO, threading.Event()))
    assert text == "second try"
    assert isinstance(events[-1], Done)
    assert len(provider_server.requests) == 2


@pytest.mark.parametrize("kind, shown", [
    ("openai-compatible", "loop: server error mid-reply: Overloaded"),
    ("anthropic", "loop: overloaded_error: Overloaded"),
])
def test_an_error_event_after_text_ends_the_turn(provider_server, kind, shown):
    provider_server.script(text="partial answer here", fault="error_event", error_message="Overloaded")
    seen = []
    with pytest.raises(ProviderError) as info:
        for event in loop_provider(provider_server, kind).stream(HELLO, threading.Event()):
            seen.append(event)
    assert str(info.value) == shown
    assert [e for e in seen if isinstance(e, TextDelta)] == [TextDelta("partial ")]
    assert len(provider_server.requests) == 1


def test_a_client_error_event_is_not_retried(provider_server):
    lines = ['data: {"error": {"message": "prompt too long", "type": "invalid_request_error"}}', ""]
    with pytest.raises(ProviderError) as info:
        list(loop_provider(provider_server)._events(iter(lines), threading.Event()))
    assert str(info.value) == "loop: server error mid-reply: invalid_request_error: prompt too long"
    assert not info.value.retryable


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("usage, kept", [
    ({"input": 10**30, "output": 7}, Usage(output=7)),
    ({"input": 12, "output": -5}, Usage(input=12)),
])
def test_unbelievable_usage_is_dropped_field_by_field_with_one_log_line(provider_server, caplog, kind, usage,
                                                                         kept):
    provider_server.script(text="ok", usage=usage)
    with caplog.at_level(logging.WARNING, logger="smelt"):
        text, events = collect(loop_provider(provider_server, kind).stream(HELLO, threading.Event()))
    assert text == "ok"
    final = [e.usage for e in events if isinstance(e, UsageReport)][-1]
    assert final.input == kept.input
    assert final.output == kept.output or (kind == "anthropic" and final.output == 1)  # message_start's
    warnings = [r for r in caplog.records if r.name == "smelt.providers"]
    assert len(warnings) == 1
    assert "usage figures dropped as not believable" in warnings[0].getMessage()
    assert str(next(iter(v for v in usage.values() if not 0 <= v < 10**12))) in warnings[0].getMessage()
