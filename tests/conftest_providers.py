"""The `provider_server` fixture: a loopback chat server (see tests/provider_server.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.provider_server import ProviderServer

__all__ = ["provider_server"]


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    """A started `ProviderServer` on 127.0.0.1, stopped after the test."""
    with ProviderServer() as server:
        yield server


def loop_provider(server: ProviderServer, kind: str = "openai-compatible", model: str = "loop-model",
                  env: dict[str, str] | None = None, **spec: object):
    """A real provider of `kind` pointed at `server` (spec keys as for parse_provider_spec)."""
    from smelt_repl.providers import make_provider, parse_provider_spec, resolve_model

    registered = {"loop": parse_provider_spec("loop", server.provider_spec(kind, **spec))}
    return make_provider(resolve_model(f"loop/{model}", None, registered), env=env or {})


def collect(events) -> tuple[str, list]:
    """Drain a stream; returns (reply text, all events)."""
    from smelt_repl.providers import TextDelta

    events = list(events)
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events
