"""Helpers shared by the benchmarks: timing and printing a figure beside its target."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def time_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn`` in milliseconds over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(name: str, value: float, unit: str, target: str | None = None, ok: bool | None = None) -> None:
    """Print one figure: name, value, target and whether it is met."""
    verdict = "" if ok is None else ("  OK" if ok else "  MISSED")
    target_text = f"  (target {target})" if target else ""
    print(f"{name:<48} {value:>10.2f} {unit:<6}{target_text}{verdict}", flush=True)


@contextmanager
def running_shell(shell: Any) -> Iterator[Any]:
    """Run a ``Shell``'s application on a thread (its scrollback attached) for the block."""
    started = threading.Event()
    thread = threading.Thread(target=shell.application.run,
                              kwargs={"pre_run": lambda: (shell.scrollback.attach(), started.set()),
                                      "handle_sigint": False})
    thread.start()
    started.wait()
    try:
        yield shell
    finally:
        shell.application.loop.call_soon_threadsafe(shell.application.exit)
        thread.join()
        shell.scrollback.detach()
