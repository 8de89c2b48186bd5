"""The event ledger: one line per model call (usage and cost) and per lifecycle event.

``cost()`` and ``tokens()`` are sums over it, so spent money stays spent: a rewind appends
to the ledger but never subtracts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from smelt_repl.session_core.usage import USAGE_FIELDS


@dataclass
class TokenTotals:
    """Cumulative token counts of a session (``input`` excludes cached input)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost_usd: float = 0.0

    @property
    def total(self) -> int:
        """``input + output``; reasoning is a detail of output, cache reads are not counted."""
        return self.input + self.output

    @property
    def cache_hit_ratio(self) -> float | None:
        """``cache_read / (input + cache_read)``, None until input was observed."""
        seen = self.input + self.cache_read
        return self.cache_read / seen if seen else None

    def add(self, record: dict) -> None:
        """Add one ``usage`` ledger record to the totals."""
        for name in USAGE_FIELDS:
            value = record.get(name)
            if isinstance(value, int) and value > 0:
                setattr(self, name, getattr(self, name) + value)
        cost = record.get("cost_usd")
        if isinstance(cost, (int, float)) and cost > 0:
            self.cost_usd += float(cost)

    def as_dict(self) -> dict:
        """The shape of ``smelt.session.tokens()``."""
        return {
            "input": self.input,
            "output": self.output,
            "cache_read": self.cache_read,
            "cache_write": self.cache_write,
            "reasoning": self.reasoning,
            "total": self.total,
            "cache_hit_ratio": self.cache_hit_ratio,
        }


def sum_usage(records: Iterable[dict]) -> TokenTotals:
    """Totals over the ``usage`` records of a ledger."""
    totals = TokenTotals()
    for record in records:
        if record.get("type") == "usage":
            totals.add(record)
    return totals


def usage_record(
    model: str,
    *,
    input: int = 0,
    output: int = 0,
    cache_read: int = 0,
    cache_write: int = 0,
    reasoning: int = 0,
    context_tokens: int | None = None,
    cost_usd: float = 0.0,
) -> dict:
    """A ``usage`` ledger record for one model call."""
    return {
        "type": "usage",
        "model": model,
        "input": int(input),
        "output": int(output),
        "cache_read": int(cache_read),
        "cache_write": int(cache_write),
        "reasoning": int(reasoning),
        "context_tokens": context_tokens,
        "cost_usd": float(cost_usd),
        "ts_ms": now_ms(),
    }


def now_ms() -> int:
    """Unix epoch time in milliseconds."""
    return time.time_ns() // 1_000_000
