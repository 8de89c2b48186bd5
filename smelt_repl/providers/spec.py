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


REASONING_EFFORTS = ("low", "medium", "high")
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty")
# smelt's own names for the price settings (smelt-compat.md)
_SMELT_MODEL_KEYS = {"input_cost": "input_price", "output_cost": "output_price",
                     "cache_read_cost": "cache_read_price", "cache_write_cost": "cache_write_price"}
# Anthropic thinking budgets (tokens) per effort, unless the model's `thinking_budgets` says.
DEFAULT_THINKING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}
MIN_THINKING_BUDGET = 1024  # the Messages API refuses less


@dataclass
class ModelConfig:
    """What we know of one model: context window, prices (USD per million tokens), output cap,
    and how much to reason: `reasoning_effort` ("low"/"medium"/"high", sent as OpenAI's
    `reasoning_effort` or an Anthropic thinking budget from `thinking_budgets`)."""

    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    max_tokens: int | None = None
    reasoning_effort: str | None = None
    thinking_budgets: dict[str, int] | None = None
    # Sampling, sent to OpenAI-compatible servers when set (top_k, min_p, repeat_penalty:
    # llama.cpp / vLLM / Ollama extensions); the Anthropic Messages API takes none of them.
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None
    # What the model reads besides text (smelt's name): "image" lets attachments send images.
    input_modalities: list[str] | None = None

    def thinking_budget(self, effort: str) -> int:
        """The Anthropic `budget_tokens` for `effort`."""
        return (self.thinking_budgets or {}).get(effort) or DEFAULT_THINKING_BUDGETS[effort]

    def sampling(self) -> dict[str, float | int]:
        """The sampling settings that are set, for a request body."""
        return {name: value for name in SAMPLING_KEYS if (value := getattr(self, name)) is not None}


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
    deadline_s: float = 600.0  # a whole call (retries included) ends after this, however it trickles
    prompt_caching: bool = True  # Anthropic: mark the system prompt and stable history as cacheable


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
    "timeout", "timeout_s", "max_retries", "retry_backoff", "deadline", "prompt_caching",
}


def parse_provider_spec(name: str, raw: dict, warn: Callable[[str], None] | None = None) -> ProviderSpec:
    """Build a `ProviderSpec` from a plain dict; raises ValueError naming the bad key.

    Registering a built-in name ("openai", "ollama", ...) starts from the built-in spec,
    so `{api_base = "..."}` alone is enough to point it elsewhere. With `warn`, a model
    setting we do not know (smelt has more, e.g. `tool_calling`) is one warning and ignored.
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
    if "models" in raw:
        spec.models = _parse_models(where, raw["models"], warn)
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


def _parse_models(where: str, value: object, warn: Callable[[str], None] | None) -> dict[str, ModelConfig]:
    """A table of name -> settings, or (smelt's shape) a list of names and `{name = ..., ...}` tables."""
    if isinstance(value, (list, tuple)):
        value = dict(_named_entry(where, entry) for entry in value)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: models must be a table of model name -> settings")
    models = {}
    for model, settings in value.items():
        if not isinstance(model, str) or not model:
            raise ValueError(f"{where}: model names must be non-empty strings, got {model!r}")
        models[model] = _parse_model(f"{where}, model '{model}'", settings, warn)
    return models


def _named_entry(where: str, entry: object) -> tuple[object, object]:
    if isinstance(entry, dict):
        settings = {k: v for k, v in entry.items() if k != "name"}
        return entry.get("name"), settings
    if isinstance(entry, str):
        return entry, {}
    raise ValueError(f"{where}: a models list holds names or {{name = ..., ...}} tables, got {entry!r}")


def _parse_model(where: str, settings: object, warn: Callable[[str], None] | None) -> ModelConfig:
    if settings is None or settings is True:
        settings = {}
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: settings must be a table")
    settings = {_SMELT_MODEL_KEYS.get(k, k): v for k, v in settings.items()}
    unknown = sorted(str(k) for k in settings if k not in _MODEL_KEYS)
    if unknown and warn is not None:
        warn(f"{where}: ignoring unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
        settings = {k: v for k, v in settings.items() if k in _MODEL_KEYS}
    elif unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_MODEL_KEYS))})")
    config = ModelConfig()
    for key, value in settings.items():
        if key in ("context_window", "max_tokens", "top_k"):
            setattr(config, key, _integer(where, key, value, minimum=1))
        elif key == "reasoning_effort":
            config.reasoning_effort = _effort(where, value)
        elif key == "thinking_budgets":
            config.thinking_budgets = _budgets(where, value)
        elif key == "input_modalities":
            config.input_modalities = _names(where, key, value)
        else:
            setattr(config, key, _number(where, key, value, minimum=0.0))
    return config


def _names(where: str, key: str, value: object) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key} must be a list of names, e.g. {{\"text\", \"image\"}}, got {value!r}")
    return list(value)


def _effort(where: str, value: object) -> str:
    if value not in REASONING_EFFORTS:
        raise ValueError(f"{where}: reasoning_effort must be one of {', '.join(REASONING_EFFORTS)}, got {value!r}")
    return str(value)


def _budgets(where: str, value: object) -> dict[str, int]:
    if not isinstance(value, dict) or any(k not in REASONING_EFFORTS for k in value):
        raise ValueError(f"{where}: thinking_budgets must be a table {{low=, medium=, high=}}, got {value!r}")
    return {k: _integer(where, f"thinking_budgets.{k}", v, minimum=MIN_THINKING_BUDGET) for k, v in value.items()}


def _flag(where: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key} must be true or false, got {value!r}")
    return value


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


# Spec key → (ProviderSpec attribute, parser(where, key, value)); "kind"/"type" are read first,
# "models" last (it may warn).
_FIELD_PARSERS: dict[str, tuple[str, Callable[[str, str, object], object]]] = {
    "api_base": ("api_base", lambda where, key, value: _parse_url(where, value)),
    "api_key_env": ("api_key_env", lambda where, key, value: _parse_env_name(where, value)),
    "headers": ("headers", lambda where, key, value: _parse_headers(where, value)),
    "timeout": ("timeout_s", lambda where, key, value: _number(where, key, value, minimum=0.0, allow_zero=False)),
    "timeout_s": ("timeout_s", lambda where, key, value: _number(where, key, value, minimum=0.0, allow_zero=False)),
    "max_retries": ("max_retries", lambda where, key, value: _integer(where, key, value)),
    "retry_backoff": ("retry_backoff_s", lambda where, key, value: _number(where, key, value, minimum=0.0)),
    "deadline": ("deadline_s", lambda where, key, value: _number(where, key, value, minimum=0.0, allow_zero=False)),
    "prompt_caching": ("prompt_caching", _flag),
}
