"""Bounds on what a server can make a provider do: endless lines, endless trickles."""

from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from smelt_repl.providers import ChatRequest, ProviderError
from smelt_repl.providers.lines import MAX_LINE_BYTES, BodyTooLarge, bounded_body, bounded_lines
from tests.conftest_providers import collect, loop_provider

HELLO = ChatRequest(model="loop-model", system="", messages=[{"role": "user", "content": "hi"}])
MiB = 1024 * 1024


def stream(provider, request=HELLO):
    return provider.stream(request, threading.Event())


@pytest.mark.parametrize("kind", ["openai-compatible", "anthropic"])
def test_a_line_over_16_mib_fails_with_one_line_and_bounded_memory(provider_server, kind):
    provider_server.script(fault="long_line", line_bytes=50 * MiB)
    provider = loop_provider(provider_server, kind)
    tracemalloc.start()
    try:
        with pytest.raises(ProviderError) as info:
            collect(stream(provider))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(info.value) == ("loop: a line of the stream over 16 MiB: reply abandoned "
                               "(is api_base a streaming chat API?)")
    assert peak < 3 * MAX_LINE_BYTES  # the 50 MiB line is never held whole
    assert len(provider_server.requests) == 1  # not retried


@pytest.mark.parametrize("kind", ["openai-compatible", "anthropic"])
def test_a_stream_that_trickles_forever_ends_at_the_deadline(provider_server, kind):
    provider_server.script(fault="trickle")
    provider = loop_provider(provider_server, kind, deadline=0.3, timeout=5)
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        collect(stream(provider))
    assert str(info.value) == "loop: reply not finished after 0.3 s (the provider's deadline)"
    assert 0.3 <= time.monotonic() - started < 2.0
    assert len(provider_server.requests) == 1


def test_no_retry_is_started_after_the_deadline(provider_server):
    provider_server.script(fault=503, fault_times=99)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"^loop: HTTP 503 server error .*\(after 2 retries\)$"):
        collect(stream(loop_provider(provider_server, deadline=0.5, retry_backoff=0.1, max_retries=9)))
    assert time.monotonic() - started < 0.5  # waits 0.1 + 0.2; a third (0.4) would pass the deadline
    assert len(provider_server.requests) == 3


def test_the_deadline_is_a_spec_setting_with_a_default():
    from smelt_repl.providers import parse_provider_spec

    assert parse_provider_spec("x", {"api_base": "http://h"}).deadline_s == 600
    assert parse_provider_spec("x", {"api_base": "http://h", "deadline": 90}).deadline_s == 90
    with pytest.raises(ValueError, match="deadline must be a number > 0"):
        parse_provider_spec("x", {"api_base": "http://h", "deadline": 0})


@pytest.mark.parametrize("chunks, lines", [
    ([b"a\nb\r\nc\rd", b"\r", b"\ne\n\n", b"f"], ["a", "b", "c", "d", "e", "", "f"]),
    ([b"ab", b"c\r", b"\r\n", b"x"], ["abc", "", "x"]),  # a CR split from its LF, then CRLF
    ([b"caf\xc3", b"\xa9\n"], ["caf\u00e9"]),  # a character split across chunks
])
def test_bounded_lines_split_like_sse(chunks, lines):
    assert list(bounded_lines(chunks)) == lines


def test_bounded_readers_stop_at_their_limit():
    with pytest.raises(BodyTooLarge, match="a line of the stream over"):
        list(bounded_lines([b"ok\n"] + [b"x" * 100] * 10, limit=500))
    assert list(bounded_lines([b"x" * 100 + b"\n"] * 10, limit=500)) == ["x" * 100] * 10
    with pytest.raises(BodyTooLarge, match="the reply body over"):
        bounded_body([b"x" * 100] * 10, limit=500)
