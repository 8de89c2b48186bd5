"""ProviderPool and cancel-as-hang-up, against a real loopback HTTP server.

The server counts the TCP connections it accepts and sees end, so keep-alive, closing and
hanging up are checked where they show: on the wire. Nothing here sleeps for a fixed time;
a provider thread that does not end in time fails the test (join with a timeout).
"""

from __future__ import annotations

import threading
import time

import pytest

from smelt_repl.providers import (
    CancelToken,
    ChatRequest,
    Done,
    ProviderError,
    ProviderPool,
    TextDelta,
    resolve_model,
)
from smelt_repl.providers.transport import DRAIN_S
from tests.conftest_providers import collect, loop_model

HELLO = ChatRequest(model="loop-model", system="", messages=[{"role": "user", "content": "hi"}])
KINDS = ["openai-compatible", "anthropic"]
PROMPT_S = 1.0  # "at once": far below the 5 s read timeout of provider_server.provider_spec


class Streaming:
    """A provider's stream drained on a thread, as the engine does it."""

    def __init__(self, provider, cancel) -> None:
        self.events: list = []
        self.error: BaseException | None = None
        self.first_delta = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(provider, cancel), daemon=True)
        self._thread.start()

    def _run(self, provider, cancel) -> None:
        try:
            for event in provider.stream(HELLO, cancel):
                self.events.append(event)
                if isinstance(event, TextDelta):
                    self.first_delta.set()
        except BaseException as exc:  # handed to the test
            self.error = exc

    def ended_within(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()


def reply(pool: ProviderPool, model) -> str:
    text, events = collect(pool.get(model).stream(HELLO, CancelToken()))
    assert events[-1].__class__ is Done
    return text


@pytest.mark.parametrize("kind", KINDS)
def test_calls_through_one_pool_share_one_provider_and_one_connection(provider_server, provider_pool, kind):
    model = loop_model(provider_server, kind)
    provider_server.script(text="first")
    assert reply(provider_pool, model) == "first"
    provider_server.script(text="second")
    assert reply(provider_pool, model) == "second"
    assert provider_pool.get(model) is provider_pool.get(loop_model(provider_server, kind, model="other"))
    assert len(provider_server.requests) == 2
    assert provider_server.connections_opened == 1  # HTTP keep-alive
    assert provider_server.connections_closed == 0


def test_another_api_base_gets_its_own_provider_and_client(provider_server, provider_pool):
    # Both bases reach the same host and port: one shared client would use one connection.
    with_v1 = loop_model(provider_server, api_base=provider_server.openai_base)
    without = loop_model(provider_server, api_base=provider_server.base_url)
    assert provider_pool.get(with_v1) is not provider_pool.get(without)
    assert reply(provider_pool, with_v1) == reply(provider_pool, without)
    assert [r.path for r in provider_server.requests] == ["/v1/chat/completions", "/chat/completions"]
    assert provider_server.connections_opened == 2


def test_close_ends_the_connections_and_refuses_later_calls(provider_server):
    pool = ProviderPool(env={})
    model = loop_model(provider_server, "anthropic")
    provider = pool.get(model)
    reply(pool, model)
    assert provider_server.connections_closed == 0  # kept alive for the next turn
    pool.close()
    assert provider_server.wait_for(lambda: provider_server.connections_closed == 1)
    assert provider.closed
    with pytest.raises(ProviderError, match="provider closed"):
        list(provider.stream(HELLO, CancelToken()))
    with pytest.raises(ProviderError, match="pool closed"):
        pool.get(model)
    pool.close()  # twice is fine
    assert len(provider_server.requests) == 1
    assert provider_server.connections_opened == 1


def test_close_cuts_a_call_still_waiting_on_a_silent_server(provider_server):
    pool = ProviderPool(env={})
    provider_server.script(fault="stall")
    streaming = Streaming(pool.get(loop_model(provider_server)), CancelToken())
    assert streaming.first_delta.wait(2.0)
    pool.close()
    assert streaming.ended_within(PROMPT_S)
    assert isinstance(streaming.error, ProviderError)
    assert str(streaming.error) == "loop: stream cut mid-reply"


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_ends_a_stalled_stream_at_once_and_quietly(provider_server, provider_pool, kind):
    provider_server.script(text="one two three", fault="stall")
    cancel = CancelToken()
    streaming = Streaming(provider_pool.get(loop_model(provider_server, kind)), cancel)
    assert streaming.first_delta.wait(2.0)
    started = time.monotonic()
    cancel.set()
    assert streaming.ended_within(2.0), "the provider thread is still blocked in a read"
    assert time.monotonic() - started < PROMPT_S
    assert streaming.error is None
    assert [e for e in streaming.events if isinstance(e, TextDelta)] == [TextDelta("one ")]
    assert not any(isinstance(e, Done) for e in streaming.events)
    assert provider_server.wait_for(lambda: provider_server.connections_closed == 1)  # hung up


@pytest.mark.parametrize("reused", [False, True], ids=["new-connection", "kept-alive-connection"])
@pytest.mark.parametrize("kind", KINDS)
def test_cancel_while_waiting_for_headers_ends_at_once(provider_server, provider_pool, kind, reused):
    model = loop_model(provider_server, kind)
    if reused:
        reply(provider_pool, model)
    provider_server.script(fault="hang")
    cancel = CancelToken()
    streaming = Streaming(provider_pool.get(model), cancel)
    asked = 1 + reused
    assert provider_server.wait_for(lambda: len(provider_server.requests) == asked)
    assert provider_server.connections_opened == 1
    started = time.monotonic()
    cancel.set()
    assert streaming.ended_within(2.0), "the provider thread is still waiting for headers"
    assert time.monotonic() - started < PROMPT_S
    assert streaming.error is None and streaming.events == []
    assert provider_server.wait_for(lambda: provider_server.connections_closed == 1)


@pytest.mark.parametrize("fault", ["stall", "hang"])
def test_the_pool_serves_the_next_call_after_a_cancelled_one(provider_server, provider_pool, fault):
    model = loop_model(provider_server)
    provider = provider_pool.get(model)
    provider_server.script(fault=fault)
    cancel = CancelToken()
    streaming = Streaming(provider, cancel)
    assert provider_server.wait_for(lambda: len(provider_server.requests) == 1)
    cancel.set()
    assert streaming.ended_within(2.0)
    provider_server.script(text="next turn")
    assert reply(provider_pool, model) == "next turn"
    assert provider_pool.get(model) is provider  # the same provider and client, still open
    assert provider_server.connections_opened == 2  # the hung-up connection was not reused


class BackoffWatch(CancelToken):
    """A real CancelToken that also says when the retry loop starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_cancel_cuts_the_retry_backoff_wait(provider_server, provider_pool):
    provider_server.script(fault=503, fault_times=99)
    cancel = BackoffWatch()
    streaming = Streaming(provider_pool.get(loop_model(provider_server, retry_backoff=30)), cancel)
    assert cancel.waiting.wait(2.0), "no backoff wait on the cancel token"
    cancel.set()
    assert streaming.ended_within(2.0), "still waiting out the 30 s backoff"
    assert streaming.error is None and streaming.events == []
    assert len(provider_server.requests) == 1


def test_a_plain_event_still_cancels_between_pieces(provider_server, provider_pool):
    provider_server.script(text=" ".join(["word"] * 40), delay=0.02)
    cancel = threading.Event()
    streaming = Streaming(provider_pool.get(loop_model(provider_server)), cancel)
    assert streaming.first_delta.wait(2.0)
    cancel.set()
    assert streaming.ended_within(2.0)
    assert streaming.error is None
    assert not any(isinstance(e, Done) for e in streaming.events)


def test_a_body_left_open_after_the_reply_costs_at_most_the_drain_time(provider_server, provider_pool):
    model = loop_model(provider_server)
    provider_server.script(text="complete reply", fault="linger")
    started = time.monotonic()
    assert reply(provider_pool, model) == "complete reply"
    assert time.monotonic() - started < DRAIN_S + PROMPT_S
    assert provider_server.wait_for(lambda: provider_server.connections_closed == 1)  # not reused
    provider_server.script(text="fine")
    assert reply(provider_pool, model) == "fine"


def test_keys_are_read_per_get_and_a_changed_key_or_spec_replaces_the_provider(provider_server):
    env: dict[str, str] = {}
    pool = ProviderPool(env=env)
    model = loop_model(provider_server, api_key_env="LOOP_KEY")
    with pytest.raises(ProviderError, match="LOOP_KEY is not set"):
        pool.get(model)
    env["LOOP_KEY"] = "sk-one"
    first = pool.get(model)
    reply(pool, model)
    assert provider_server.requests[-1].headers["authorization"] == "Bearer sk-one"
    env["LOOP_KEY"] = "sk-two"
    second = pool.get(model)
    assert second is not first and first.closed and not second.closed
    reply(pool, model)
    assert provider_server.requests[-1].headers["authorization"] == "Bearer sk-two"
    third = pool.get(loop_model(provider_server, api_key_env="LOOP_KEY", headers={"X-New": "1"}))
    assert third is not second and second.closed
    pool.close()
    assert third.closed


def test_offline_and_keyless_api_base_models():
    pool = ProviderPool(env={})
    offline = resolve_model(None, None, {})
    assert pool.get(offline) is pool.get(offline)
    local = resolve_model("openai/some-model", "http://127.0.0.1:9/v1", {})  # key optional
    assert pool.get(local) is pool.get(local)
    with pytest.raises(ProviderError, match="OPENAI_API_KEY is not set"):
        pool.get(resolve_model("openai/gpt-4o-mini", None, {}))
    pool.close()
