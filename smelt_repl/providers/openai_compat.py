"""The OpenAI chat-completions streaming protocol (OpenAI, Ollama, vLLM, llama.cpp, LM Studio...)."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

from .base import ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport
from .sse import parse_sse
from .transport import Cancel, HttpProvider, error_message


class OpenAICompatibleProvider(HttpProvider):
    """Streams `POST {api_base}/chat/completions` with usage in the final chunk."""

    path = "/chat/completions"

    def _headers(self) -> dict[str, str]:
        headers = dict(self.spec.headers)
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def _body(self, request: ChatRequest) -> dict:
        return request_body(request, self.spec.api_base or "")

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
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
        chunk = self._json_object(data, complete)
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
