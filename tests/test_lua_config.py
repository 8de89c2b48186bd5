"""Loading user config (init.lua, plugins/*.lua), single files, and ``--headless --lua``."""

from __future__ import annotations

from pathlib import Path

from smelt_repl.cli import main
from tests.lua_helpers import headless_host, host, lua_value  # noqa: F401


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_init_then_plugins_in_sorted_order(host, app, tmp_path):
    config = tmp_path / "cfg"
    write(config / "init.lua", "order = {'init'}\nsmelt.settings.model = 'offline/x'")
    write(config / "plugins" / "b.lua", "order[#order + 1] = 'b'")
    write(config / "plugins" / "a.lua", "order[#order + 1] = 'a'")
    write(config / "plugins" / "notes.txt", "not lua")
    assert host.load_config(config) is True
    assert lua_value(host, "order") == ["init", "a", "b"]
    assert app.settings["model"] == "offline/x"


def test_config_error_is_one_line_and_next_file_still_loads(host, ui, tmp_path):
    config = tmp_path / "cfg"
    write(config / "init.lua", "local ok = true\n\nfoo()\nnever = true")
    write(config / "plugins" / "broken.lua", "x = = 1")
    write(config / "plugins" / "good.lua", "good = true")
    assert host.load_config(config) is False
    assert ui.errors == [
        "init.lua:3: attempt to call a nil value (global 'foo')",
        "plugins/broken.lua:1: unexpected symbol near '='",
    ]
    assert lua_value(host, "good") is True and lua_value(host, "never") is None


def test_missing_config_dir_is_fine(host, tmp_path):
    assert host.load_config(tmp_path / "nowhere") is True


def test_config_can_require_its_own_modules(host, tmp_path):
    config = tmp_path / "cfg"
    write(config / "lua" / "helpers.lua", "return {answer = function() return 42 end}")
    write(config / "init.lua", "answer = require('helpers').answer()")
    assert host.load_config(config) is True
    assert lua_value(host, "answer") == 42


def test_runaway_config_file_is_stopped(host, app, ui, tmp_path):
    app.settings["lua_budget"] = 200_000
    config = tmp_path / "cfg"
    write(config / "init.lua", "while true do end")
    write(config / "plugins" / "after.lua", "after = true")
    assert host.load_config(config) is False
    assert ui.errors[0].startswith("init.lua:1: instruction budget exceeded")
    assert lua_value(host, "after") is True


def test_run_file(headless_host, tmp_path, capsys):
    good = write(tmp_path / "good.lua", "print('ran')")
    bad = write(tmp_path / "bad.lua", "\nerror('nope')")
    assert headless_host.run_file(good) is True
    assert headless_host.run_file(bad) is False
    assert headless_host.run_file(tmp_path / "missing.lua") is False
    captured = capsys.readouterr()
    assert captured.out == "ran\n"  # print: stdout headless; errors: stderr
    err = captured.err.splitlines()
    assert err[0] == f"error: {bad}:2: nope"
    assert err[1].startswith(f"error: {tmp_path / 'missing.lua'}: cannot read Lua file")


def test_cli_headless_lua(xdg, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ok.lua", "smelt.cmd.register('x', function() end)\nprint(#smelt.cmd.list())")
    write(tmp_path / "ui.lua", "print(smelt.session.id())")
    assert main(["--headless", "--lua", "ok.lua"]) == 0
    assert capsys.readouterr().out == "1\n"
    assert main(["--headless", "--lua", "ui.lua"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: ui.lua:1: smelt.session.id is UiHost-only: it needs the terminal UI (headless mode)")


def test_cli_headless_loads_init_lua(xdg, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(xdg["config"] / "smelt" / "init.lua", "smelt.cmd.register('from_init', function() end)")
    write(tmp_path / "check.lua", "assert(smelt.cmd.list()[1].name == 'from_init')")
    assert main(["--headless", "--lua", "check.lua"]) == 0


def test_ctrl_c_stops_headless_lua_with_exit_130(xdg, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    write(xdg["config"] / "smelt" / "init.lua", "smelt.settings.lua_budget = 0")  # only Ctrl-C stops it
    write(tmp_path / "loop.lua", "print('looping')\nwhile true do end")
    proc = subprocess.Popen([sys.executable, "-m", "smelt_repl", "--headless", "--lua", "loop.lua"],
                            cwd=tmp_path, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "looping\n"  # print: stdout headless
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
    finally:
        proc.kill()
