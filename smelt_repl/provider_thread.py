"""A provider's events, produced on a thread of its own and handed over in batches.

A provider blocked anywhere (a server that stopped sending) must never hold a turn up, so
it streams on a daemon thread. A fast server sends thousands of deltas a second: they are
handed over in batches (whatever arrived since the turn last looked, one wake-up for all),
and a batch's consecutive text deltas come out as one, so the screen gets one piece of text
per batch instead of one per token.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from smelt_repl.providers import CancelToken, ChatRequest, Provider, TextDelta

_END = object()


class _Failure:
    """An exception raised on the provider thread, carried to the turn's thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Handover:
    """Items from one thread to another: ``put`` one at a time, ``take`` all there are."""

    def __init__(self) -> None:
        self._items: deque[object] = deque()
        self._ready = threading.Event()

    def put(self, item: object) -> None:
        self._items.append(item)
        if not self._ready.is_set():  # checked after the append: ``take`` clears before it drains
            self._ready.set()

    def take(self) -> list[object]:
        """Every item put so far (waiting for one); may be empty after a spurious wake-up."""
        self._ready.wait()
        self._ready.clear()
        items = self._items
        return [items.popleft() for _ in range(len(items))]


def in_background(provider_factory: Callable[[], Provider], request: ChatRequest,
                  cancel: CancelToken) -> Iterator[list[object]]:
    """Batches of the provider's events (in order), produced on a daemon thread; stops the
    moment ``cancel`` is set, whatever the provider thread is blocked on. An exception of
    the provider is raised here, after the events that came before it."""
    handover = _Handover()

    def produce() -> None:
        try:
            for event in provider_factory().stream(request, cancel):
                handover.put(event)
                if cancel.is_set():
                    break
        except BaseException as exc:  # handed over to the turn's thread
            handover.put(_Failure(exc))
        finally:
            handover.put(_END)

    forget = cancel.on_cancel(lambda: handover.put(_END))  # wakes the turn at once
    threading.Thread(target=produce, name="smelt-provider", daemon=True).start()
    try:
        while not cancel.is_set():
            batch = handover.take()
            if cancel.is_set():
                return
            events, last = _until_end(batch)
            if events:
                yield events
            if isinstance(last, _Failure):
                raise last.exc
            if last is _END:
                return
    finally:
        forget()


def _until_end(batch: list[object]) -> tuple[list[object], object]:
    """The events of ``batch`` before its end (``_END`` or a failure), and that end (None)."""
    for i, item in enumerate(batch):
        if item is _END or isinstance(item, _Failure):
            return batch[:i], item
    return batch, None


def coalesced(events: Iterable[object]) -> Iterator[object]:
    """``events`` with each run of consecutive text deltas joined into one."""
    texts: list[str] = []
    for event in events:
        if type(event) is TextDelta:
            texts.append(event.text)
            continue
        if texts:
            yield TextDelta("".join(texts))
            texts = []
        yield event
    if texts:
        yield TextDelta("".join(texts))
