"""The Anthropic Messages streaming protocol."""

from __future__ import annotations

import json
import threading
from typing import Iterator

from .anthropic_format import request_body
from .base import (
    ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport,
)
from .spec import ProviderSpec
from .sse import SseEvent, parse_sse
from .transport import HttpTransport, error_message, with_retries

API_VERSION = "2023-06-01"
_RETRYABLE_ERRORS = {"overloaded_error", "api_error", "rate_limit_error"}


class AnthropicProvider:
    """Streams `POST {api_base}/v1/messages`; usage reported at message_start and message_delta."""

    def __init__(self, spec: ProviderSpec, api_key: str | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self._api_key = api_key
        self._http = HttpTransport(spec)

    def stream(self, request: ChatRequest, cancel: threading.Event) -> Iterator[StreamEvent]:
        """Stream the reply to `request`; see `Provider.stream`."""
        url = f"{self.spec.api_base}/v1/messages"
        headers = {"anthropic-version": API_VERSION, **self.spec.headers}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        body = request_body(request)

        def attempt() -> Iterator[StreamEvent]:
            lines = self._http.stream_lines(url, headers, body, cancel, request.model)
            return self._events(lines, cancel)

        return with_retries(self.spec, attempt, cancel)

    def _events(self, lines: Iterator[str], cancel: threading.Event) -> Iterator[StreamEvent]:
        # Anthropic usage is cumulative: message_start gives the input (billed even if the
        # reply is cancelled or cut, so it is reported at once), message_delta the totals.
        usage: dict = {}
        reported = False
        stop_reason: str | None = None
        seen_data = False
        for sse in parse_sse(lines):
            if cancel.is_set():
                return
            data = self._decode(sse)
            seen_data = True
            kind = data.get("type") or sse.event
            if kind == "content_block_delta":
                event = _delta_event(data.get("delta") or {})
                if event is not None:
                    yield event
            elif kind == "message_start":
                raw = (data.get("message") or {}).get("usage")
                if isinstance(raw, dict) and raw:
                    usage.update(_known(raw))
                    reported = True
                    yield UsageReport(usage_from(usage))
            elif kind == "message_delta":
                stop_reason = (data.get("delta") or {}).get("stop_reason") or stop_reason
                raw = data.get("usage")
                if isinstance(raw, dict) and raw:
                    usage.update(_known(raw))
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

    def _decode(self, sse: SseEvent) -> dict:
        try:
            data = json.loads(sse.data)
        except ValueError:
            if not sse.complete:
                raise ProviderError(self.name, "stream cut mid-reply") from None
            raise ProviderError(
                self.name, f"malformed stream: invalid JSON in data line {sse.data[:60]!r}"
            ) from None
        if not isinstance(data, dict):
            raise ProviderError(self.name, f"malformed stream: expected a JSON object, got {sse.data[:60]!r}")
        return data

    def _stream_error(self, data: dict) -> ProviderError:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        kind = error.get("type") or "error"
        message = error_message(data) or "no details"
        return ProviderError(self.name, f"{kind}: {message}", retryable=kind in _RETRYABLE_ERRORS)


def _known(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if v is not None}


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


def _delta_event(delta: dict) -> StreamEvent | None:
    kind = delta.get("type")
    if kind == "text_delta" and delta.get("text"):
        return TextDelta(delta["text"])
    if kind == "thinking_delta" and delta.get("thinking"):
        return ReasoningDelta(delta["thinking"])
    return None  # tool-input JSON, signatures: not shown
