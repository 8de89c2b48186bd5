"""The Anthropic Messages streaming protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .anthropic_format import request_body
from .base import ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport
from .errors import stream_error
from .http_provider import HttpProvider, effort_of
from .spec import ModelConfig
from .sse import parse_sse
from .transport import Cancel
from .usage_counts import sane_counts

API_VERSION = "2023-06-01"
CHARS_PER_TOKEN = 4  # reasoning tokens are estimated from the thinking text's length
_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


class AnthropicProvider(HttpProvider):
    """Streams `POST {api_base}/v1/messages`; usage reported at message_start and message_delta."""

    path = "/v1/messages"
    models_path = "/v1/models?limit=1000"

    def _headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION, **self.spec.headers}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def _body(self, request: ChatRequest, config: ModelConfig) -> dict:
        effort = effort_of(self.name, request, config)
        budget = config.thinking_budget(effort) if effort else None
        # No sampling settings: the Messages API's request type has none (tests/interop).
        return request_body(request, budget, caching=self.spec.prompt_caching)

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
        # Anthropic usage is cumulative: message_start gives the input (billed even if the
        # reply is cancelled or cut, so it is reported at once), message_delta the totals.
        state = _StreamState(self.name)
        seen_data = False
        for sse in parse_sse(lines):
            if cancel.is_set():
                return
            data = self._json_object(sse.data, sse.complete)
            seen_data = True
            kind = data.get("type") or sse.event
            if kind == "error":
                raise stream_error(self.name, data)
            yield from state.feed(kind, data)
            if kind == "message_stop":
                return
        if cancel.is_set():
            return
        raise ProviderError(self.name, "stream cut mid-reply" if seen_data else
                            "stream ended without any data (is api_base an Anthropic server?)")

    def _whole_reply(self, data: dict) -> Iterator[StreamEvent]:
        """A `message` object (a server that ignored `stream: true`) as events."""
        content = data.get("content")
        if data.get("type") != "message" or not isinstance(content, list):
            raise ProviderError(self.name, "reply is not a message (is api_base an Anthropic server?)")
        state = _StreamState(self.name)
        for block in content:
            if isinstance(block, dict):
                yield from state.block_events(block)
        state.merge_usage(data.get("usage"))
        yield state.usage_report()
        yield Done(data.get("stop_reason"))


@dataclass
class _StreamState:
    """What one reply has said so far: usage counts, stop reason, the open thinking block."""

    provider: str
    usage: dict | None = None
    stop_reason: str | None = None
    reasoning_chars: int = 0
    signature: str = ""

    def feed(self, kind: str | None, data: dict) -> Iterator[StreamEvent]:
        """The events of one streamed event."""
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            yield from self.block_events(block, closed=False)
        elif kind == "content_block_delta":
            yield from self._delta_events(data.get("delta") or {})
        elif kind == "content_block_stop" and self.signature:
            yield ReasoningDelta("", signature=self.signature)
            self.signature = ""
        elif kind in ("message_start", "message_delta"):
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
            raw = (data.get("message") or {}).get("usage") if kind == "message_start" else data.get("usage")
            if self.merge_usage(raw):
                yield self.usage_report()
        elif kind == "message_stop":
            if self.usage is None:
                yield self.usage_report()
            yield Done(self.stop_reason)

    def block_events(self, block: dict, closed: bool = True) -> Iterator[StreamEvent]:
        """A content block's own text (whole in a JSON reply, usually empty at a block start)."""
        kind = block.get("type")
        if kind == "thinking":
            yield from self._reasoning(block.get("thinking"))
            self.signature = block.get("signature") or ""
            if closed and self.signature:
                yield ReasoningDelta("", signature=self.signature)
                self.signature = ""
        elif kind == "text" and block.get("text"):
            yield TextDelta(block["text"])

    def _delta_events(self, delta: dict) -> Iterator[StreamEvent]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            yield TextDelta(delta["text"])
        elif kind == "thinking_delta":
            yield from self._reasoning(delta.get("thinking"))
        elif kind == "signature_delta":
            self.signature += delta.get("signature") or ""
        # tool-input JSON: not shown

    def _reasoning(self, text: object) -> Iterator[StreamEvent]:
        if isinstance(text, str) and text:
            self.reasoning_chars += len(text)
            yield ReasoningDelta(text)

    def merge_usage(self, raw: object) -> bool:
        """Fold an event's usage counts in; True when it stated any."""
        if not isinstance(raw, dict):
            return False
        counts = sane_counts(self.provider, {k: raw.get(k) for k in _USAGE_KEYS})
        self.usage = {**(self.usage or {}), **counts}
        return bool(counts)

    def usage_report(self) -> UsageReport:
        usage = usage_from(self.usage or {})
        if not self.reasoning_chars:
            return UsageReport(usage)
        usage.reasoning = min(usage.output, -(-self.reasoning_chars // CHARS_PER_TOKEN))
        return UsageReport(usage, reasoning_estimated=True)


def usage_from(raw: dict) -> Usage:
    """Map Anthropic usage (input excludes cached tokens) onto `Usage`; `raw` holds checked counts."""
    usage = Usage(
        input=raw.get("input_tokens", 0),
        output=raw.get("output_tokens", 0),
        cache_read=raw.get("cache_read_input_tokens", 0),
        cache_write=raw.get("cache_creation_input_tokens", 0),
    )
    usage.context_tokens = usage.input + usage.cache_read + usage.cache_write
    return usage
