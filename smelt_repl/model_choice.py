"""Which model the next request uses, and why (SPEC §9).

Precedence, strongest first: a flag (``--model`` / ``--api-base``, or ``:model NAME`` during
the run), the session's own model (the model of its last reply, with the ad-hoc API base it
used), ``$SMELT_MODEL``, then the config (``smelt.settings.model``); with none of them, the
offline responder. A session remembers its model through its replies: each assistant record
names the model (and an ad-hoc API base) that wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelName:
    """A model as the user names it (``provider/model``, or a bare name) and an ad-hoc API base."""

    name: str | None
    api_base: str | None = None


def choose_model(flag: ModelName, session: ModelName | None, env: Mapping[str, str],
                 configured: str | None) -> ModelName:
    """The model the next request uses, by the precedence above."""
    if flag.name or flag.api_base:
        return flag
    if session is not None:
        return session
    return ModelName(env.get("SMELT_MODEL") or configured)


def session_model(messages: Iterable[dict]) -> ModelName | None:
    """The model (and ad-hoc API base) that wrote the last reply of ``messages``."""
    for record in reversed(list(messages)):
        model = record.get("model") if record.get("role") == "assistant" else None
        if isinstance(model, str) and model:
            api_base = record.get("api_base")
            return ModelName(model, api_base if isinstance(api_base, str) else None)
    return None


def configured_models(providers: Mapping[str, object], current: str | None) -> list[str]:
    """``provider/model`` names the config knows (registered and built-in providers' model
    tables), the offline responder, and the model in use; sorted, no duplicates."""
    from smelt_repl.providers import BUILTIN_PROVIDERS

    names = {"offline/offline"} | ({current} if current else set())
    for name, spec in {**BUILTIN_PROVIDERS, **providers}.items():
        names.update(f"{name}/{model}" for model in getattr(spec, "models", {}) or {})
    return sorted(names)
