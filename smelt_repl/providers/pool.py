"""One provider object (and so one kept-alive HTTP client) per provider, for a whole run."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

from .base import Provider, ProviderError
from .registry import ResolvedModel, api_key, build_provider
from .spec import ProviderSpec


@dataclass
class _Entry:
    provider: Provider
    spec: ProviderSpec
    key: str | None


class ProviderPool:
    """Hands out one provider per (provider name, api_base), reused across turns, and
    closes them all at shutdown. Safe to use from several threads.

    A provider is made again (and the old one closed) when its spec or API key changed,
    say after `smelt.provider.register` re-registered the name. After `close()`, `get()`
    raises ProviderError: nothing new is opened once the pool is shut down.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env  # None: os.environ, read at each get()
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str | None], _Entry] = {}
        self._closed = False

    def get(self, resolved: ResolvedModel, env: Mapping[str, str] | None = None) -> Provider:
        """The provider for `resolved`, its key read from `env` (default: the pool's);
        ProviderError when the key variable is unset (unless the key is optional) or the
        pool is closed."""
        spec = resolved.spec
        key = api_key(spec, self._env if env is None else env)
        slot = (spec.name, spec.api_base)
        with self._lock:
            if self._closed:
                raise ProviderError(spec.name, "provider pool closed (smelt is shutting down)")
            old = self._entries.get(slot)
            if old is not None and old.spec == spec and old.key == key:
                return old.provider
            provider = build_provider(spec, key)
            self._entries[slot] = _Entry(provider, spec, key)
        if old is not None:
            _close(old.provider)
        return provider

    def close(self) -> None:
        """Close every provider's HTTP client (cutting calls still running); idempotent."""
        with self._lock:
            self._closed = True
            entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            _close(entry.provider)

    def __enter__(self) -> ProviderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(provider: Provider) -> None:
    close = getattr(provider, "close", None)  # the offline provider holds nothing to close
    if close is not None:
        close()
