"""One sandboxed Lua 5.4 runtime: guarded calls, an instruction budget, Ctrl-C interruption.

Every entry into Lua goes through ``LuaRuntimeBox.call``: it runs the function under
``xpcall`` and returns a ``CallResult`` whose error is already one line of text
(``file:line: message``), so no Lua error ever raises into Python callers. The instruction
budget counts from the outermost entry (nested entries, such as an event a script emits,
share it); ``interrupt()`` may be called from any thread and stops the running Lua at its
next hook with the error ``interrupted``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lupa.lua54 as lua54

from smelt_repl.lua.compat import COMPAT_LUA, CONFIG_ONLY, MISSING
from smelt_repl.lua.convert import to_lua
from smelt_repl.lua.limits import STRIP_LUA, install_limits
from smelt_repl.lua.prelude import API_LUA, PRELUDE_CHUNK, SANDBOX_LUA
from smelt_repl.settings import DEFAULT_LUA_BUDGET
from smelt_repl.sigint import SigintGuard

DEFAULT_MAX_MEMORY = 256 * 1024 * 1024
HOOK_EVERY = 10_000  # instructions between two checks of the interrupt flag and budget
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class CallResult:
    """The outcome of one guarded call: ``values`` on success, else a one-line ``error``."""

    ok: bool
    values: tuple = ()
    error: str | None = None

    @property
    def value(self) -> Any:
        """The first returned value (None when there is none)."""
        return self.values[0] if self.values else None


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) Lua error into one line, dropping any traceback."""
    text = text.split("\nstack traceback:", 1)[0]
    return " ".join(part.strip() for part in text.splitlines() if part.strip()) or "unknown Lua error"


def _deny_attributes(obj: object, name: str, is_setting: bool) -> str:
    """Lua never gets to read or write attributes of Python objects."""
    raise AttributeError(f"access to Python attribute {name!r} is not allowed from Lua")


class LuaRuntimeBox:
    """A lupa ``lua54`` runtime with the sandbox of TECH-NOTES applied and a guarded call path."""

    def __init__(self, *, max_memory: int | None = DEFAULT_MAX_MEMORY,
                 budget: Callable[[], int | None] | None = None) -> None:
        self.lua = lua54.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            attribute_filter=_deny_attributes,
            unpack_returned_tuples=True,
            max_memory=max_memory,
        )
        self._budget = budget or (lambda: DEFAULT_LUA_BUDGET)
        self._lock = threading.RLock()
        self._depth = 0
        self._ticks = 0
        self._tick_limit: int | None = None
        self._budget_value = 0
        self._stop: str | None = None
        self._keyboard_interrupt = False
        self._deferred: deque[Callable[[], None]] = deque()
        self._draining = False
        strip = self.lua.execute(STRIP_LUA, name=PRELUDE_CHUNK)  # needs string.dump: before the sandbox
        sandbox = self.lua.execute(SANDBOX_LUA, self._tick, HOOK_EVERY, name=PRELUDE_CHUNK)
        self._invoke, self._compile, self._describe, hook, self._locate = sandbox
        self.pattern_check, self._forget_scans = install_limits(strip, hook)

    # -- entering Lua ----------------------------------------------------------------------

    def call(self, fn: Any, *args: Any) -> CallResult:
        """Call a Lua function under the budget; errors come back as text, never raised.

        Ctrl-C while Lua runs (SIGINT, or a KeyboardInterrupt inside Python code Lua called)
        stops the Lua first, as ``interrupted``; the interrupt is re-raised once the
        outermost entry has unwound.
        """
        args = tuple(to_lua(self.lua, arg) for arg in args)  # never a Python object into Lua
        with self._lock:
            if self._depth > 0:
                return self._result(self._invoke_counted(fn, args))
            self._start_entry()
            with SigintGuard(self.interrupt) as sigint:
                raw = self._invoke_counted(fn, args)
            self._release_scans()
            self._stop = None
            keyboard_interrupt, self._keyboard_interrupt = self._keyboard_interrupt, False
        sigint.deliver()
        if keyboard_interrupt:
            raise KeyboardInterrupt
        self._drain()
        return self._result(raw)

    def _invoke_counted(self, fn: Any, args: tuple) -> Any:
        self._depth += 1
        try:
            return self._invoke(fn, *args)
        except lua54.LuaError as exc:  # e.g. out of memory while converting arguments
            return (False, str(exc) or "not enough memory")
        finally:
            self._depth -= 1

    def _result(self, raw: Any) -> CallResult:
        if not isinstance(raw, tuple):  # lupa returns a single value bare
            raw = (raw,)
        if raw[0]:
            return CallResult(True, tuple(raw[1:]))
        return CallResult(False, error=one_line(self._error_text(raw[1])))

    def run_or_defer(self, thunk: Callable[[], None]) -> None:
        """Run ``thunk`` (which enters Lua) now, unless another thread is inside Lua: then queue
        it for that thread to run when its entry ends.

        Used for events, which other threads (a streaming turn) may emit while the UI thread
        runs Lua that waits for them (cancelling the turn): blocking there would deadlock.
        """
        if self._lock.acquire(blocking=False):
            try:
                thunk()
            finally:
                self._lock.release()
        else:
            self._deferred.append(thunk)
        self._drain()

    def run_later(self, thunk: Callable[[], None]) -> None:
        """Queue ``thunk`` (which enters Lua) to run once no Lua runs: now when idle, else when
        the running entry ends (on this thread too: a task resumed from inside Lua waits)."""
        self._deferred.append(thunk)
        self._drain()

    def _drain(self) -> None:
        while self._deferred:
            if not self._lock.acquire(blocking=False):
                return  # the thread inside Lua drains when its entry ends
            try:
                if self._depth > 0 or self._draining:
                    return
                self._draining = True
                try:
                    while self._deferred:
                        self._deferred.popleft()()
                finally:
                    self._draining = False
            finally:
                self._lock.release()

    def compile(self, source: str | bytes, chunkname: str) -> CallResult:
        """Compile Lua source text (never bytecode) into a function, or a one-line syntax error."""
        with self._lock:
            try:
                fn, err = self._compile(source, chunkname)
            except lua54.LuaError as exc:
                return CallResult(False, error=one_line(str(exc) or "not enough memory"))
        if fn is None:
            return CallResult(False, error=one_line(self._error_text(err)))
        return CallResult(True, (fn,))

    def run(self, source: str | bytes, chunkname: str, *args: Any) -> CallResult:
        """Compile and call a chunk."""
        compiled = self.compile(source, chunkname)
        return self.call(compiled.value, *args) if compiled.ok else compiled

    def install_api(self, bindings: dict[str, Callable[..., tuple]]) -> Any:
        """Build the ``smelt`` table from guarded Python callables, give it smelt's shapes
        (``lua.compat``) and make it a global; returns the Lua function that resumes tasks."""
        with self._lock:
            table = self.lua.table_from(bindings)
            smelt = self.lua.execute(API_LUA, table, self._describe, name=PRELUDE_CHUNK)
            resume = self.lua.execute(COMPAT_LUA, smelt, self._describe, self.lua.table_from(CONFIG_ONLY),
                                      self.lua.table_from(MISSING), self._locate, name=PRELUDE_CHUNK)
            self.lua.globals().smelt = smelt
        return resume

    def install(self, source: str, *args: Any) -> Any:
        """Run host Lua set-up code (named as the prelude: error locations skip it) with ``args``."""
        with self._lock:
            return self.lua.execute(source, *args, name=PRELUDE_CHUNK)

    # -- stopping Lua ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while some Lua code of this runtime is executing."""
        return self._depth > 0

    def interrupt(self) -> None:
        """Stop the running Lua at its next hook (thread-safe; no effect when idle)."""
        if self._depth > 0:
            self._stop = INTERRUPTED

    def note_keyboard_interrupt(self) -> None:
        """Record a Ctrl-C that reached Python code called from Lua: stop, then re-raise later."""
        self._keyboard_interrupt = True
        self._stop = INTERRUPTED

    def _release_scans(self) -> None:
        """Let a large subject the pattern guards scanned be collected once the entry ends."""
        try:
            self._forget_scans()
        except lua54.LuaError:
            pass  # out of memory: the next scan replaces it anyway

    def _start_entry(self) -> None:
        self._ticks = 0
        self._stop = None
        budget = self._budget_value = self._budget() or 0
        self._tick_limit = -(-budget // HOOK_EVERY) if budget else None

    def _tick(self) -> str | None:
        try:
            if self._depth == 0:  # Lua run outside a guarded entry (set-up, compiling)
                return None
            if self._stop:
                return self._stop
            self._ticks += 1
            if self._tick_limit is not None and self._ticks > self._tick_limit:
                self._stop = (f"instruction budget exceeded ({self._budget_value} instructions, "
                              "smelt.settings.lua_budget)")
                return self._stop
            return None
        except KeyboardInterrupt:
            self.note_keyboard_interrupt()
            return INTERRUPTED

    def _error_text(self, err: Any) -> str:
        if isinstance(err, str):
            return err
        if isinstance(err, bytes):
            return err.decode("utf-8", errors="replace")
        try:
            return str(self._describe(err))
        except Exception:
            return "unknown Lua error"
