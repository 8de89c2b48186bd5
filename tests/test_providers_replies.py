"""Replies as real servers send them: whole JSON bodies, reasoning, truncation; asking for
reasoning; Anthropic prompt caching; listing a server's models."""

from __future__ import annotations

import threading

import pytest

from smelt_repl.providers import ChatRequest, Done, ProviderError, ReasoningDelta, TextDelta, Usage, UsageReport
from smelt_repl.providers.base import is_truncated
from smelt_repl.providers.registry import list_models
from tests.conftest_providers import collect, loop_model, loop_provider
from tests.provider_replies import SIGNATURE

HELLO = ChatRequest(model="loop-model", system="Be brief.", messages=[{"role": "user", "content": "hi"}])
KINDS = ["openai-compatible", "anthropic"]
USAGE = {"input": 20, "output": 9, "cache_read": 0, "cache_write": 0, "reasoning": 0}


def run(provider, request=HELLO):
    return collect(provider.stream(request, threading.Event()))


def reasoning_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))


# --- a server that ignores stream: true ------------------------------------------------


@pytest.mark.parametrize("kind, stop", [("openai-compatible", "length"), ("anthropic", "max_tokens")])
def test_a_whole_json_reply_reads_as_if_streamed(provider_server, kind, stop):
    provider_server.script(whole=True, text="All at once.", reasoning="Quick thought.", usage=USAGE,
                           stop_reason=stop)
    text, events = run(loop_provider(provider_server, kind))
    assert text == "All at once."
    assert reasoning_of(events) == "Quick thought."
    [report] = [e for e in events if isinstance(e, UsageReport)]
    assert (report.usage.input, report.usage.output, report.usage.context_tokens) == (20, 9, 20)
    assert events[-1] == Done(stop) and is_truncated(stop)
    assert len(provider_server.requests) == 1


def test_a_whole_json_error_body_with_status_200_is_an_error(provider_server):
    provider = loop_provider(provider_server)
    lines = type("Lines", (), {"json_body": b'{"error": {"message": "no capacity"}}', "__iter__": lambda s: iter(()), "batches": lambda s: iter(())})()
    with pytest.raises(ProviderError, match="^loop: server error: no capacity$") as info:
        list(provider._reply_events(lines, threading.Event()))
    assert info.value.retryable


# --- reasoning ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_openai_reasoning_fields_become_reasoning_deltas(provider_server, field):
    provider_server.script(text="42.", reasoning="Six times seven.", reasoning_field=field)
    text, events = run(loop_provider(provider_server))
    assert (text, reasoning_of(events)) == ("42.", "Six times seven.")
    assert provider_server.requests[0].body["stream"] is True


def test_anthropic_thinking_keeps_its_signature_and_estimates_reasoning_tokens(provider_server):
    thinking = "Six times seven is forty-two, obviously."  # 40 characters: 10 tokens estimated
    provider_server.script(text="42.", reasoning=thinking, usage={**USAGE, "output": 30})
    text, events = run(loop_provider(provider_server, "anthropic"))
    assert (text, reasoning_of(events)) == ("42.", thinking)
    signed = [e for e in events if isinstance(e, ReasoningDelta) and e.signature]
    assert signed == [ReasoningDelta("", signature=SIGNATURE)]
    assert events.index(signed[0]) < events.index(TextDelta("42."))  # the block ends before the text
    final = [e for e in events if isinstance(e, UsageReport)][-1]
    assert final == UsageReport(Usage(input=20, output=30, reasoning=10, context_tokens=20), reasoning_estimated=True)


def test_anthropic_whole_reply_keeps_the_signature(provider_server):
    provider_server.script(whole=True, text="42.", reasoning="Think.", usage=USAGE)
    _, events = run(loop_provider(provider_server, "anthropic"))
    assert ReasoningDelta("", signature=SIGNATURE) in events
    assert [e for e in events if isinstance(e, UsageReport)][-1].reasoning_estimated


@pytest.mark.parametrize("kind, stop", [("openai-compatible", "length"), ("anthropic", "max_tokens"),
                                        ("openai-compatible", "stop"), ("anthropic", "end_turn")])
def test_the_stop_reason_reaches_done(provider_server, kind, stop):
    provider_server.script(text="cut sho", stop_reason=stop)
    _, events = run(loop_provider(provider_server, kind))
    assert events[-1] == Done(stop)
    assert is_truncated(stop) == (stop in ("length", "max_tokens"))
    assert not is_truncated(None)


# --- asking for reasoning -------------------------------------------------------------


def test_reasoning_effort_of_the_model_is_sent_to_openai(provider_server):
    models = {"loop-model": {"reasoning_effort": "high"}}
    run(loop_provider(provider_server, models=models))
    run(loop_provider(provider_server, models=models), ChatRequest("loop-model", "", [], reasoning_effort="off"))
    run(loop_provider(provider_server), ChatRequest("loop-model", "", [], reasoning_effort="low"))
    assert [r.body.get("reasoning_effort") for r in provider_server.requests] == ["high", None, "low"]


@pytest.mark.parametrize("settings, request_effort, max_tokens, thinking", [
    ({"reasoning_effort": "medium"}, None, None, {"type": "enabled", "budget_tokens": 4096}),
    ({}, "low", 8000, {"type": "enabled", "budget_tokens": 1024}),
    ({"reasoning_effort": "high", "thinking_budgets": {"high": 30000}}, None, 4096,
     {"type": "enabled", "budget_tokens": 30000}),
    ({"reasoning_effort": "high"}, "off", None, None),
])
def test_anthropic_thinking_budget_and_max_tokens(provider_server, settings, request_effort, max_tokens, thinking):
    provider = loop_provider(provider_server, "anthropic", models={"loop-model": settings})
    run(provider, ChatRequest("loop-model", "", [{"role": "user", "content": "hi"}], max_tokens=max_tokens,
                              reasoning_effort=request_effort))
    body = provider_server.requests[0].body
    assert body.get("thinking") == thinking
    asked = max_tokens or 4096
    assert body["max_tokens"] == (asked if not thinking or asked > thinking["budget_tokens"]
                                  else asked + thinking["budget_tokens"])
    assert body["max_tokens"] > (thinking or {}).get("budget_tokens", 0)


SAMPLING = {"temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1}


@pytest.mark.parametrize("kind, sent", [
    ("openai-compatible", SAMPLING),
    ("anthropic", {}),  # the Messages API's request type has no sampling fields
])
def test_sampling_settings_are_sent_where_the_api_takes_them(provider_server, kind, sent):
    run(loop_provider(provider_server, kind, models={"loop-model": SAMPLING}))
    body = provider_server.requests[0].body
    assert {k: body[k] for k in SAMPLING if k in body} == sent


def test_a_bad_reasoning_setting_is_one_clear_line(provider_server):
    from smelt_repl.providers import parse_provider_spec

    with pytest.raises(ValueError, match="reasoning_effort must be one of low, medium, high"):
        parse_provider_spec("x", {"api_base": "http://h", "models": {"m": {"reasoning_effort": "max"}}})
    with pytest.raises(ValueError, match=r"thinking_budgets.low must be a whole number >= 1024"):
        parse_provider_spec("x", {"api_base": "http://h", "models": {"m": {"thinking_budgets": {"low": 10}}}})
    with pytest.raises(ProviderError, match="reasoning effort must be one of low, medium, high or off"):
        run(loop_provider(provider_server), ChatRequest("loop-model", "", [], reasoning_effort="max"))


# --- Anthropic prompt caching ---------------------------------------------------------

HISTORY = [
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "first answer"},
    {"role": "user", "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}]},
    {"role": "assistant", "content": "second answer"},
    {"role": "user", "content": "new question"},
]
EPHEMERAL = {"type": "ephemeral"}


def test_anthropic_marks_the_system_prompt_and_the_stable_prefix_cacheable(provider_server):
    run(loop_provider(provider_server, "anthropic"), ChatRequest("loop-model", "Long system prompt.", HISTORY))
    body = provider_server.requests[0].body
    assert body["system"] == [{"type": "text", "text": "Long system prompt.", "cache_control": EPHEMERAL}]
    assert body["messages"] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": [{"type": "text", "text": "second"},
                                     {"type": "text", "text": "question", "cache_control": EPHEMERAL}]},
        {"role": "assistant", "content": "second answer"},
        {"role": "user", "content": "new question"},  # the new message: no breakpoint
    ]


def test_prompt_caching_can_be_turned_off(provider_server):
    run(loop_provider(provider_server, "anthropic", prompt_caching=False),
        ChatRequest("loop-model", "Sys.", HISTORY))
    body = provider_server.requests[0].body
    assert body["system"] == "Sys."
    assert "cache_control" not in str(body)


def test_cache_reads_and_writes_are_reported(provider_server):
    provider_server.script(usage={**USAGE, "cache_read": 900, "cache_write": 100})
    _, events = run(loop_provider(provider_server, "anthropic"), ChatRequest("loop-model", "Sys.", HISTORY))
    final = [e.usage for e in events if isinstance(e, UsageReport)][-1]
    assert (final.cache_read, final.cache_write, final.context_tokens) == (900, 100, 1020)


# --- listing models -------------------------------------------------------------------


@pytest.mark.parametrize("kind, path, auth", [("openai-compatible", "/v1/models", ("authorization", "Bearer k-123")),
                                              ("anthropic", "/v1/models?limit=1000", ("x-api-key", "k-123"))])
def test_list_models_asks_the_server_with_the_same_auth(provider_server, kind, path, auth):
    provider_server.script(models=["alpha", "beta"])
    resolved = loop_model(provider_server, kind, api_key_env="LOOP_KEY")
    assert list_models(resolved, env={"LOOP_KEY": "k-123"}) == ["alpha", "beta"]
    [seen] = provider_server.requests
    assert (seen.method, seen.path) == ("GET", path)
    assert seen.headers[auth[0]] == auth[1]


def test_list_models_follows_anthropic_pages(provider_server):
    provider_server.script(models=["a", "b", "c", "d", "e"], models_page=2)
    assert list_models(loop_model(provider_server, "anthropic"), env={}) == ["a", "b", "c", "d", "e"]
    assert [r.path for r in provider_server.requests] == [
        "/v1/models?limit=1000", "/v1/models?limit=1000&after_id=b", "/v1/models?limit=1000&after_id=d"]


def test_list_models_without_such_an_endpoint_is_one_clear_line(provider_server):
    provider_server.script(models=None)
    with pytest.raises(ProviderError) as info:
        list_models(loop_model(provider_server), env={})
    assert str(info.value) == (f"loop: the server lists no models (HTTP 404 for GET "
                               f"{provider_server.openai_base}/models)")


def test_list_models_of_the_offline_provider():
    from smelt_repl.providers import resolve_model

    assert list_models(resolve_model(None, None, {})) == ["offline"]
