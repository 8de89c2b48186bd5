"""``smelt.cmd/events/keymap/provider/settings/system/notify`` and error isolation."""

from __future__ import annotations

import pytest

from tests.lua_helpers import headless_host, host, lua, lua_value  # noqa: F401

# -- commands ---------------------------------------------------------------------------------

def test_register_list_and_run_command(host, ui):
    lua(host, """
        smelt.cmd.register("greet", function(args) print("hello " .. args) end, {desc = "say hello"})
        smelt.cmd.register(":zap", function() end)
    """)
    assert host.commands() == [("greet", "say hello"), ("zap", "")]
    assert lua_value(host, "smelt.cmd.list()") == [
        {"name": "greet", "desc": "say hello"}, {"name": "zap", "desc": ""}]
    assert host.run_command("greet", "world") is True
    assert host.run_command("nope", "") is False
    lua(host, "smelt.cmd.run(':greet\t there ')")
    assert ui.outputs == ["hello world", "hello there"]


def test_cmd_run_calls_handler_and_propagates_errors(host, ui):
    lua(host, """
        smelt.cmd.register("boom", function() error("kaboom") end)
        smelt.cmd.register("echo", function(a) return a end)
    """)
    assert lua_value(host, "smelt.cmd.run(':echo  a b ')") == "a b"
    ok, msg = lua_value(host, "{pcall(smelt.cmd.run, 'boom')}")
    assert ok is False and msg.endswith("kaboom")
    ok, msg = lua_value(host, "{pcall(smelt.cmd.run, 'missing')}")
    assert (ok, msg) == (False, "unknown command :missing")


def test_bad_command_registration(host):
    ok, msg = lua_value(host, "{pcall(smelt.cmd.register, 'two words', function() end)}")
    assert ok is False and "invalid command name" in msg
    ok, msg = lua_value(host, "{pcall(smelt.cmd.register, 'x', 'not a function')}")
    assert msg == "smelt.cmd.register: handler must be a function, got string"


def test_command_error_is_one_line_and_program_continues(host, ui):
    lua(host, 'smelt.cmd.register("bad", function(args)\n  local t = nil\n  return t.x\nend)', chunk="plug.lua")
    assert host.run_command("bad", "") is True
    assert ui.errors == ["plug.lua:3: attempt to index a nil value (local 't')"]
    assert lua_value(host, "1 + 1") == 2


# -- events -----------------------------------------------------------------------------------

def test_events_on_emit_and_unsubscribe(host, app):
    lua(host, """
        got = {}
        local off = smelt.events.on("my_plugin", function(p) got[#got + 1] = p.n end)
        smelt.events.emit("my_plugin", {n = 1})
        off()
        smelt.events.emit("my_plugin", {n = 2})
    """)
    assert lua_value(host, "got") == [1]
    python_seen = []
    app.events.on("from_lua", python_seen.append)
    lua(host, 'smelt.events.emit("from_lua", {list = {1, 2}, nested = {a = true}})')
    assert python_seen == [{"list": [1, 2], "nested": {"a": True}}]


def test_app_events_reach_lua_with_payloads(host, app):
    lua(host, """
        log = {}
        for _, name in ipairs({"turn_start", "stream_delta", "turn_end"}) do
          smelt.events.on(name, function(p) log[#log + 1] = {name = name, p = p} end)
        end
    """)
    app.send("hello there")
    log = lua_value(host, "log")
    assert log[0] == {"name": "turn_start", "p": {"text": "hello there"}}
    assert any(e["name"] == "stream_delta" for e in log)
    assert log[-1]["name"] == "turn_end" and log[-1]["p"]["cancelled"] is False


def test_event_handler_error_is_isolated(host, app, ui):
    lua(host, """
        after = 0
        smelt.events.on("ping", function() error("handler broke") end)
        smelt.events.on("ping", function() after = after + 1 end)
    """, chunk="events.lua")
    app.events.emit("ping", {})
    assert ui.errors == ["events.lua:3: handler broke"]
    assert lua_value(host, "after") == 1


# -- keymaps ----------------------------------------------------------------------------------

def test_keymap_set_binds_a_safe_python_action(host, ui):
    lua(host, """
        hits = 0
        smelt.keymap.set("n", "gx", function() hits = hits + 1 end, {desc = "count"})
        smelt.keymap.set("i", "<c-x>", function() error("nope") end)
    """, chunk="keys.lua")
    action, desc = ui.keymaps[("n", "gx")]
    assert desc == "count"
    action()
    action("event-object")
    assert lua_value(host, "hits") == 2
    bad, _ = ui.keymaps[("i", "<c-x>")]
    bad()
    assert ui.errors == ["keys.lua:4: nope"]


def test_keymap_bad_mode(host):
    ok, msg = lua_value(host, "{pcall(smelt.keymap.set, 'o', 'x', function() end)}")
    assert ok is False and msg.startswith('smelt.keymap.set: mode must be one of "n" (normal)') and "'o'" in msg


@pytest.mark.parametrize("call,name", [
    ("smelt.keymap.set('n', 'x', function() end)", "keymap.set"),
    ("smelt.cmd.run('anything')", "cmd.run"),
])
def test_ui_tier_functions_refuse_headless(headless_host, call, name):
    ok, msg = lua_value(headless_host, f"{{pcall(function() return {call} end)}}")
    assert ok is False and msg == f"smelt.{name} is UiHost-only: it needs the terminal UI (headless mode)"


def test_host_tier_works_headless(headless_host, headless_app, capsys):
    lua(headless_host, """
        smelt.cmd.register("x", function() end)
        smelt.events.on("x", function() end)
        smelt.settings.model = "offline/default"
        smelt.system.append("extra")
        smelt.notify("to stderr")
        print("also", 2)
    """)
    assert headless_app.settings["model"] == "offline/default" and headless_app.system_sections == ["extra"]
    captured = capsys.readouterr()
    assert (captured.err, captured.out) == ("to stderr\n", "also\t2\n")  # print: stdout headless


# -- settings, system, output -----------------------------------------------------------------

def test_settings_proxy_reads_and_writes_app_settings(host, app):
    lua(host, """
        smelt.settings.model = "ollama/llama3.2"
        smelt.settings.vim = false
        smelt.settings.my_plugin = {level = 3, tags = {"a", "b"}}
    """)
    assert app.settings["model"] == "ollama/llama3.2" and app.settings["vim"] is False
    assert app.settings["my_plugin"] == {"level": 3, "tags": ["a", "b"]}
    app.settings["from_python"] = 7
    assert lua_value(host, "smelt.settings.from_python") == 7
    lua(host, "smelt.settings.my_plugin = nil")
    assert "my_plugin" not in app.settings
    keys = lua_value(host, "(function() local t = {} for k in pairs(smelt.settings) do t[#t+1] = k end "
                           "return t end)()")
    assert "model" in keys and "from_python" in keys
    assert lua_value(host, "getmetatable(smelt.settings)") == "smelt.settings"


def test_settings_type_errors(host, app):
    ok, msg = lua_value(host, "{pcall(function() smelt.settings.vim = 'yes' end)}")
    assert ok is False and msg == "smelt.settings.vim must be a boolean, got string"
    assert app.settings["vim"] is True


def test_print_joins_with_tabs_like_lua(host, ui):
    lua(host, "print('a', 1, nil, true, 2.5)\nprint()\nsmelt.notify(42)\nprint('bad\\xffbyte')")
    assert ui.outputs == ["a\t1\tnil\ttrue\t2.5", "", "42", "bad\ufffdbyte"]


def test_notify_error_level(host, ui):
    lua(host, "smelt.notify('careful', {level = 'error'})")
    assert ui.errors == ["careful"]


def test_only_plain_lua_values_are_exposed(host):
    kinds = lua_value(host, """(function()
        local kinds = {}
        local function walk(t, path)
          for k, v in next, t do  -- raw: not the settings proxy's __pairs
            local p = path .. "." .. k
            if type(v) == "table" then walk(v, p) else kinds[#kinds + 1] = type(v) end
          end
        end
        walk(smelt, "smelt")
        return kinds
    end)()""")
    assert kinds and set(kinds) <= {"function", "string"}


# -- exec and interrupt through the host -------------------------------------------------------

def test_exec_reports_errors_and_prints_expressions(host, ui):
    assert host.exec("local x = ") is None
    assert ui.errors == [":lua:1: unexpected symbol near <eof>"]
    host.exec("=1 + 2, 'x'")
    assert ui.outputs == ["3\tx"]


def test_budget_from_settings(host, app, ui):
    app.settings["lua_budget"] = 100_000
    lua(host, 'smelt.cmd.register("spin", function() while true do end end)', chunk="spin.lua")
    assert host.run_command("spin", "") is True
    assert ui.errors == [
        "spin.lua:1: instruction budget exceeded (100000 instructions, smelt.settings.lua_budget)"]
    assert lua_value(host, "'still alive'") == "still alive"


def test_interrupt_stops_an_event_handler(host, app, ui):
    import threading
    import time

    app.settings["lua_budget"] = 0
    lua(host, 'smelt.events.on("spin", function() while true do end end)', chunk="spin.lua")

    def ctrl_c() -> None:
        while not host.running:
            time.sleep(0.005)
        time.sleep(0.05)
        host.interrupt()

    thread = threading.Thread(target=ctrl_c)
    thread.start()
    app.events.emit("spin", {})
    thread.join()
    assert ui.errors == ["spin.lua:1: interrupted"]


# -- providers --------------------------------------------------------------------------------

def test_provider_register_and_real_request(host, app, provider_server):
    provider_server.script(text="Hello from Lua's provider.", usage={"input": 40, "output": 6})
    lua(host, f"""
        smelt.provider.register("local", {{
          kind = "openai-compatible",
          api_base = "{provider_server.openai_base}",
          retry_backoff = 0.01,
          models = {{ m = {{ context_window = 1000 }} }},
        }})
        smelt.settings.model = "local/m"
    """)
    assert app.providers["local"].models["m"].context_window == 1000
    result = app.send("hi")
    assert result.reply == "Hello from Lua's provider."
    assert provider_server.requests[-1].body["model"] == "m"
    assert lua_value(host, "smelt.session.context_window()") == 1000
    assert lua_value(host, "smelt.session.context_tokens()") == 40


def test_provider_register_errors_are_lua_errors(host):
    ok, msg = lua_value(host, "{pcall(smelt.provider.register, 'x', {kind = 'openai-compatible'})}")
    assert ok is False and msg == "provider 'x': api_base is required for kind 'openai-compatible'"
    ok, msg = lua_value(host, "{pcall(smelt.provider.register, 'x', {api_key = 'sk-123'})}")
    assert ok is False and "keys are never stored" in msg


def test_event_from_another_thread_while_lua_waits_for_it(host, app):
    """A worker thread's event must not block on Lua that is waiting for that worker
    (the shape of cancelling a streaming turn from a keymap): it is delivered afterwards."""
    import threading

    joined = []

    def start_worker_and_wait(payload: dict) -> None:
        worker = threading.Thread(target=lambda: app.events.emit("ping", {"from": "worker"}))
        worker.start()
        worker.join(timeout=5)
        joined.append(not worker.is_alive())

    app.events.on("wait_for_worker", start_worker_and_wait)
    lua(host, """
        pings = {}
        smelt.events.on("ping", function(p) pings[#pings + 1] = p["from"] end)
        smelt.events.emit("wait_for_worker", {})
        during = #pings
    """)
    assert joined == [True]
    assert lua_value(host, "during") == 0 and lua_value(host, "pings") == ["worker"]


def test_cmd_run_hands_builtins_to_the_ui(host, ui):
    assert lua_value(host, "smelt.cmd.run(':cost  now ')") is None
    assert ui.builtin_runs == [("cost", "now")]
    ok, msg = lua_value(host, "{pcall(smelt.cmd.run, ':nosuch')}")
    assert (ok, msg) == (False, "unknown command :nosuch")


def test_lua_equals_prints_values_and_tables_readably(host, app, ui):
    app.send("hi")
    host.exec('=smelt.session.tokens().total > 0, {1, "two", {k = "v"}}, nil')
    assert ui.outputs[-1] == 'true\t{1, "two", {k = "v"}}\tnil'
    host.exec("=smelt.session.tokens()")
    assert ui.outputs[-1].startswith("{cache_hit_ratio = ") and "total = " in ui.outputs[-1]


def test_settings_show_their_defaults(host):
    from smelt_repl.system_prompt import DEFAULT_SYSTEM_PROMPT

    assert lua_value(host, "smelt.settings.lua_budget") == 50_000_000
    assert lua_value(host, "smelt.settings.system_prompt") == DEFAULT_SYSTEM_PROMPT
    assert lua_value(host, "smelt.session.system()").startswith(DEFAULT_SYSTEM_PROMPT)
