"""The event ledger: one line per model call (usage and cost) and per lifecycle event.

``cost()`` and ``tokens()`` are sums over it, so spent money stays spent: a rewind appends
to the ledger but never subtracts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from smelt_repl.session_core.usage import USAGE_FIELDS, Usage


@dataclass
class TokenTotals:
    """Cumulative token counts of a session (``input`` excludes cached input) and its cost."""

    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    reasoning_estimated: bool = False  # some of the reasoning count is our estimate

    @property
    def total(self) -> int:
        """``input + output``; reasoning is a detail of output, cache reads are not counted."""
        return self.usage.input + self.usage.output

    @property
    def cache_hit_ratio(self) -> float | None:
        """``cache_read / (input + cache_read)``, None until input was observed."""
        seen = self.usage.input + self.usage.cache_read
        return self.usage.cache_read / seen if seen else None

    def add(self, record: dict) -> None:
        """Add one ``usage`` ledger record to the totals."""
        for name in USAGE_FIELDS:
            value = record.get(name)
            if isinstance(value, int) and value > 0:
                setattr(self.usage, name, getattr(self.usage, name) + value)
        cost = record.get("cost_usd")
        if isinstance(cost, (int, float)) and cost > 0:
            self.cost_usd += float(cost)
        if record.get("reasoning_estimated") is True:
            self.reasoning_estimated = True

    def as_dict(self) -> dict:
        """The shape of ``smelt.session.tokens()``."""
        totals = {**self.usage.counts(), "total": self.total, "cache_hit_ratio": self.cache_hit_ratio}
        if self.reasoning_estimated:  # only then: the seed's shape stays as it is
            totals["reasoning_estimated"] = True
        return totals


def sum_usage(records: Iterable[dict]) -> TokenTotals:
    """Totals over the ``usage`` records of a ledger."""
    totals = TokenTotals()
    for record in records:
        if record.get("type") == "usage":
            totals.add(record)
    return totals


def usage_record(model: str, usage: Usage | None = None, cost_usd: float = 0.0) -> dict:
    """A ``usage`` ledger record for one model call."""
    usage = usage or Usage()
    return {"type": "usage", "model": model, **{name: int(n) for name, n in usage.counts().items()},
            "context_tokens": usage.context_tokens, "cost_usd": float(cost_usd), "ts_ms": now_ms()}


def now_ms() -> int:
    """Unix epoch time in milliseconds."""
    return time.time_ns() // 1_000_000
