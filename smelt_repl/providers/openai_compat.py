"""The OpenAI chat-completions streaming protocol (OpenAI, Ollama, vLLM, llama.cpp, LM Studio...)."""

from __future__ import annotations

import json
import threading
from typing import Iterator
from urllib.parse import urlsplit

from .base import (
    ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport,
)
from .spec import ProviderSpec
from .sse import parse_sse
from .transport import HttpTransport, error_message, with_retries


class OpenAICompatibleProvider:
    """Streams `POST {api_base}/chat/completions` with usage in the final chunk."""

    def __init__(self, spec: ProviderSpec, api_key: str | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self._api_key = api_key
        self._http = HttpTransport(spec)

    def stream(self, request: ChatRequest, cancel: threading.Event) -> Iterator[StreamEvent]:
        """Stream the reply to `request`; see `Provider.stream`."""
        url = f"{self.spec.api_base}/chat/completions"
        headers = dict(self.spec.headers)
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        body = request_body(request, self.spec.api_base or "")

        def attempt() -> Iterator[StreamEvent]:
            lines = self._http.stream_lines(url, headers, body, cancel, request.model)
            return self._events(lines, cancel)

        return with_retries(self.spec, attempt, cancel)

    def _events(self, lines: Iterator[str], cancel: threading.Event) -> Iterator[StreamEvent]:
        usage: Usage | None = None
        finish: str | None = None
        seen_data = False
        for sse in parse_sse(lines):
            if cancel.is_set():
                return
            if sse.data.strip() == "[DONE]":
                yield Done(finish)
                return
            chunk = self._decode(sse.data, sse.complete)
            seen_data = True
            for event, reason in _chunk_events(chunk):
                finish = reason or finish
                if event is not None:
                    yield event
            if isinstance(chunk.get("usage"), dict) and chunk["usage"]:
                # Reported on arrival (cumulative), so a stream cut or failing after the
                # usage chunk, or a cancel, still leaves it with the caller.
                latest = usage_from(chunk["usage"])
                if latest != usage:
                    usage = latest
                    yield UsageReport(usage)
        if cancel.is_set():
            return
        if finish is not None:
            # Some servers close without "[DONE]"; a finish_reason already ended the reply.
            yield Done(finish)
            return
        raise ProviderError(self.name, "stream cut mid-reply" if seen_data else
                            "stream ended without any data (is api_base an OpenAI-compatible server?)")

    def _decode(self, data: str, complete: bool) -> dict:
        try:
            chunk = json.loads(data)
        except ValueError:
            if not complete:
                raise ProviderError(self.name, "stream cut mid-reply") from None
            raise ProviderError(self.name, f"malformed stream: invalid JSON in data line {data[:60]!r}") from None
        if not isinstance(chunk, dict):
            raise ProviderError(self.name, f"malformed stream: expected a JSON object, got {data[:60]!r}")
        if chunk.get("error"):
            raise ProviderError(self.name, f"server error mid-reply: {error_message(chunk) or 'unknown'}")
        return chunk


def request_body(request: ChatRequest, api_base: str) -> dict:
    """The JSON body for a streamed chat completion; messages pass through as given."""
    messages = list(request.messages)
    if request.system:
        messages.insert(0, {"role": "system", "content": request.system})
    body: dict = {
        "model": request.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.max_tokens is not None:
        # OpenAI's own API refuses max_tokens for reasoning models; other servers
        # (Ollama, vLLM, llama.cpp) know only max_tokens.
        official = urlsplit(api_base).hostname == "api.openai.com"
        body["max_completion_tokens" if official else "max_tokens"] = request.max_tokens
    return body


def usage_from(raw: dict) -> Usage:
    """Map OpenAI usage (prompt tokens include cached ones) onto `Usage`."""
    prompt = int(raw.get("prompt_tokens") or 0)
    cached = int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    reasoning = int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0)
    return Usage(
        input=prompt - cached,
        output=int(raw.get("completion_tokens") or 0),
        cache_read=cached,
        reasoning=reasoning,
        context_tokens=prompt,
    )


def _chunk_events(chunk: dict) -> Iterator[tuple[StreamEvent | None, str | None]]:
    """(event, finish_reason) pairs of one chunk; only the first choice is read."""
    choices = chunk.get("choices") or []
    if not choices:
        return
    choice = choices[0]
    delta = choice.get("delta") or {}
    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        yield ReasoningDelta(reasoning), None
    content = delta.get("content")
    if isinstance(content, str) and content:
        yield TextDelta(content), None
    if choice.get("finish_reason"):
        yield None, choice["finish_reason"]
