"""smelt's Lua shapes (docs/smelt-compat.md) run unmodified: provider config, Regs, notify,
model, commands, tasks, dialogs, clipboard, session rows, settings and absent namespaces."""

from __future__ import annotations

import pytest

from smelt_repl.lua_host import LuaHost
from tests.lua_helpers import headless_host, host, lua, lua_value  # noqa: F401
from tests.recording_ui import RecordingUi


class PickerUi(RecordingUi):
    """A RecordingUi with the Shell's picker, terminal writes and keymap removal."""

    def __init__(self) -> None:
        super().__init__()
        self.pickers: list[tuple] = []
        self.sent: list[str] = []

    def open_picker(self, title, choices, on_pick, index=0, on_dismiss=None) -> None:
        self.pickers.append((title, [c.label for c in choices], on_pick, on_dismiss))

    def send_to_terminal(self, control: str) -> None:
        self.sent.append(control)

    def remove_keymap(self, mode: str, keys: str) -> None:
        self.keymaps.pop((mode, keys), None)


@pytest.fixture
def pui(app) -> PickerUi:
    app.ui = PickerUi()
    return app.ui


SPEC = """{ type = "openai-compatible", api_base = "http://localhost:11434/v1", api_key_env = "OLLAMA_KEY",
  models = { "glm-5", { name = "qwen", temperature = 0.8, tool_calling = true, input_cost = 2.0 } } }"""


# 1. provider config -------------------------------------------------------------------------

def test_unknown_model_key_is_one_warning_and_ignored(host, app, ui):
    lua(host, f"smelt.provider.register('ollama', {SPEC})")
    assert ui.outputs == ["warning: provider 'ollama', model 'qwen': ignoring unknown key 'tool_calling'"]
    assert app.providers["ollama"].models["qwen"].temperature == 0.8
    rows = lua_value(host, "smelt.provider.list()")
    row = next(r for r in rows if r["name"] == "ollama")
    assert row == {"name": "ollama", "type": "openai-compatible", "api_base": "http://localhost:11434/v1",
                   "api_key_env": "OLLAMA_KEY", "models": ["glm-5", "qwen"]}


# 2. Regs ------------------------------------------------------------------------------------

def test_registrations_return_regs_that_undo_them(host, app, pui):
    lua(host, f"""
        p = smelt.provider.register('mine', {SPEC})
        c = smelt.cmd.register('hi', function() end)
        k = smelt.keymap.set('n', '<C-y>', function() end)
        hits = 0
        e = smelt.events.on('ping', function() hits = hits + 1 end)
        smelt.events.emit('ping', {{}})
    """)
    assert "mine" in app.providers and host.commands_registry.get("hi") and ("n", "<C-y>") in pui.keymaps
    lua(host, "p:remove(); c:remove(); k:remove(); e:remove(); smelt.events.emit('ping', {})")
    assert "mine" not in app.providers and host.commands_registry.get("hi") is None
    assert ("n", "<C-y>") not in pui.keymaps and lua_value(host, "hits") == 1
    lua(host, "off = smelt.events.on('ping', function() hits = hits + 1 end); off(); smelt.events.emit('ping', {})")
    assert lua_value(host, "hits") == 1  # the Reg of events.on is also the old off()


def test_removing_a_reregistered_command_keeps_the_new_one(host):
    lua(host, "a = smelt.cmd.register('x', function() end); smelt.cmd.register('x', function() end); a:remove()")
    assert host.commands_registry.get("x") is not None


# 3. notify and print ------------------------------------------------------------------------

def test_notify_shapes_and_print(host, ui):
    lua(host, """
        smelt.notify("plain"); smelt.notify.info("info"); smelt.notify.warn("careful")
        smelt.notify.error("bad"); smelt.notify_error("worse"); print("out", 1)
    """)
    assert ui.outputs == ["plain", "info", "warning: careful", "out\t1"]
    assert ui.errors == ["bad", "worse"]


def test_print_goes_to_stdout_headless(headless_host, capsys):
    lua(headless_host, "print('to stdout'); smelt.notify('to stderr')")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("to stdout\n", "to stderr\n")


# 4. model -----------------------------------------------------------------------------------

def test_model_get_set_and_settings_model(host, app):
    lua(host, "smelt.provider.register('loc', " + SPEC.replace('api_key_env = "OLLAMA_KEY",', "") + ")")
    assert lua_value(host, "smelt.model.get()") == lua_value(host, "smelt.settings.model") == app.resolved_model().key
    lua(host, "smelt.model.set('loc/glm-5')")
    assert lua_value(host, "smelt.model.get()") == "loc/glm-5" == lua_value(host, "smelt.settings.model")
    ok, msg = lua_value(host, "{pcall(smelt.model.set, 'nope/x')}")
    assert ok is False and "nope" in msg
    lua(host, "smelt.settings.model = 'loc/qwen'")
    assert app.settings["model"] == "loc/qwen"


# 5. commands --------------------------------------------------------------------------------

def test_cmd_run_forms_and_lua_wins(host, ui):
    lua(host, """
        got = {}
        smelt.cmd.register('cost', function(arg) got[#got + 1] = arg == nil and 'nil' or arg end,
                           { desc = 'mine', while_busy = true, args = {'a'}, hidden = true })
        smelt.cmd.run('cost'); smelt.cmd.run('/cost two'); smelt.cmd.run(':cost')
    """)
    assert lua_value(host, "got") == ["nil", "two", "nil"] and ui.builtin_runs == []
    lua(host, "smelt.cmd.run('/help')")
    assert ui.builtin_runs == [("help", "")]
    assert host.hidden_commands() == {"cost"}
    host.run_command("cost", "")
    assert lua_value(host, "got[4]") == "nil"


# 7. tasks -----------------------------------------------------------------------------------

def test_spawn_and_sleep_resume_later(host, ui):
    lua(host, "steps = {} smelt.spawn(function() steps[1] = 'a' smelt.sleep(5) steps[2] = 'b' end) steps[3] = 'c'")
    assert host.wait_tasks(5)
    assert lua_value(host, "steps") == ["a", "b", "c"] and ui.errors == []


def test_task_error_is_one_line_and_sleep_outside_a_task_raises(host, ui):
    lua(host, "smelt.spawn(function()\n  smelt.sleep(1)\n  error('boom')\nend)", chunk="t.lua")
    assert host.wait_tasks(5)
    assert ui.errors == ["t.lua:3: boom"]
    ok, msg = lua_value(host, "{pcall(smelt.sleep, 1)}")
    assert ok is False and msg.endswith("smelt.sleep: call from inside smelt.spawn(fn)")


# 8. dialog and clipboard ----------------------------------------------------------------------

DIALOG = """smelt.spawn(function()
  r = smelt.ui.dialog.open({ title = "export", panels = {
    { kind = "options", items = { { label = "Copy" }, { label = "Write", action = "write" } } } } })
end)"""


def test_dialog_picks_and_dismisses(host, pui):
    lua(host, DIALOG)
    title, labels, on_pick, on_dismiss = pui.pickers[-1]
    assert (title, labels) == ("export", ["Copy", "Write"])
    on_pick(2)
    assert lua_value(host, "r") == {"action": "write", "option_index": 2, "inputs": {}}
    lua(host, DIALOG)
    pui.pickers[-1][3]()
    assert lua_value(host, "r.action") == "dismiss"
    ok, msg = lua_value(host, "{pcall(smelt.ui.dialog.open, {})}")
    assert ok is False and msg == "smelt.ui.dialog.open: call from inside smelt.spawn(fn)"


def test_clipboard_callable_and_write(host, pui, monkeypatch):
    monkeypatch.setattr("smelt_repl.clipboard.system_tool", lambda: None)
    lua(host, "smelt.clipboard('one'); smelt.clipboard.write('two')")
    from smelt_repl.clipboard import osc52

    assert pui.sent == [osc52("one"), osc52("two")]


# 9. session rows ------------------------------------------------------------------------------

def test_session_rows_title_and_messages(host, app):
    app.send("hello there")
    lua(host, "smelt.session.reset()")
    row = lua_value(host, "smelt.session.list()")[0]
    assert row["title"] == "" and row["parent_id"] == "" and row["subtitle"] == "hello there"
    assert lua_value(host, "smelt.session.title()") is None
    app.send("again")
    assert lua_value(host, "smelt.session.messages()[1]") == {"role": "user", "content": "again"}


# 10-11. unknown settings and namespaces ----------------------------------------------------------

def test_unknown_setting_kept_with_one_warning(host, ui):
    lua(host, "smelt.settings.show_cost = true; smelt.settings.show_cost = false")
    assert lua_value(host, "smelt.settings.show_cost") is False
    assert ui.outputs == ["warning: smelt.settings.show_cost is not a smelt-repl setting: kept, but unused"]


def test_absent_namespaces(host, ui):
    lua(host, "smelt.mcp.register('x', {}); smelt.mcp.register('y', {}); smelt.permissions.set_rules({})")
    assert ui.outputs == ["warning: smelt.mcp.register is not supported by smelt-repl: ignored",
                          "warning: smelt.permissions.set_rules is not supported by smelt-repl: ignored"]
    for expr, what in (("smelt.buf.create()", "smelt.buf.create"), ("smelt.win.open()", "smelt.win.open"),
                       ("smelt.tools.register()", "smelt.tools.register"), ("smelt.ui.picker.open()", "smelt.ui.picker")):
        ok, msg = lua_value(host, f"{{pcall(function() return {expr} end)}}")
        assert ok is False and msg == f"expr:1: {what} is not supported by smelt-repl (docs/smelt-compat.md)"


def test_host_is_fresh_per_app(app):
    assert LuaHost(app).hidden_commands() == set()


def test_a_dialog_with_options_and_inputs_in_the_real_repl(store, tmp_path, xdg):
    from tests.shell_driver import ShellDriver

    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text("""
smelt.cmd.register("ask", function()
  smelt.spawn(function()
    local r = smelt.ui.dialog.open{title = "Share as", panels = {
      {kind = "options", items = {{label = "gist"}, {label = "file", action = "save"}}},
      {kind = "input", name = "name", placeholder = "file name"},
      {kind = "input", name = "note"},
    }}
    smelt.notify(r.action .. " " .. tostring(r.option_index) .. " " .. tostring(r.inputs.name)
                 .. " " .. tostring(r.inputs.note))
  end)
end)
""")
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.command(":ask")
        sh.wait_for(lambda: sh.shell.picker.active, what="the options")
        sh.type("j\r")
        sh.wait_for(lambda: sh.shell.command_line.prefix == "file name: ", what="the first question")
        sh.type("notes.md\r")
        sh.wait_for(lambda: sh.shell.command_line.prefix == "note: ", what="the second question")
        sh.type("for later\r")
        sh.wait_output("save 2 notes.md for later")
        sh.command(":ask")
        sh.wait_for(lambda: sh.shell.picker.active, what="the options again")
        sh.type("\r")
        sh.wait_for(lambda: sh.shell.command_line.active, what="a question")
        sh.type("\x1b")
        sh.wait_output("dismiss nil nil nil")
        assert sh.buffer_text == ""


def test_a_smelt_style_init_lua_runs_in_the_real_repl(store, tmp_path, xdg, provider_server):
    from tests.shell_driver import ShellDriver

    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text(f"""
smelt.provider.register("local", {{
  type = "openai-compatible",
  api_base = "{provider_server.openai_base}",
  models = {{ "glm-5", {{ name = "qwen3.5:27b", temperature = 0.8, input_cost = 1, tool_calling = true }} }},
}})
smelt.model.set("local/qwen3.5:27b")
smelt.keymap.set("normal", "<leader>m", function() smelt.notify("model " .. smelt.model.get()) end)
smelt.cmd.register("cost", function() smelt.notify("my own cost view") end)
""")
    provider_server.script(text="from qwen")
    with ShellDriver(store, tmp_path, lua_config=config) as sh:
        sh.submit("hello")
        body = provider_server.requests[-1].body
        assert body["model"] == "qwen3.5:27b" and body["temperature"] == 0.8
        sh.escape()
        sh.type("\\m")
        sh.wait_output("model local/qwen3.5:27b")
        sh.command(":cost")
        sh.wait_output("my own cost view")
        assert "ignoring unknown key 'tool_calling'" in sh.output
