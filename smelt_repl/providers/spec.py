"""What a provider is: its spec (kind, URL, key variable, models) and the built-in ones.

`parse_provider_spec` checks a plain dict (a Lua table from `smelt.provider.register`,
converted by the caller) and turns it into a `ProviderSpec`, with one clear `ValueError`
for anything wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

KINDS = ("openai-compatible", "anthropic", "offline")
_KIND_ALIASES = {"openai": "openai-compatible", "openai_compatible": "openai-compatible"}


@dataclass
class ModelConfig:
    """What we know of one model: context window, prices (USD per million tokens), output cap."""

    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    max_tokens: int | None = None


@dataclass
class ProviderSpec:
    """How to reach one provider. API keys are never stored: only the variable's name."""

    name: str
    kind: str  # one of KINDS
    api_base: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    models: dict[str, ModelConfig] = field(default_factory=dict)
    timeout_s: float = 60.0
    max_retries: int = 3
    retry_backoff_s: float = 0.5  # first wait before a retry; doubles each time
    api_key_optional: bool = False  # set by --api-base: a local server may want no key


BUILTIN_PROVIDERS: dict[str, ProviderSpec] = {
    "openai": ProviderSpec(
        "openai", "openai-compatible", "https://api.openai.com/v1", "OPENAI_API_KEY"
    ),
    "anthropic": ProviderSpec(
        "anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"
    ),
    "ollama": ProviderSpec("ollama", "openai-compatible", "http://localhost:11434/v1"),
    "offline": ProviderSpec("offline", "offline"),
}

_MODEL_KEYS = {f.name for f in fields(ModelConfig)}
_SPEC_KEYS = {
    "kind", "type", "api_base", "api_key_env", "headers", "models",
    "timeout", "timeout_s", "max_retries", "retry_backoff",
}


def parse_provider_spec(name: str, raw: dict) -> ProviderSpec:
    """Build a `ProviderSpec` from a plain dict; raises ValueError naming the bad key.

    Registering a built-in name ("openai", "ollama", ...) starts from the built-in spec,
    so `{api_base = "..."}` alone is enough to point it elsewhere.
    """
    where = f"provider '{name}'"
    _check_shape(where, name, raw)
    base = BUILTIN_PROVIDERS.get(name)
    kind = _parse_kind(where, raw, base)
    if base is None or base.kind != kind:
        base = ProviderSpec(name, kind)
    spec = replace(base, name=name, headers=dict(base.headers), models=dict(base.models))
    for key, (attribute, parse) in _FIELD_PARSERS.items():
        if key in raw:
            setattr(spec, attribute, parse(where, key, raw[key]))
    if spec.api_base is None and kind == "anthropic":
        spec.api_base = BUILTIN_PROVIDERS["anthropic"].api_base
    if spec.api_base is None and kind == "openai-compatible":
        raise ValueError(f"{where}: api_base is required for kind 'openai-compatible'")
    return spec


def _check_shape(where: str, name: object, raw: object) -> None:
    """A usable provider name and a table of known keys, never holding a key itself."""
    if not isinstance(name, str) or not name or "/" in name or name != name.strip():
        raise ValueError(f"provider name must be a non-empty word without '/', got {name!r}")
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: spec must be a table, got {type(raw).__name__}")
    if "api_key" in raw:
        raise ValueError(
            f"{where}: keys are never stored; put the key in an environment variable "
            "and name that variable with api_key_env"
        )
    unknown = sorted(str(k) for k in raw if k not in _SPEC_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_SPEC_KEYS))})")


def _parse_kind(where: str, raw: dict, base: ProviderSpec | None) -> str:
    kind = raw.get("kind", raw.get("type"))
    if "kind" in raw and "type" in raw and raw["kind"] != raw["type"]:
        raise ValueError(f"{where}: 'kind' and 'type' disagree ({raw['kind']!r} vs {raw['type']!r})")
    if kind is None:
        return base.kind if base else "openai-compatible"
    kind = _KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return kind


def _parse_url(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(f"{where}: api_base must be an http:// or https:// URL, got {value!r}")
    return value.rstrip("/")


def _parse_env_name(where: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith("sk-"):
        raise ValueError(f"{where}: api_key_env is the variable's name, not the key itself")
    if not isinstance(value, str) or not value.replace("_", "a").isalnum():
        raise ValueError(f"{where}: api_key_env must name an environment variable, got {value!r}")
    return value


def _parse_headers(where: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{where}: headers must be a table of strings to strings")
    return dict(value)


def _parse_models(where: str, value: object) -> dict[str, ModelConfig]:
    if isinstance(value, (list, tuple)):
        value = {m: {} for m in value}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: models must be a table of model name -> settings")
    models = {}
    for model, settings in value.items():
        if not isinstance(model, str) or not model:
            raise ValueError(f"{where}: model names must be non-empty strings, got {model!r}")
        models[model] = _parse_model(f"{where}, model '{model}'", settings)
    return models


def _parse_model(where: str, settings: object) -> ModelConfig:
    if settings is None or settings is True:
        settings = {}
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: settings must be a table")
    unknown = sorted(str(k) for k in settings if k not in _MODEL_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_MODEL_KEYS))})")
    config = ModelConfig()
    for key, value in settings.items():
        if key in ("context_window", "max_tokens"):
            setattr(config, key, _integer(where, key, value, minimum=1))
        else:
            setattr(config, key, _number(where, key, value, minimum=0.0))
    return config


def _number(where: str, key: str, value: object, minimum: float, allow_zero: bool = True) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (not allow_zero and value == 0):
        bound = f"> {minimum:g}" if not allow_zero else f">= {minimum:g}"
        raise ValueError(f"{where}: {key} must be a number {bound}, got {value!r}")
    return float(value)


def _integer(where: str, key: str, value: object, minimum: int = 0) -> int:
    # Lua numbers may arrive as floats; accept 3.0 but not 3.5.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where}: {key} must be a whole number >= {minimum}, got {value!r}")
    return value


# Spec key → (ProviderSpec attribute, parser(where, key, value)); "kind"/"type" are read first.
_FIELD_PARSERS: dict[str, tuple[str, Callable[[str, str, object], object]]] = {
    "api_base": ("api_base", lambda where, key, value: _parse_url(where, value)),
    "api_key_env": ("api_key_env", lambda where, key, value: _parse_env_name(where, value)),
    "headers": ("headers", lambda where, key, value: _parse_headers(where, value)),
    "models": ("models", lambda where, key, value: _parse_models(where, value)),
    "timeout": ("timeout_s", lambda where, key, value: _number(where, key, value, minimum=0.0, allow_zero=False)),
    "timeout_s": ("timeout_s", lambda where, key, value: _number(where, key, value, minimum=0.0, allow_zero=False)),
    "max_retries": ("max_retries", lambda where, key, value: _integer(where, key, value)),
    "retry_backoff": ("retry_backoff_s", lambda where, key, value: _number(where, key, value, minimum=0.0)),
}
