"""Token usage of one model call: the one definition of the usage fields.

Providers report it (``providers.UsageReport``), the engine prices it, the ledger stores it
(one ``usage`` record a call) and sums it. Every copy of the field list derives from here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Usage:
    """Token counts of one model call so far, split the way prices are.

    Always cumulative: a later `Usage` of the same call replaces an earlier one, it is
    never added to it.
    """

    input: int = 0  # non-cached input tokens
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0  # part of `output` spent thinking
    context_tokens: int | None = None  # whole prompt side, cached or not

    def counts(self) -> dict[str, int]:
        """The summable counts (every field but ``context_tokens``) by name."""
        return {name: getattr(self, name) for name in USAGE_FIELDS}

    def plus(self, later: Usage) -> Usage:
        """This usage (finished attempts) plus ``later``'s; the context size is the latest known."""
        summed = {name: getattr(self, name) + getattr(later, name) for name in USAGE_FIELDS}
        context = later.context_tokens if later.context_tokens is not None else self.context_tokens
        return Usage(**summed, context_tokens=context)


MAX_TOKENS = 10**12  # a token count above this is a server's bug, not a bill


def sane_count(value: object) -> int | None:
    """``value`` when it is a token count one can believe (an int, 0 ≤ n < MAX_TOKENS), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_TOKENS:
        return value
    return None


# The counts a ledger sums, in record order.
USAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Usage) if f.name != "context_tokens")
