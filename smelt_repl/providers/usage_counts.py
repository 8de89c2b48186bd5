"""Usage counts as a server states them, checked before they become a `Usage`.

A count that is not a whole number in [0, 10**12) (a server's bug: 10**30 tokens, -5,
"12") is dropped, field by field, with one warning line in the app log; it never raises
and never reaches the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from smelt_repl.session_core.usage import sane_count

log = logging.getLogger("smelt.providers")


def sane_counts(provider: str, raw: Mapping[str, object]) -> dict[str, int]:
    """The believable counts of `raw` (absent and null fields left out); the others are
    dropped with one warning naming them."""
    counts: dict[str, int] = {}
    dropped: list[str] = []
    for name, value in raw.items():
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        count = sane_count(value)
        if count is None:
            dropped.append(f"{name}={_short(value)}")
        else:
            counts[name] = count
    if dropped:
        log.warning("%s: usage figures dropped as not believable: %s", provider, ", ".join(dropped))
    return counts


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
