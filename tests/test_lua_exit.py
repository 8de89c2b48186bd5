"""``os.exit`` in Lua is a clean quit: the App is asked to exit (the REPL quits as on ``:q``),
the script stops with an error a ``pcall`` may catch, nothing is reported as an error, and
a headless ``--lua`` run ends with the code after the normal shutdown."""

from __future__ import annotations

import pytest

from tests.lua_helpers import headless_host, host  # noqa: F401
from tests.test_cli_sessions import run_cli


@pytest.mark.parametrize("call, code", [
    ("os.exit(3)", 3), ("os.exit()", 0), ("os.exit(true)", 0), ("os.exit(false)", 1),
    ("os.exit('5')", 5), ("os.exit(2.0)", 2), ("require('os').exit(7)", 7),
])
def test_os_exit_quits_and_stops_the_script(host, app, ui, call, code):  # noqa: F811
    result = host.run_chunk(f"print('before')\n{call}\nprint('after')", "@quit.lua")
    assert not result.ok and result.error.startswith("quit.lua:2: ")
    assert (app.exit_code, ui.quits) == (code, 1)
    assert ui.outputs == ["before"] and ui.errors == []


def test_a_pcall_catches_the_error_but_the_quit_still_happens(host, app, ui):  # noqa: F811
    assert host.run_chunk("local ok, err = pcall(os.exit, 4)\nprint(ok, err)", "@p.lua").ok
    assert (app.exit_code, ui.quits) == (4, 1)
    assert ui.outputs == ["false\tos.exit: quitting"]


def test_os_exit_in_a_command_handler(host, app, ui):  # noqa: F811
    host.exec('smelt.cmd.register("bye", function() os.exit(0) end)')
    assert host.run_command("bye") is True
    assert (app.exit_code, ui.quits, ui.errors) == (0, 1, [])


@pytest.mark.parametrize("call, message", [
    ("os.exit('soon')", "bad argument #1 to 'exit' (number expected, got string)"),
    ("os.exit(1.5)", "bad argument #1 to 'exit' (number has no integer representation)"),
    ("os.exit({})", "bad argument #1 to 'exit' (number expected, got table)"),
])
def test_bad_arguments_are_errors_and_do_not_quit(host, app, ui, call, message):  # noqa: F811
    host.exec(call)
    assert ui.errors == [f":lua:1: {message}"]
    assert (app.exit_code, ui.quits) == (None, 0)


def test_headless_host_records_the_exit_code(headless_host, headless_app, capsys):  # noqa: F811
    assert not headless_host.run_chunk("os.exit(9)", "@h.lua").ok
    assert headless_app.exit_code == 9
    assert capsys.readouterr().err == ""


def test_headless_lua_run_ends_with_the_code_after_shutdown(xdg, tmp_path):
    # Needs smelt_repl/headless.py to return app.exit_code after run_file (the lead's change).
    script = tmp_path / "quit.lua"
    script.write_text('smelt.events.on("shutdown", function() print("shutdown ran") end)\n'
                      'print("before")\nos.exit(3)\nprint("after")\n')
    proc = run_cli("--headless", "--lua", str(script), env_dirs=xdg)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.splitlines() == ["before", "shutdown ran"]  # print goes to stdout headless
