"""Choosing a model: "provider/model" names, --api-base, and building the provider object."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Mapping

from .base import Provider, ProviderError
from .pricing import lookup_model, model_config
from .spec import BUILTIN_PROVIDERS, ModelConfig, ProviderSpec


@dataclass
class ResolvedModel:
    """A provider spec, the bare model name for its API, and what we know of the model."""

    spec: ProviderSpec
    model: str
    config: ModelConfig

    @property
    def key(self) -> str:
        """The "provider/model" name, as the user writes it."""
        return f"{self.spec.name}/{self.model}"


def resolve_model(
    model: str | None,
    api_base: str | None,
    registered: dict[str, ProviderSpec],
    default: str = "offline/offline",
) -> ResolvedModel:
    """Find the provider and model that a "PROVIDER/MODEL" name (and maybe --api-base) means.

    The name splits on its first "/" only, so "openrouter/meta-llama/llama-3-8b" is model
    "meta-llama/llama-3-8b" of provider "openrouter". Registered providers shadow built-in
    ones. With `api_base`, a name with no known provider means an OpenAI-compatible server
    (provider "openai"), and `api_base` replaces the provider's URL (its key becomes optional). A bare well-known name
    such as "gpt-4o-mini" finds its vendor through the price table.
    """
    providers = {**BUILTIN_PROVIDERS, **registered}
    known = ", ".join(sorted(providers))
    if not model:
        if api_base:
            raise ValueError("--api-base needs a model name too: add --model NAME")
        model = default
    prefix, slash, rest = model.partition("/")
    if slash and prefix in providers:
        if not rest:
            raise ValueError(f"model name missing after '{prefix}/'")
        spec, name = providers[prefix], rest
    elif api_base:
        spec, name = providers["openai"], model
    elif not slash and providers.get(model, BUILTIN_PROVIDERS["openai"]).kind == "offline":
        spec, name = providers[model], model
    elif not slash and (vendor := _vendor_of(model)) in providers:
        spec, name = providers[vendor], model
    elif slash:
        raise ValueError(f"unknown provider '{prefix}' (known: {known})")
    else:
        raise ValueError(f"model '{model}' names no provider: write PROVIDER/{model} (known: {known})")
    if api_base:
        spec = _with_api_base(spec, api_base)
    return ResolvedModel(spec, name, model_config(spec, name))


def make_provider(resolved: ResolvedModel, env: Mapping[str, str] | None = None) -> Provider:
    """Build a NEW provider (and HTTP client) for `resolved`; its key is read from `env`
    (default: os.environ). Prefer `ProviderPool.get`, which reuses one across calls.
    """
    spec = resolved.spec
    return build_provider(spec, api_key(spec, env))


def list_models(resolved: ResolvedModel, env: Mapping[str, str] | None = None) -> list[str]:
    """The model ids the server of `resolved` offers, in its order (for `:model`).

    GET `{api_base}/models` (OpenAI-compatible) or `/v1/models` (Anthropic) with the same
    auth headers as a chat call; one-line ProviderError when the server has no such list
    (HTTP 404), refuses the key or cannot be reached. The offline provider offers itself.
    """
    spec = resolved.spec
    if spec.kind == "offline":
        return [resolved.model]
    provider = build_provider(spec, api_key(spec, env))
    try:
        return provider.list_models()  # type: ignore[attr-defined]
    finally:
        provider.close()  # type: ignore[attr-defined]


def api_key(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> str | None:
    """The API key `spec` names, from `env` (default: os.environ), or None if it wants none.

    A missing key is a ProviderError, except when --api-base pointed the provider elsewhere:
    then the request simply goes without one (local servers rarely want a key).
    """
    if spec.kind == "offline" or not spec.api_key_env:
        return None
    key = (os.environ if env is None else env).get(spec.api_key_env)
    if not key and not spec.api_key_optional:
        raise ProviderError(spec.name, f"{spec.api_key_env} is not set")
    return key or None


def build_provider(spec: ProviderSpec, key: str | None) -> Provider:
    """The provider object for `spec` and an API key already looked up."""
    if spec.kind == "offline":
        from .offline import OfflineProvider

        return OfflineProvider(spec.name)
    # Provider modules load on first use: a run pays only for the protocol it speaks.
    if spec.kind == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(spec, key)
    from .openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(spec, key)


def _vendor_of(model: str) -> str | None:
    for vendor in ("openai", "anthropic"):
        if lookup_model(vendor, model) is not None:
            return vendor
    return None


def _with_api_base(spec: ProviderSpec, api_base: str) -> ProviderSpec:
    if spec.kind == "offline":
        raise ValueError("--api-base does not apply to the offline provider")
    if not api_base.startswith(("http://", "https://")):
        raise ValueError(f"--api-base must be an http:// or https:// URL, got {api_base!r}")
    return replace(spec, api_base=api_base.rstrip("/"), api_key_optional=True)
