"""Lua host benchmarks: Lua → Python round trip and the start-up cost of the host.

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
            bench_startup(app, config_dir)
        finally:
            app.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
