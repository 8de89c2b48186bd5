"""Streaming LLM providers behind one small protocol (see `base.Provider`).

Nothing here imports httpx at import time; the network providers load it on first use.
"""

from .base import (
    ChatRequest,
    Done,
    Provider,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
    is_truncated,
)
from .cancel import CancelToken
from .pool import ProviderPool
from .pricing import cost_usd, lookup_model
from .registry import ResolvedModel, list_models, make_provider, model_config, resolve_model
from .spec import BUILTIN_PROVIDERS, ModelConfig, ProviderSpec, parse_provider_spec

__all__ = [
    "BUILTIN_PROVIDERS",
    "CancelToken",
    "ChatRequest",
    "Done",
    "ModelConfig",
    "Provider",
    "ProviderError",
    "ProviderPool",
    "ProviderSpec",
    "ReasoningDelta",
    "ResolvedModel",
    "StreamEvent",
    "TextDelta",
    "Usage",
    "UsageReport",
    "cost_usd",
    "is_truncated",
    "list_models",
    "lookup_model",
    "make_provider",
    "model_config",
    "parse_provider_spec",
    "resolve_model",
]
