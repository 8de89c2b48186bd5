"""The provider protocol: a chat request in, a stream of small events out.

Every provider (OpenAI-compatible, Anthropic, offline) turns a `ChatRequest` into an
iterator of `TextDelta` / `ReasoningDelta` / `UsageReport` / `Done` events and raises
`ProviderError` on failure. The chat engine only ever sees these types. A server that
ignores `stream: true` and answers one JSON body gives the same events.

Usage may be reported several times per call, each `UsageReport` cumulative for the call
so far (the last one wins), so a cancelled or failed call still accounts for what the
server already billed (e.g. Anthropic's input tokens, known from the first event).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator, Protocol, Union

from smelt_repl.session_core.usage import Usage

from .cancel import CancelToken
from .redact import redact


@dataclass
class ChatRequest:
    """One model call: the model name as the API wants it, a system prompt and messages."""

    model: str
    system: str
    messages: list[dict]  # OpenAI chat format
    max_tokens: int | None = None
    # "low" / "medium" / "high" asks for reasoning, "off" asks for none; None: the model's
    # own `reasoning_effort` setting (ModelConfig).
    reasoning_effort: str | None = None


@dataclass
class TextDelta:
    """A piece of reply text, in arrival order."""

    text: str


@dataclass
class ReasoningDelta:
    """A piece of the model's visible reasoning ("thinking"), if the API streams it.

    `signature` is set (with empty text) on the event that ends an Anthropic thinking
    block: the server's signature of that block, which a later request must send back with
    the block's text if it replays the block (tool use). Store it with the reasoning.
    """

    text: str
    signature: str | None = None


@dataclass
class UsageReport:
    """Token usage of the call so far, cumulative: consumers keep the LAST one they saw.

    Sent zero or more times, anywhere before `Done`; a provider sends one as soon as the
    server states usage (Anthropic: at `message_start`, with the input tokens) and again
    when it changes, so a stream that is cancelled or cut still leaves the billed usage.

    `reasoning_estimated` is True when `usage.reasoning` is our estimate (the reasoning
    text's characters / 4) because the server gave no reasoning count (Anthropic).
    """

    usage: Usage
    reasoning_estimated: bool = False


@dataclass
class Done:
    """The reply is complete; `stop_reason` is the API's own word ("stop", "end_turn", ...)."""

    stop_reason: str | None = None


StreamEvent = Union[TextDelta, ReasoningDelta, UsageReport, Done]

TRUNCATED_STOP_REASONS = frozenset({"length", "max_tokens", "model_context_window_exceeded"})


def is_truncated(stop_reason: str | None) -> bool:
    """True when a `Done.stop_reason` says the reply was cut by the output token limit."""
    return stop_reason in TRUNCATED_STOP_REASONS


class ProviderError(Exception):
    """A model call failed; `str(e)` is one line naming the provider and the cause.

    `retryable` says a later attempt may succeed (HTTP 429/5xx, overload);
    `retry_after` is the server's requested wait in seconds, when it gave one.
    """

    def __init__(
        self,
        provider: str,
        cause: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.cause = redact(" ".join(cause.split()))  # always one line, never a bearer token
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(f"{provider}: {self.cause}")

    def redacted(self, *secrets: str | None) -> ProviderError:
        """This error with the `secrets` (API key values) struck out of its text."""
        return ProviderError(self.provider, redact(self.cause, secrets), retryable=self.retryable,
                             retry_after=self.retry_after)


class Provider(Protocol):
    """Anything that can stream a chat reply.

    `stream` yields events as they arrive and raises `ProviderError` on failure, possibly
    after some deltas. When `cancel` is set it ends quietly, without `Done`: at once for a
    `CancelToken` (a network provider hangs its call up, even one still waiting for the
    response headers), at the next piece of data (or the read timeout) for a plain Event.
    Network providers also have `close()` (see `ProviderPool`); the offline one may not.

    Usage known to the provider is yielded before it raises or stops: every `UsageReport`
    is cumulative for the whole `stream` call (retried attempts included), the last one
    wins, and the final one comes before `Done`.
    """

    name: str

    def stream(self, request: ChatRequest, cancel: CancelToken | threading.Event) -> Iterator[StreamEvent]:
        ...
