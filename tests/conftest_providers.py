"""The `provider_server` fixture: a loopback chat server (see tests/provider_server.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.provider_server import ProviderServer

__all__ = ["provider_pool", "provider_server"]


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    """A started `ProviderServer` on 127.0.0.1, stopped after the test."""
    with ProviderServer() as server:
        yield server


@pytest.fixture
def provider_pool():
    """A `ProviderPool` with an empty environment, closed after the test."""
    from smelt_repl.providers import ProviderPool

    with ProviderPool(env={}) as pool:
        yield pool


def loop_model(server: ProviderServer, kind: str = "openai-compatible", model: str = "loop-model",
               name: str = "loop", **spec: object):
    """The ResolvedModel "NAME/MODEL" of a provider of `kind` pointed at `server`."""
    from smelt_repl.providers import parse_provider_spec, resolve_model

    registered = {name: parse_provider_spec(name, server.provider_spec(kind, **spec))}
    return resolve_model(f"{name}/{model}", None, registered)


def loop_provider(server: ProviderServer, kind: str = "openai-compatible", model: str = "loop-model",
                  env: dict[str, str] | None = None, **spec: object):
    """A real provider of `kind` pointed at `server` (spec keys as for parse_provider_spec)."""
    from smelt_repl.providers import make_provider

    return make_provider(loop_model(server, kind, model, **spec), env=env or {})


def collect(events) -> tuple[str, list]:
    """Drain a stream; returns (reply text, all events)."""
    from smelt_repl.providers import TextDelta

    events = list(events)
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events
