"""Every example in examples/lua runs as-is and does what its README says."""

from __future__ import annotations

import pytest

from tests.lua_helpers import EXAMPLES, headless_host, host, lua, lua_value  # noqa: F401


def load_example(host, name: str) -> None:
    assert host.run_file(EXAMPLES / name), f"{name} failed to load"


def test_search(host, app, ui):
    app.send("we talked about the bravo project")
    bravo = app.session.id
    app.reset()
    app.send("something else entirely")
    app.reset()
    load_example(host, "search.lua")
    assert host.run_command("search", "BRAVO")
    assert ui.outputs == [f"{bravo[:8]}  we talked about the bravo project"]
    host.run_command("search", "zulu")
    assert ui.outputs[-1] == "no saved session mentions zulu"
    host.run_command("search", "")
    assert ui.outputs[-1] == "usage: :search WORD"
    assert ui.errors == []


def test_cost_status(host, app, ui, provider_server):
    provider_server.script(text="ok", usage={"input": 1234, "output": 10})
    lua(host, f"""
        smelt.provider.register("loop", {{
          api_base = "{provider_server.openai_base}",
          models = {{ m = {{ context_window = 128000, input_price = 1, output_price = 2 }} }},
        }})
        smelt.settings.model = "loop/m"
    """)
    load_example(host, "cost_status.lua")
    app.send("hi")
    assert ui.outputs[-1] == "$0.0013 · ctx 1234/128000"
    assert ui.errors == []


def test_cost_status_is_quiet_headless(store, tmp_path, capsys):
    from smelt_repl.app import App
    from smelt_repl.lua_host import LuaHost

    headless = App(store, cwd=str(tmp_path), env={})
    headless.start()
    try:
        load_example(LuaHost(headless), "cost_status.lua")
        headless.send("hi")
    finally:
        headless.shutdown()
    assert "error" not in capsys.readouterr().err


def test_rewind_keymap(host, app, ui):
    app.send("first")
    app.send("second question")
    load_example(host, "rewind_keymap.lua")
    action, desc = ui.keymaps[("n", "gr")]
    assert desc == "rewind to the last user turn and edit it"
    action()
    assert ui.prompt == "second question" and ui.vim_insert
    assert [m["content"] for m in app.session.messages if m["role"] == "user"] == ["first"]
    assert ui.errors == []


def test_rewind_keymap_on_empty_session(host, ui):
    load_example(host, "rewind_keymap.lua")
    ui.keymaps[("n", "gr")][0]()
    assert ui.outputs == ["nothing to rewind"] and ui.errors == []


def test_fork_tag(host, app, ui):
    app.send("base idea")
    parent = app.session.id
    load_example(host, "fork_tag.lua")
    lua(host, 'branches = {}\nsmelt.events.on("branch", function(b) branches[#branches + 1] = b end)')
    assert host.run_command("branch", "experiment")
    child = app.session.id
    assert child != parent and app.session.parent_id == parent
    assert ui.outputs == [f"branch experiment: now in {child[:8]} (forked from {parent[:8]})"]
    assert lua_value(host, "branches") == [{"name": "experiment", "id": child, "parent_id": parent}]


def test_local_model(host, app):
    load_example(host, "local_model.lua")
    assert app.settings["model"] == "local/llama3.2"
    assert app.providers["local"].api_base == "http://127.0.0.1:11434/v1"
    assert app.context_window() == 128000
    assert app.system().endswith("Answer briefly; prefer code over prose when both would do.")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.lua")), ids=lambda p: p.name)
def test_every_example_loads_quietly_as_a_headless_plugin(headless_host, capsys, path):
    """Installed in plugins/, an example must not add an error to every `smelt-repl -p` run."""
    assert headless_host.run_file(path), f"{path.name} failed to load headless"
    assert capsys.readouterr().err == ""


def test_share_in_the_real_repl(store, tmp_path, monkeypatch):
    from smelt_repl.clipboard import osc52
    from tests.shell_driver import ShellDriver

    monkeypatch.setattr("smelt_repl.clipboard.system_tool", lambda: None)
    config = tmp_path / "config"
    (config / "plugins").mkdir(parents=True)
    (config / "plugins" / "share.lua").write_text((EXAMPLES / "share.lua").read_text())
    project = tmp_path / "project"
    project.mkdir()
    with ShellDriver(store, project, lua_config=config) as sh:
        sh.command(":share")
        sh.wait_output("share: nothing to share yet")
        sh.submit("hello")
        reply = [m for m in sh.app.session.messages if m["role"] == "assistant"][-1]["content"]
        sh.command(":share")
        sh.wait_for(lambda: sh.shell.picker.active, what="the share picker")
        sh.type("\r")
        out = sh.wait_output("share: copied")
        assert f"share: copied {len(reply.encode())} characters of this session ({sh.app.resolved_model().key})" in out
        assert osc52(reply) in "".join(sh.chunks)
        sh.command(":share")
        sh.wait_for(lambda: sh.shell.picker.active, what="the share picker")
        sh.type("\x1b")
        sh.wait_output("share: cancelled")
        assert "error" not in sh.output.lower()
