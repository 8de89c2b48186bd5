"""What the network providers share: spec, key, transport, retries, the overall deadline,
replies that come as one JSON body, key redaction, and listing the server's models."""

from __future__ import annotations

import json
import time
from contextlib import closing
from itertools import chain
from typing import Any, Iterator

import orjson

from smelt_repl.session_core.jsonl import to_json

from .base import ChatRequest, Done, ProviderError, StreamEvent
from .errors import stream_error
from .pricing import model_config
from .retries import with_retries
from .spec import REASONING_EFFORTS, ModelConfig, ProviderSpec
from .transport import Cancel, HttpTransport, Payload

_MAX_MODEL_PAGES = 20


class HttpProvider:
    """A network provider: one transport (one httpx client, kept alive across calls),
    retries, and `close()`.

    A protocol supplies `path` and `models_path` (after api_base), `_headers()`,
    `_body(request, config)`, `_events(lines, cancel)` (response lines into events) and
    `_whole_reply(data)` (the events of a reply that came as one JSON object); it may
    replace `_payload(request, config)` (the body's JSON bytes) to encode it faster, and
    `_batch_events(batches, cancel)` (lists of lines into events) to read a fast stream
    a socket read at a time rather than a line at a time.
    Every ProviderError leaving a provider has the API key's value struck out.
    """

    path = ""
    models_path = "/models"

    def __init__(self, spec: ProviderSpec, api_key: str | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self._api_key = api_key
        self._http = HttpTransport(spec)

    @property
    def closed(self) -> bool:
        """True once `close()` ran; a closed provider fails every call."""
        return self._http.closed

    def close(self) -> None:
        """Close the HTTP client (and cut any call still running); safe to call twice."""
        self._http.close()

    def stream(self, request: ChatRequest, cancel: Cancel) -> Iterator[StreamEvent]:
        """Stream the reply to `request`; see `Provider.stream`. The whole call, retries
        included, ends with a ProviderError at the spec's `deadline_s`."""
        url = f"{self.spec.api_base}{self.path}"
        headers = self._headers()
        body = self._payload(request, self.model_config(request.model))
        deadline_at = time.monotonic() + self.spec.deadline_s

        def attempt() -> Iterator[StreamEvent]:
            lines = self._http.stream_lines(url, headers, body, cancel, request.model, deadline_at)
            with closing(lines):
                for event in self._reply_events(lines, cancel):
                    if isinstance(event, Done):
                        lines.finish()  # keep the connection for the next call
                    yield event

        return self._redacting(with_retries(self.spec, attempt, cancel, deadline_at))

    def list_models(self) -> list[str]:
        """The model ids the server offers (GET `{api_base}{models_path}`, following pages)."""
        try:
            return self._model_ids(f"{self.spec.api_base}{self.models_path}")
        except ProviderError as exc:
            raise exc.redacted(self._api_key) from None

    def model_config(self, model: str) -> ModelConfig:
        """What the spec and the price table say of `model` (its reasoning setting, say)."""
        return model_config(self.spec, model)

    def _model_ids(self, url: str) -> list[str]:
        ids: list[str] = []
        query = ""
        for _ in range(_MAX_MODEL_PAGES):
            page = self._http.get_json(url + query, self._headers(),
                                       f"the server lists no models (HTTP 404 for GET {url})")
            entries = page.get("data", page.get("models")) if isinstance(page, dict) else page
            if not isinstance(entries, list):
                raise ProviderError(self.name, f"GET {url} did not answer a list of models")
            ids += [e for e in (_model_id(entry) for entry in entries) if e and e not in ids]
            if not (isinstance(page, dict) and page.get("has_more") and page.get("last_id")):
                break
            query = f"{'&' if '?' in url else '?'}after_id={page['last_id']}"
        return ids

    def _reply_events(self, lines: Any, cancel: Cancel) -> Iterator[StreamEvent]:
        """The events of a streamed reply, or of one that came as a single JSON body."""
        batches = lines.batches()
        first = next(batches, None)
        if lines.json_body is None:
            yield from self._batch_events(chain([] if first is None else [first], batches), cancel)
            return
        text = lines.json_body.decode("utf-8", "replace")
        if text.lstrip().startswith(("data:", "event:", ":")):  # an SSE stream labelled as JSON
            yield from self._events(iter(text.splitlines()), cancel)
            return
        data = self._json_object(text, True, what="reply")
        if data.get("error"):
            raise stream_error(self.name, data, "server error: ")
        yield from self._whole_reply(data)

    def _redacting(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        try:
            yield from events
        except ProviderError as exc:
            raise exc.redacted(self._api_key) from None

    def _json_object(self, data: str, complete: bool, what: str = "data line") -> dict:
        """One event's (or a whole reply's) JSON object; ProviderError for a malformed or cut one."""
        try:
            decoded = _loads(data)
        except ValueError:
            if not complete:
                raise ProviderError(self.name, "stream cut mid-reply") from None
            raise ProviderError(self.name, f"malformed stream: invalid JSON in {what} {data[:60]!r}") from None
        if not isinstance(decoded, dict):
            raise ProviderError(self.name, f"malformed stream: expected a JSON object, got {data[:60]!r}")
        return decoded

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _payload(self, request: ChatRequest, config: ModelConfig) -> Payload:
        """The request body as JSON bytes."""
        return to_json(self._body(request, config))

    def _body(self, request: ChatRequest, config: ModelConfig) -> dict:
        raise NotImplementedError

    def _events(self, lines: Iterator[str], cancel: Cancel) -> Iterator[StreamEvent]:
        raise NotImplementedError

    def _batch_events(self, batches: Iterator[list[str]], cancel: Cancel) -> Iterator[StreamEvent]:
        return self._events((line for batch in batches for line in batch), cancel)

    def _whole_reply(self, data: dict) -> Iterator[StreamEvent]:
        raise NotImplementedError


def _loads(data: str) -> object:
    """JSON text decoded by orjson (a few times faster than json, for the thousands of chunks
    of a reply). json decodes what orjson would get wrong: an escaped lone surrogate (half of
    an emoji split over two deltas, which the engine joins), which orjson refuses, and the
    few objects holding usage counts, whose integers past 64 bits orjson turns into floats
    (an unbelievable count is logged as the server sent it)."""
    if '"usage"' in data:
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _model_id(entry: object) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        value = entry.get("id") or entry.get("name") or entry.get("model")
        return value if isinstance(value, str) else None
    return None


def effort_of(provider: str, request: ChatRequest, config: ModelConfig) -> str | None:
    """The reasoning effort to ask for: the request's override ("off": none), else the model's."""
    effort = request.reasoning_effort if request.reasoning_effort is not None else config.reasoning_effort
    if effort in (None, "off", "none"):
        return None
    if effort not in REASONING_EFFORTS:
        raise ProviderError(provider, f"reasoning effort must be one of {', '.join(REASONING_EFFORTS)} or off, "
                                      f"got {effort!r}")
    return effort
