"""The Anthropic Messages streaming protocol."""

from __future__ import annotations

from typing import Iterator

from .anthropic_format import request_body
from .base import ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport
from .sse import parse_sse
from .transport import Cancel, HttpProvider, error_message

API_VERSION = "2023-06-01"
_RETRYABLE_ERRORS = {"overloaded_error", "api_error", "rate_limit_error"}


class AnthropicProvider(HttpProvider):
    """Streams `POST {api_base}/v1/messages`; usage reported at message_start and message_delta."""

    path = "/v1/messages"

    def _headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION, **self.spec.headers}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def _body(self, request: ChatRequest) -> dict:
        return request_body(request)

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
        # Anthropic usage is cumulative: message_start gives the input (billed even if the
        # reply is cancelled or cut, so it is reported at once), message_delta the totals.
        usage: dict = {}
        reported = False
        stop_reason: str | None = None
        seen_data = False
        for sse in parse_sse(lines):
            if cancel.is_set():
                return
            data = self._json_object(sse.data, sse.complete)
            seen_data = True
            kind = data.get("type") or sse.event
            if kind == "content_block_delta":
                yield from _delta_events(data.get("delta") or {})
            elif kind in ("message_start", "message_delta"):
                stop_reason = (data.get("delta") or {}).get("stop_reason") or stop_reason
                raw = _usage_of(kind, data)
                if raw:
                    usage.update(raw)
                    reported = True
                    yield UsageReport(usage_from(usage))
            elif kind == "message_stop":
                if not reported:
                    yield UsageReport(usage_from(usage))
                yield Done(stop_reason)
                return
            elif kind == "error":
                raise self._stream_error(data)
        if cancel.is_set():
            return
        raise ProviderError(self.name, "stream cut mid-reply" if seen_data else
                            "stream ended without any data (is api_base an Anthropic server?)")

    def _stream_error(self, data: dict) -> ProviderError:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        kind = error.get("type") or "error"
        message = error_message(data) or "no details"
        return ProviderError(self.name, f"{kind}: {message}", retryable=kind in _RETRYABLE_ERRORS)


def _usage_of(kind: str, data: dict) -> dict:
    """The usage counts an event states (None values dropped), or {}."""
    raw = (data.get("message") or {}).get("usage") if kind == "message_start" else data.get("usage")
    return {k: v for k, v in raw.items() if v is not None} if isinstance(raw, dict) else {}


def usage_from(raw: dict) -> Usage:
    """Map Anthropic usage (input excludes cached tokens) onto `Usage`."""
    usage = Usage(
        input=int(raw.get("input_tokens") or 0),
        output=int(raw.get("output_tokens") or 0),
        cache_read=int(raw.get("cache_read_input_tokens") or 0),
        cache_write=int(raw.get("cache_creation_input_tokens") or 0),
    )
    usage.context_tokens = usage.input + usage.cache_read + usage.cache_write
    return usage


def _delta_events(delta: dict) -> list[StreamEvent]:
    kind = delta.get("type")
    if kind == "text_delta" and delta.get("text"):
        return [TextDelta(delta["text"])]
    if kind == "thinking_delta" and delta.get("thinking"):
        return [ReasoningDelta(delta["thinking"])]
    return []  # tool-input JSON, signatures: not shown
