"""Headless runs and the context window: a message that will not fit is not sent; with
auto_compact on, the conversation is compacted first (through the real CLI and a loopback
server)."""

from __future__ import annotations

import orjson

from smelt_repl.compaction_prompt import INSTRUCTION_LEAD
from smelt_repl.context_view import SUMMARY_LEAD
from tests.test_headless import run, sessions


def configure(xdg, server, *, window: int, auto_compact: bool = False) -> None:
    config = xdg["config"] / "smelt"
    config.mkdir(parents=True, exist_ok=True)
    (config / "init.lua").write_text(
        f'smelt.provider.register("loop", {{kind = "openai-compatible", api_base = "{server.openai_base}",\n'
        f'  retry_backoff = 0.01, models = {{ m = {{ context_window = {window} }} }}}})\n'
        'smelt.settings.model = "loop/m"\n'
        f'smelt.settings.auto_compact = {"true" if auto_compact else "false"}\n')


def sent(request) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request.body["messages"] if m["role"] != "system"]


def test_a_message_that_will_not_fit_is_not_sent(xdg, provider_server, tmp_path):
    configure(xdg, provider_server, window=1000)
    result = run(xdg, "-p", "word " * 1000, cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("smelt-repl: the conversation will not fit the model's context window (~1,")
    assert line.endswith(" of 1,000 tokens): nothing was sent (run :compact in the REPL, "
                         "or set smelt.settings.auto_compact = true)")
    assert provider_server.requests == [] and sessions(xdg) == []


def test_with_auto_compact_a_long_session_is_compacted_before_sending(xdg, provider_server, tmp_path):
    configure(xdg, provider_server, window=1000, auto_compact=True)
    for text, used in (("a", 100), ("b", 200), ("c", 810)):
        provider_server.script(text=f"reply {text}", usage={"input": used, "output": 5})
        result = run(xdg, *(("-c",) if text != "a" else ()), "-p", text, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    provider_server.script(text="SUMMARY", usage={"input": 300, "output": 5})
    result = run(xdg, "-c", "-p", "d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "smelt-repl: compacted: a summary now stands for the first 2 messages" in result.stderr
    assert len(provider_server.requests) == 5
    assert sent(provider_server.requests[3])[-1][1].startswith(INSTRUCTION_LEAD)
    assert sent(provider_server.requests[4]) == [
        ("user", f"{SUMMARY_LEAD}\nSUMMARY\n\nb"), ("assistant", "reply b"), ("user", "c"), ("assistant", "reply c"),
        ("user", "d")]
    [session] = sessions(xdg)
    records = [orjson.loads(line) for line in (session / "transcript.jsonl").read_bytes().splitlines()]
    assert [r["kind"] for r in records if r["type"] == "checkpoint"] == ["auto"]
    assert sum(r["type"] == "message" for r in records) == 8  # the transcript keeps every message
