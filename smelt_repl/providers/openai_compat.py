"""The OpenAI chat-completions streaming protocol (OpenAI, Ollama, vLLM, llama.cpp, LM Studio...)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator
from urllib.parse import urlsplit

import orjson

from smelt_repl.session_core.jsonl import to_json

from .base import ChatRequest, Done, ProviderError, ReasoningDelta, StreamEvent, TextDelta, Usage, UsageReport
from .chunk_shape import ChunkShape
from .errors import stream_error
from .http_provider import HttpProvider, effort_of
from .request_json import MessagesJson
from .spec import ModelConfig, ProviderSpec
from .sse import SseReader
from .transport import Cancel
from .usage_counts import sane_counts

# Keys our own records add to a message (the engine may pass them on); no OpenAI server
# takes them back, and DeepSeek refuses `reasoning_content` in a request.
_OWN_MESSAGE_KEYS = ("reasoning_content", "reasoning_signature")


class OpenAICompatibleProvider(HttpProvider):
    """Streams `POST {api_base}/chat/completions` with usage in the final chunk."""

    path = "/chat/completions"
    models_path = "/models"

    def _headers(self) -> dict[str, str]:
        headers = dict(self.spec.headers)
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def __init__(self, spec: ProviderSpec, api_key: str | None = None) -> None:
        super().__init__(spec, api_key)
        self._messages_json = MessagesJson(lambda message: to_json(_without_own_keys(message)))

    def _body(self, request: ChatRequest, config: ModelConfig) -> dict:
        body = request_body(request, self.spec.api_base or "", effort_of(self.name, request, config))
        return {**body, **config.sampling()}

    def _payload(self, request: ChatRequest, config: ModelConfig) -> list[bytes]:
        """`_body` as JSON, its messages encoded once each across the turns of a session."""
        fields = self._body(replace(request, system="", messages=[]), config)
        del fields["messages"]
        system = [{"role": "system", "content": request.system}] if request.system else []
        return self._messages_json.body(fields, request.messages, system)

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
        return self._batch_events(([line] for line in lines), cancel)

    def _batch_events(self, batches: Iterator[list[str]], cancel: Cancel) -> Iterator[StreamEvent]:
        # A fast server's socket read holds hundreds of one-token chunks: each read's run of
        # text comes out as one TextDelta, so nothing downstream works per token.
        reply = _Reply()
        reader = SseReader()
        for batch in batches:
            if cancel.is_set():
                return
            yield from self._read(reader.feed(batch), reply, True)
            if reply.done:
                return
        tail = reader.end()
        if tail is not None and not cancel.is_set():
            yield from self._read([tail], reply, False)
        if cancel.is_set() or reply.done:
            return
        if reply.finish is not None:
            # Some servers close without "[DONE]"; a finish_reason already ended the reply.
            yield Done(reply.finish)
            return
        raise ProviderError(self.name, "stream cut mid-reply" if reply.seen_data else
                            "stream ended without any data (is api_base an OpenAI-compatible server?)")

    def _read(self, records: list[tuple[str | None, str]], reply: _Reply, complete: bool) -> Iterator[StreamEvent]:
        """The events of some SSE records, each run of text joined into one delta; the
        events before a failing record come out before its error."""
        events: list[StreamEvent] = []
        texts: list[str] = []
        try:
            shape = reply.shape
            for _, data in records:
                piece = shape.text(data)  # the usual record, read without decoding it
                if piece is not None:
                    texts.append(piece)
                    continue
                chunk = _usual_chunk(data)
                piece = _plain_text(chunk) if chunk is not None else None
                if piece is not None:
                    shape.learn(data, chunk, piece)
                    texts.append(piece)
                    continue
                _flush(texts, events)
                events += self._record_events(data, chunk, reply, complete)
                if reply.done:
                    break
        except ProviderError:
            _flush(texts, events)
            yield from events
            raise
        _flush(texts, events)
        reply.seen_data = reply.seen_data or bool(records)
        yield from events

    def _record_events(self, data: str, chunk: dict | None, reply: _Reply, complete: bool) -> list[StreamEvent]:
        """The events of any record but a plain text chunk: [DONE], a finish, usage, reasoning."""
        if chunk is None:
            if data.strip() == "[DONE]":
                reply.done = True
                return [Done(reply.finish)]
            chunk = self._json_object(data, complete)
        if chunk.get("error"):
            raise stream_error(self.name, chunk, "server error mid-reply: ")
        events, reason = _chunk_events(chunk)
        reply.finish = reason or reply.finish
        if "usage" in chunk:
            # Usage is reported on arrival (cumulative), so a stream cut or failing after
            # the usage chunk, or a cancel, still leaves it with the caller.
            latest = self._usage_of(chunk)
            if latest is not None and latest != reply.usage:
                reply.usage = latest
                events.append(UsageReport(latest))
        return events

    def _whole_reply(self, data: dict) -> Iterator[StreamEvent]:
        """A `chat.completion` object (a server that ignored `stream: true`) as events."""
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ProviderError(self.name, "reply without choices (is api_base an OpenAI-compatible server?)")
        choice = choices[0]
        message = choice.get("message") or choice.get("delta") or {}
        yield from _message_events(message if isinstance(message, dict) else {})
        usage = self._usage_of(data)
        if usage is not None:
            yield UsageReport(usage)
        yield Done(choice.get("finish_reason"))

    def _usage_of(self, data: dict) -> Usage | None:
        raw = data.get("usage")
        return usage_from(raw, self.name) if isinstance(raw, dict) and raw else None


def request_body(request: ChatRequest, api_base: str, reasoning_effort: str | None = None) -> dict:
    """The JSON body for a streamed chat completion; messages pass through as given, less
    the keys our own records add."""
    messages = [_without_own_keys(m) for m in request.messages]
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
    if reasoning_effort is not None:
        body["reasoning_effort"] = reasoning_effort
    return body


def usage_from(raw: dict, provider: str = "openai") -> Usage:
    """Map OpenAI usage (prompt tokens include cached ones) onto `Usage`; counts that are
    not believable are dropped (see `usage_counts`)."""
    prompt_details = raw.get("prompt_tokens_details")
    output_details = raw.get("completion_tokens_details")
    counts = sane_counts(provider, {
        "prompt_tokens": raw.get("prompt_tokens"),
        "completion_tokens": raw.get("completion_tokens"),
        "cached_tokens": prompt_details.get("cached_tokens") if isinstance(prompt_details, dict) else None,
        "reasoning_tokens": output_details.get("reasoning_tokens") if isinstance(output_details, dict) else None,
    })
    prompt = counts.get("prompt_tokens")
    cached = min(counts.get("cached_tokens", 0), prompt if prompt is not None else 0)
    return Usage(
        input=(prompt or 0) - cached,
        output=counts.get("completion_tokens", 0),
        cache_read=cached,
        reasoning=counts.get("reasoning_tokens", 0),
        context_tokens=prompt,
    )


class _Reply:
    """What one streamed reply said so far, beyond its events."""

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.finish: str | None = None
        self.seen_data = False
        self.done = False  # [DONE] came
        self.shape = ChunkShape()  # its usual text chunk, read without a JSON decoder once learnt


def _usual_chunk(data: str) -> dict | None:
    """The object of an ordinary data record, decoded by orjson; None for anything else
    ([DONE], usage, a malformed record or one orjson refuses: see `http_provider._loads`)."""
    if data[:1] != "{" or '"usage"' in data:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _plain_text(chunk: dict) -> str | None:
    """The text of the usual chunk (a content delta of the first choice, nothing else), or
    None for any other chunk."""
    choices = chunk.get("choices")
    if type(choices) is not list or not choices or "usage" in chunk or chunk.get("error"):
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("finish_reason"):
        return None
    delta = choice.get("delta")
    if type(delta) is not dict or "reasoning_content" in delta or "reasoning" in delta:
        return None
    content = delta.get("content")
    return content if type(content) is str else ""


def _flush(texts: list[str], events: list[StreamEvent]) -> None:
    """The text pieces gathered so far, as one delta at the end of ``events`` (emptied)."""
    if texts:
        text = "".join(texts)
        if text:
            events.append(TextDelta(text))
        texts.clear()


def _chunk_events(chunk: dict) -> tuple[list[StreamEvent], str | None]:
    """The events of one chunk and its finish_reason; only the first choice is read."""
    choices = chunk.get("choices")
    if not choices or not isinstance(choices[0], dict):
        return [], None
    choice = choices[0]
    delta = choice.get("delta")
    return _message_events(delta) if isinstance(delta, dict) and delta else [], choice.get("finish_reason") or None


def _message_events(message: dict) -> list[StreamEvent]:
    """Reasoning (`reasoning_content`: DeepSeek, vLLM; `reasoning`: OpenRouter, Ollama), then text."""
    content = message.get("content")
    if "reasoning_content" not in message and "reasoning" not in message:  # the usual delta
        return [TextDelta(content)] if isinstance(content, str) and content else []
    events: list[StreamEvent] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        events.append(ReasoningDelta(reasoning))
    if isinstance(content, str) and content:
        events.append(TextDelta(content))
    return events


def _without_own_keys(message: dict) -> dict:
    if not any(key in message for key in _OWN_MESSAGE_KEYS):
        return message
    return {k: v for k, v in message.items() if k not in _OWN_MESSAGE_KEYS}
