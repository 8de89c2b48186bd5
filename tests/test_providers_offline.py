"""The offline responder, the SSE parser, and the no-httpx-at-import promise."""

from __future__ import annotations

import subprocess
import sys
import threading

from smelt_repl.providers import ChatRequest, Done, TextDelta, Usage, UsageReport, make_provider, resolve_model
from smelt_repl.providers.offline import count_tokens
from smelt_repl.providers.sse import SseEvent, parse_sse
from tests.conftest_providers import collect

REQUEST = ChatRequest(
    model="offline",
    system="You are terse.",
    messages=[
        {"role": "user", "content": "earlier question"},
        {"role": "assistant", "content": "earlier answer"},
        {"role": "user", "content": "Explain *monads*\nin two lines please"},
    ],
)


def offline():
    return make_provider(resolve_model(None, None, {}), env={})


def test_offline_reply_quotes_the_first_line_and_explains_setup():
    text, events = collect(offline().stream(REQUEST, threading.Event()))
    assert "offline" in text.lower()
    assert "> Explain *monads*\n" in text
    assert "in two lines" not in text
    for hint in ("--model openai/gpt-4o-mini", "OPENAI_API_KEY", "--model ollama/llama3.2",
                 "--api-base URL --model NAME", "smelt.provider.register", "init.lua"):
        assert hint in text
    assert sum(isinstance(e, TextDelta) for e in events) > 10
    assert events[-1] == Done("stop")


def test_offline_is_deterministic_and_counts_tokens():
    first = collect(offline().stream(REQUEST, threading.Event()))
    second = collect(offline().stream(REQUEST, threading.Event()))
    assert first == second
    text, events = first
    [report] = [e for e in events if isinstance(e, UsageReport)]
    expected_input = (count_tokens("You are terse.") + count_tokens("earlier question")
                      + count_tokens("earlier answer") + count_tokens("Explain *monads*\nin two lines please"))
    assert report.usage == Usage(input=expected_input, output=count_tokens(text), context_tokens=expected_input)
    assert count_tokens("Hello, world!") == 4


def test_offline_handles_parts_and_empty_messages():
    parts = [{"type": "text", "text": "look at this"}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    text, _ = collect(offline().stream(ChatRequest("offline", "", [{"role": "user", "content": parts}]),
                                       threading.Event()))
    assert "> look at this" in text
    empty, _ = collect(offline().stream(ChatRequest("offline", "", []), threading.Event()))
    assert "empty" in empty


def test_offline_honours_cancel():
    cancel = threading.Event()
    seen = []
    for event in offline().stream(REQUEST, cancel):
        seen.append(event)
        cancel.set()
    assert len(seen) == 1


def test_importing_providers_and_offline_streaming_never_load_httpx():
    code = (
        "import sys, threading\n"
        "from smelt_repl.providers import *\n"
        "p = make_provider(resolve_model(None, None, {}), env={})\n"
        "list(p.stream(ChatRequest('offline', '', [{'role': 'user', 'content': 'hi'}]), threading.Event()))\n"
        "print('httpx' in sys.modules, 'socket' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_sse_parser_rules():
    lines = [
        ": comment", "event: message_start", 'data: {"a":', 'data: 1}', "",
        "data:no-space\r", "\r", "", "id: 7", "retry: 10", "data: [DONE]",
    ]
    assert list(parse_sse(lines)) == [
        SseEvent("message_start", '{"a":\n1}'),
        SseEvent(None, "no-space"),
        SseEvent(None, "[DONE]", complete=False),
    ]



def test_the_setup_help_comes_once_per_conversation(app):
    first, second = app.send("hello").reply, app.send("and again").reply
    assert "To talk to a real model:" in first and "OPENAI_API_KEY" in first
    assert "To talk to a real model:" not in second and "OPENAI_API_KEY" not in second
    assert second.startswith("**Offline mode.**") and "> and again" in second
    assert [m["content"] for m in app.session.messages if m["role"] == "assistant"] == [first, second]
