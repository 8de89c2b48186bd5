"""What a call cost: the built-in price table and the cost formula."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from functools import cache
from pathlib import Path

from .base import Usage
from .spec import ModelConfig, ProviderSpec

_PRICES_FILE = Path(__file__).with_name("prices.json")
# A prefix matches a dated or tagged variant only at one of these boundaries, so that
# "gpt-4o-2024-08-06" finds "gpt-4o" but "o30" does not find "o3".
_BOUNDARIES = "-:@"
_TABLE_OF = {"openai": "openai", "openai-compatible": "openai", "anthropic": "anthropic"}


@cache
def _price_tables() -> dict[str, dict[str, dict]]:
    raw = json.loads(_PRICES_FILE.read_text(encoding="utf-8"))
    return {name: table for name, table in raw.items() if not name.startswith("_")}


def _match(table: dict[str, dict], model: str) -> ModelConfig | None:
    best = ""
    for prefix in table:
        if model == prefix or (model.startswith(prefix) and model[len(prefix)] in _BOUNDARIES):
            if len(prefix) > len(best):
                best = prefix
    return ModelConfig(**table[best]) if best else None


def lookup_model(kind_or_provider: str, model: str) -> ModelConfig | None:
    """Prices and context window of a well-known model, or None when it is not in the table.

    `kind_or_provider` picks the table ("openai", "openai-compatible", "anthropic"); for any
    other provider (a router such as OpenRouter) a vendor prefix in the model name is used,
    as in "anthropic/claude-sonnet-4".
    """
    tables = _price_tables()
    model = model.lower()
    table_name = _TABLE_OF.get(kind_or_provider)
    if table_name is None and "/" in model:
        table_name, model = model.split("/", 1)
    table = tables.get(table_name or "")
    return _match(table, model) if table else None


def cost_usd(usage: Usage, config: ModelConfig) -> float:
    """The call's cost in US dollars; a price the config does not know counts as zero."""
    per_million = (
        usage.input * (config.input_price or 0.0)
        + usage.cache_read * (config.cache_read_price or 0.0)
        + usage.cache_write * (config.cache_write_price or 0.0)
        + usage.output * (config.output_price or 0.0)
    )
    return per_million / 1e6


def model_config(spec: ProviderSpec, model: str) -> ModelConfig:
    """The spec's own settings for `model`, filled in from the price table."""
    table = lookup_model(spec.name, model)
    if table is None and spec.kind != "offline":
        table = lookup_model(spec.kind, model)
    merged = table or ModelConfig()
    own = spec.models.get(model)
    if own is not None:
        overrides = {f.name: getattr(own, f.name) for f in fields(own) if getattr(own, f.name) is not None}
        merged = replace(merged, **overrides)
    return merged
