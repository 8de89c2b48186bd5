"""The request bodies smelt sends, checked against the official SDKs' request types.

Bodies are captured by the loopback server (tests/provider_server.py) from real provider
calls, then validated with unknown keys forbidden, so a field we misname or misplace fails
here. Extension fields other servers document (llama.cpp, vLLM, Ollama sampling knobs) are
allowed by name.
"""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("openai", reason="needs the interop extra: pip install -e '.[interop]'")
pytest.importorskip("anthropic", reason="needs the interop extra: pip install -e '.[interop]'")

from anthropic.types import message_create_params
from openai.types.chat import completion_create_params
from pydantic import ValidationError

from smelt_repl.providers import ChatRequest
from smelt_repl.providers.openai_compat import request_body as openai_body
from tests.conftest_providers import collect, loop_provider
from tests.interop.sdk_types import strict_adapter, validate

OPENAI_EXTENSIONS = frozenset({"top_k", "min_p", "repeat_penalty"})
IMAGE = "data:image/png;base64,iVBORw0KGgo="
HISTORY = [
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "first answer", "reasoning_content": "thought", "reasoning_signature": "sig"},
    {"role": "user", "content": [{"type": "text", "text": "and this?"},
                                 {"type": "image_url", "image_url": {"url": IMAGE}},
                                 {"type": "image_url", "image_url": {"url": "https://example.org/a.png"}}]},
    {"role": "assistant", "content": "an image"},
    {"role": "system", "content": "An extra rule."},
    {"role": "user", "content": "new question"},
]
REQUESTS = {
    "plain": ChatRequest("loop-model", "Be brief.", [{"role": "user", "content": "hi"}]),
    "capped history": ChatRequest("loop-model", "Be brief.", HISTORY, max_tokens=300),
    "reasoning": ChatRequest("loop-model", "", [{"role": "user", "content": "think"}], reasoning_effort="high"),
    "no system": ChatRequest("loop-model", "", HISTORY[:1], max_tokens=5000, reasoning_effort="low"),
}


@pytest.fixture(scope="module")
def openai_adapter():
    return strict_adapter(completion_create_params.CompletionCreateParamsStreaming)


@pytest.fixture(scope="module")
def anthropic_adapter():
    return strict_adapter(message_create_params.MessageCreateParamsStreaming)


def sent_body(server, kind: str, request: ChatRequest, **spec) -> dict:
    collect(loop_provider(server, kind, **spec).stream(request, threading.Event()))
    return server.requests[-1].body


SAMPLING = {"temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1}


@pytest.mark.parametrize("name", REQUESTS)
def test_openai_bodies_fit_the_sdk_type(provider_server, openai_adapter, name):
    body = sent_body(provider_server, "openai-compatible", REQUESTS[name], models={"loop-model": SAMPLING})
    assert body["top_k"] == 40  # an extension field, allowed by name
    validate(openai_adapter, body, OPENAI_EXTENSIONS)


def test_openai_official_host_body_fits(openai_adapter):
    body = openai_body(REQUESTS["capped history"], "https://api.openai.com/v1", "medium")
    assert body["max_completion_tokens"] == 300
    validate(openai_adapter, body)


@pytest.mark.parametrize("name", REQUESTS)
@pytest.mark.parametrize("caching", [True, False])
def test_anthropic_bodies_fit_the_sdk_type(provider_server, anthropic_adapter, name, caching):
    body = sent_body(provider_server, "anthropic", REQUESTS[name], prompt_caching=caching,
                     models={"loop-model": SAMPLING})
    validate(anthropic_adapter, body)


def test_a_misnamed_field_fails(openai_adapter, anthropic_adapter):
    with pytest.raises(ValidationError):
        validate(openai_adapter, {**openai_body(REQUESTS["plain"], ""), "max_token": 5})
    with pytest.raises(ValidationError):  # inside a message, too
        validate(openai_adapter, openai_body(ChatRequest("m", "", [{"role": "user", "content": "x", "extra": 1}]), ""))
    with pytest.raises(ValidationError):
        validate(anthropic_adapter, {"model": "m", "max_tokens": 5, "stream": True,
                                     "messages": [{"role": "user", "content": "x"}],
                                     "thinking": {"type": "enabled", "budget": 1024}})
