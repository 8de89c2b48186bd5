"""Attachments: ``@path`` and ``:attach``, what the model receives, what the session keeps."""

from __future__ import annotations

import base64
import hashlib

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from smelt_repl.commands.completion import AtPathCompleter
from tests.shell_driver import ShellDriver

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def driver(store, project, server, kind="openai-compatible", images=False):
    models = {"m": {"input_modalities": ["text", "image"]}} if images else {}
    spec = server.provider_spec(kind, models=models)
    return ShellDriver(store, project, model="loop/m", providers={"loop": spec})


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "project"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text("def main():\n    return 42\n")
    (folder / "blob.bin").write_bytes(b"\x00\x01binary")
    (folder / "big.txt").write_text("x" * 1_000_001)
    (folder / "dot.png").write_bytes(PNG)
    return folder


def test_at_path_sends_the_file_and_keeps_a_reference(store, project, provider_server):
    provider_server.script(text="looked")
    with driver(store, project, provider_server) as sh:
        sh.submit("what does @src/app.py do?")
        sent = provider_server.requests[-1].body["messages"][-1]["content"]
        assert sent == "what does @src/app.py do?\n\n`src/app.py`:\n```\ndef main():\n    return 42\n```"
        record = sh.app.session.messages[0]
        assert record["content"] == "what does @src/app.py do?"
        (ref,) = record["attachments"]
        digest = hashlib.sha256(b"def main():\n    return 42\n").hexdigest()
        assert ref["path"] == "src/app.py" and ref["file"] == f"attachments/{digest}.txt"
        assert (sh.app.session.dir / ref["file"]).read_bytes() == b"def main():\n    return 42\n"
        assert "attached: src/app.py" in sh.output
        assert "[attached: src/app.py]" in sh.app.text(sh.app.session.id)
        sh.submit("and again?")  # the attachment is sent with its message in later requests too
        assert "return 42" in provider_server.requests[-1].body["messages"][1]["content"]  # [0] is the system prompt


@pytest.mark.parametrize("name, why", [("blob.bin", "a binary file cannot be attached"),
                                       ("big.txt", "over the 1,000,000-byte limit"),
                                       ("dot.png", "this model takes no images")])
def test_what_cannot_go_is_one_line_and_nothing_is_sent(store, project, provider_server, name, why):
    with driver(store, project, provider_server) as sh:
        sh.command(f"look at @{name}")
        sh.wait_output(why)
        assert sh.buffer_text == f"look at @{name}" and provider_server.requests == []


@pytest.mark.parametrize("kind", ["openai-compatible", "anthropic"])
def test_an_image_goes_as_an_image_part_to_a_model_that_takes_images(store, project, provider_server, kind):
    provider_server.script(text="a dot")
    with driver(store, project, provider_server, kind, images=True) as sh:
        sh.submit("what is @dot.png")
        content = provider_server.requests[-1].body["messages"][-1]["content"]
        if kind == "anthropic":
            assert content[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                              "data": base64.b64encode(PNG).decode()}}
        else:
            assert content[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_attach_command_goes_with_the_next_message(store, project, provider_server):
    provider_server.script(text="ok")
    with driver(store, project, provider_server) as sh:
        sh.command(":attach src/app.py")
        sh.wait_output("attached: src/app.py (goes with your next message)")
        sh.submit("review this")
        assert "`src/app.py`:" in provider_server.requests[-1].body["messages"][-1]["content"]
        assert sh.shell.pending_attachments == []


def test_tab_completes_paths_after_an_at(project):
    completer = AtPathCompleter(lambda: str(project))
    found = [c.text for c in completer.get_completions(Document("see @sr"), CompleteEvent(completion_requested=True))]
    assert found == ["c"]  # "sr" + "c": the directory src/
    assert list(completer.get_completions(Document("no at here"), CompleteEvent())) == []
