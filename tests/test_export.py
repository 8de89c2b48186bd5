"""``:export``: the conversation as Markdown, in a new file that never overwrites."""

from __future__ import annotations

import pytest

from smelt_repl.export import conversation_markdown, default_export_path, write_new_file
from tests.shell_driver import ShellDriver


def test_markdown_has_the_header_sections_and_marks():
    messages = [
        {"role": "user", "content": "Fix the bug", "attachments": [{"path": "src/app.py"}]},
        {"role": "assistant", "content": "Done:\n\n```py\nx = 1\n```", "model": "loop/m"},
        {"role": "user", "content": "More"},
        {"role": "assistant", "content": "half", "cancelled": True},
        {"role": "assistant", "content": "", "error": "loop: HTTP 500\nserver error"},
        {"role": "system", "content": "never exported"},
    ]
    text = conversation_markdown(messages, title="Bug hunt", model="loop/m", cwd="/p", created_at_ms=0)
    assert text.startswith("# Bug hunt\n\n- model: loop/m\n- cwd: /p\n- date: ")
    assert "## User\n\n*attached: src/app.py*\nFix the bug\n" in text
    assert "## Assistant\n\nDone:\n\n```py\nx = 1\n```\n" in text
    assert "half\n\n*[cancelled]*" in text and "*[failed: loop: HTTP 500 server error]*" in text
    assert "never exported" not in text


def test_the_default_name_and_no_overwrite(tmp_path):
    path = default_export_path(str(tmp_path), "Fix: the *bug*!", now=0)
    assert path.parent == tmp_path and path.name.startswith("smelt-fix-the-bug-") and path.suffix == ".md"
    first = write_new_file(path, "one")
    second = write_new_file(path, "two")
    assert first == path and second.name == path.stem + "-2.md"
    assert first.read_text() == "one" and second.read_text() == "two"


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    provider_server.script(text="an answer")
    spec = provider_server.provider_spec("openai-compatible")
    with ShellDriver(store, tmp_path, model="loop/m", providers={"loop": spec}) as driver:
        yield driver


def test_export_in_the_repl_writes_a_new_file(loop_sh, tmp_path):
    loop_sh.command(":export")
    loop_sh.wait_output("nothing to export yet")
    loop_sh.submit("a question")
    loop_sh.command(":export notes.md")
    loop_sh.wait_output("exported to")
    text = (tmp_path / "notes.md").read_text()
    assert "## User\n\na question" in text and "## Assistant\n\nan answer" in text and "loop/m" in text
    loop_sh.command(":export notes.md")
    loop_sh.wait_output("notes-2.md")
    assert (tmp_path / "notes.md").read_text() == text


def test_title_names_the_session_and_export_uses_it(loop_sh, tmp_path):
    loop_sh.command(":title")
    loop_sh.wait_output("no title yet")
    loop_sh.submit("a question")
    loop_sh.command(":title Bug   hunt")
    loop_sh.wait_output("title: Bug hunt")
    assert loop_sh.app.session.title == "Bug hunt"
    assert loop_sh.app.store.list()[0]["title"] == "Bug hunt"
    loop_sh.command(":export")
    loop_sh.wait_output("exported to")
    (path,) = tmp_path.glob("smelt-bug-hunt-*.md")
    assert path.read_text().startswith("# Bug hunt\n")


def test_export_and_list_options_from_the_command_line(xdg, tmp_path):
    import orjson

    from tests.test_headless import run, sessions

    assert run(xdg, "-p", "first question", cwd=tmp_path).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run(xdg, "-p", "second question", cwd=elsewhere).returncode == 0
    rows = [orjson.loads(line) for line in run(xdg, "--list", "--json").stdout.splitlines()]
    assert [r["subtitle"] for r in rows] == ["second question", "first question"]
    assert len(run(xdg, "--list", "-n", "1").stdout.splitlines()) == 1
    here = run(xdg, "--list", "--cwd", cwd=tmp_path).stdout
    assert "first question" in here and "second question" not in here
    session_id = next(r["id"] for r in rows if r["subtitle"] == "first question")
    out = run(xdg, "--export", session_id[:8], "-")
    assert out.returncode == 0 and out.stdout.startswith("# first question\n") and "## Assistant" in out.stdout
    assert run(xdg, "--export", session_id[:8], "conv.md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "conv.md").read_text() == out.stdout
    assert sessions(xdg) and run(xdg, "--export", "nosuchid").returncode == 1


def test_the_title_is_in_the_status_line(loop_sh):
    loop_sh.submit("a question")
    loop_sh.command(":title Bug hunt")
    loop_sh.wait_for(lambda: "Bug hunt" in loop_sh.status, what="the title in the status line")
