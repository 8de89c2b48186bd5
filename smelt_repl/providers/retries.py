"""Retrying a model call that failed before showing anything (HTTP 429/5xx, overload)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace

from .base import ProviderError, StreamEvent, Usage, UsageReport
from .spec import ProviderSpec
from .transport import Cancel

MAX_RETRY_WAIT_S = 60.0  # a server asking for a longer pause gets no retry


def with_retries(
    spec: ProviderSpec, attempt: Callable[[], Iterator[StreamEvent]], cancel: Cancel,
    deadline_at: float | None = None,
) -> Iterator[StreamEvent]:
    """Run `attempt`, retrying retryable failures with exponential backoff.

    A retry happens only if the failed attempt yielded no delta, so none is ever shown
    twice, and only if it can start before `deadline_at` (time.monotonic). Usage a failed
    attempt reported (billed input) is carried over: later reports add it in, keeping every
    `UsageReport` cumulative for the whole call. The wait honours the server's Retry-After
    and is cut short by `cancel`.
    """
    retries = 0
    carried = Usage()  # usage of failed attempts, already reported
    while True:
        shown = False
        last: Usage | None = None
        try:
            with closing(attempt()) as events:
                for event in events:
                    if isinstance(event, UsageReport):
                        last = event.usage
                        event = replace(event, usage=carried.plus(last))
                    else:
                        shown = True
                    yield event
            return
        except ProviderError as exc:
            if cancel.is_set():
                return  # cancelled: whatever failed with it goes unreported, as for any cancel
            wait = _next_wait(spec, exc, retries, deadline_at)
            if shown or wait is None:
                if retries:
                    cause = f"{exc.cause} (after {retries} retries)"
                    raise ProviderError(exc.provider, cause, retryable=exc.retryable) from exc
                raise
        if last is not None:
            carried = carried.plus(last)
        retries += 1
        if cancel.wait(wait):
            return


def _next_wait(spec: ProviderSpec, exc: ProviderError, retries: int, deadline_at: float | None) -> float | None:
    """Seconds to wait before the next attempt, or None for no more attempts."""
    if not exc.retryable or retries >= spec.max_retries:
        return None
    if exc.retry_after is not None:
        wait = exc.retry_after if exc.retry_after <= MAX_RETRY_WAIT_S else None
    else:
        wait = min(spec.retry_backoff_s * 2**retries, MAX_RETRY_WAIT_S)
    if wait is not None and deadline_at is not None and time.monotonic() + wait >= deadline_at:
        return None  # the attempt could not start before the call's deadline
    return wait
