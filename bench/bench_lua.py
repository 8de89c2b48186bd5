"""Lua host benchmarks: Lua → Python round trip, the guarded string functions (what the
run-away guards of ``smelt_repl.lua.limits`` cost normal use, and the longest call they let
run) and the start-up cost of the host.

Run: ``python bench/bench_lua.py`` (a few seconds; data in a temp dir).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report, time_ms  # noqa: E402

from smelt_repl.app import App  # noqa: E402
from smelt_repl.lua_host import LuaHost  # noqa: E402
from smelt_repl.session_core import SessionStore  # noqa: E402

CALLS = 200_000
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "lua"
INIT_LUA = """
smelt.provider.register("local", {kind = "openai-compatible", api_base = "http://127.0.0.1:11434/v1",
  models = {["llama3.2"] = {context_window = 128000}}})
smelt.settings.model = "local/llama3.2"
smelt.settings.vim = true
smelt.system.append("Be brief.")
for i = 1, 20 do
  smelt.cmd.register("cmd" .. i, function(args) return args end, {desc = "command " .. i})
end
smelt.events.on("turn_end", function(ev) end)
"""


class NullUi:
    """A UI host that draws nothing (UiHost tier enabled)."""

    def set_prompt_text(self, text: str) -> None: ...
    def enter_vim_insert(self) -> None: ...
    def output(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def show_session(self, messages: list[dict]) -> None: ...
    def cancel_turn(self) -> None: ...
    def add_keymap(self, mode: str, keys: str, action: object, desc: str | None) -> None: ...


def per_call_us(host: LuaHost, body: str) -> float:
    """Microseconds per iteration of ``body`` in a Lua loop, minus the empty loop's cost."""
    def loop(code: str) -> float:
        start = time.perf_counter()
        result = host.runtime.run(f"local f = ... for i = 1, {CALLS} do {code} end", "=bench")
        assert result.ok, result.error
        return time.perf_counter() - start

    empty = min(loop("") for _ in range(3))
    full = min(loop(body) for _ in range(3))
    return (full - empty) / CALLS * 1e6


def bench_round_trip(app: App) -> None:
    host = LuaHost(app)
    per_call_us(host, "smelt.session.id()")  # warm-up
    value = per_call_us(host, "smelt.session.id()")
    report("Lua -> smelt.session.id() round trip", value, "us", "<= 5 us", value <= 5)
    report("Lua -> smelt.settings.model read", per_call_us(host, "local m = smelt.settings.model"), "us")
    report("Lua -> smelt.session.tokens() (table back)", per_call_us(host, "smelt.session.tokens()"), "us")
    host.exec('smelt.cmd.register("noop", function() end)')
    per_10k_ms = time_ms(lambda: [host.run_command("noop") for _ in range(10_000)])
    report("Python -> Lua command (host.run_command)", per_10k_ms / 10, "us")


STRING_CALLS = {
    "string.find(line, 'needle', 1, true)": "string.find(LINE, 'quick', 1, true)",
    "line:find('%w+')": "LINE:find('%w+')",
    "line:match('^%s*(.-)%s*$') (trim)": "LINE:match('^%s*(.-)%s*$')",
    "line:gsub('%s+', ' ')": "LINE:gsub('%s+', ' ')",
    "for w in line:gmatch('%a+')": "for w in LINE:gmatch('%a+') do end",
    "string.rep('ab', 40)": "string.rep('ab', 40)",
    "string.format('%d: %s', i, line)": "string.format('%d: %s', i, LINE)",
    "table.concat(ten_words, ' ')": "table.concat(WORDS, ' ')",
}
BIG_CALLS = {
    "1 MiB text: gmatch('[^\\n]+') lines": "for l in BIG:gmatch('[^\\n]+') do end",
    "1 MiB text: gsub('%s+', ' ')": "BIG:gsub('%s+', ' ')",
    "1 MiB text: gmatch('(.-)\\n') lines": "for l in BIG:gmatch('(.-)\\n') do end",
    "1 MiB text: trim": "BIG:match('^%s*(.-)%s*$')",
}
STRING_SETUP = """
LINE = "  The quick brown fox jumps over the lazy dog, again and again.  "
WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
local parts = {}
for i = 1, 16384 do parts[i] = LINE .. i end
BIG = table.concat(parts, "\\n")
"""


def bench_strings(app: App) -> None:
    host = LuaHost(app)
    assert host.runtime.run(STRING_SETUP, "=setup").ok
    for name, body in STRING_CALLS.items():
        report(name, per_call_us(host, body), "us")
    for name, body in BIG_CALLS.items():
        result = host.runtime.run(f"local t = os.clock() {body} return os.clock() - t", "=big")
        assert result.ok, result.error
        report(name, result.value * 1000, "ms")


WORST_SHAPES = [  # (function, character the subject repeats, pattern): backtracking worst cases
    ("find", "a", "a*b"), ("find", "a", ".-b"), ("find", "a", "a*a*a*b"), ("find", "(", "%b()"),
    ("find", " ", "%s*%S"), ("gmatch", "a", "(%w+)=(%w+)"), ("gsub", "a", "."), ("gsub", "a", "a" * 60 + "b"),
]


def bench_worst_allowed() -> None:
    """For each backtracking shape, the longest subject the guard accepts and how long the
    unguarded C function takes on it: what one allowed call can make Ctrl-C wait."""
    import lupa.lua54 as lua54

    from smelt_repl.lua.runtime import LuaRuntimeBox

    box = LuaRuntimeBox(budget=lambda: 0, max_memory=None)
    timed = lua54.LuaRuntime().eval(
        "function(name, s, p) local f, c = string[name], os.clock() "
        "if name == 'gmatch' then for _ in f(s, p) do end elseif name == 'gsub' then f(s, p, 'x') "
        "else f(s, p) end return os.clock() - c end")

    def accepted(name: str, subject: str, pattern: str) -> bool:
        verdict = box.pattern_check(name, subject, pattern, None, None)
        return isinstance(verdict, tuple) and verdict[0] is None

    for name, char, pattern in WORST_SHAPES:
        lo, hi = 0, 1
        while hi < 2**26 and accepted(name, char * hi, pattern):
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if accepted(name, char * mid, pattern) else (lo, mid)
        seconds = timed(name, char * lo, pattern)
        report(f"worst allowed {name} {pattern[:12]!r} (n={lo})", seconds * 1000, "ms", "<= 500 ms", seconds <= 0.5)


def bench_startup(app: App, config_dir: Path) -> None:
    report("LuaHost(app), no config", time_ms(lambda: LuaHost(app), repeat=20), "ms")

    def with_config() -> None:
        LuaHost(app).load_config(config_dir)

    report("LuaHost(app) + init.lua + 5 example plugins", time_ms(with_config, repeat=20), "ms")
    report("import smelt_repl.lua_host (fresh process)", import_ms(""), "ms")
    report("  ... with session_core already imported", import_ms("import smelt_repl.session_core; "), "ms")


def import_ms(before: str) -> float:
    """Median time to import the Lua host in a fresh interpreter, after running ``before``."""
    code = (f"{before}import time; t = time.perf_counter(); import smelt_repl.lua_host; "
            "print((time.perf_counter() - t) * 1000)")
    samples = sorted(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout) for _ in range(5))
    return samples[2]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="smelt-bench-lua-"))
    try:
        config_dir = tmp / "config"
        (config_dir / "plugins").mkdir(parents=True)
        (config_dir / "init.lua").write_text(INIT_LUA)
        for example in EXAMPLES.glob("*.lua"):
            shutil.copy(example, config_dir / "plugins" / example.name)
        app = App(SessionStore(tmp / "sessions"), cwd=os.getcwd(), ui=NullUi(), env={})
        app.start()
        try:
            bench_round_trip(app)
            bench_strings(app)
            bench_worst_allowed()
            bench_startup(app, config_dir)
        finally:
            app.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
