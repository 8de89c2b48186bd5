"""Compaction end to end: requests built from a checkpoint (loopback server), :compact in the
real REPL (offline and loopback, Ctrl-C), the Lua API from the REPL, auto_compact and the
pre-send overflow check."""

from __future__ import annotations

import orjson
import pytest

from smelt_repl.app import App
from smelt_repl.compaction import CHARS_PER_TOKEN, estimated_tokens, new_compaction, run_compaction
from smelt_repl.compaction_prompt import GUIDANCE_LEAD, INSTRUCTION_LEAD
from smelt_repl.context_view import SUMMARY_LEAD, model_rows
from tests.shell_driver import ShellDriver, sh  # noqa: F401 - the fixture
from tests.test_engine import app, loop_app  # noqa: F401 - app is a fixture

MODEL = "loop/loop-model"


def read_jsonl(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def usage_records(session):
    return [r for r in read_jsonl(session.dir / "ledger.jsonl") if r["type"] == "usage"]


def sent(request):
    return [(m["role"], m["content"]) for m in request.body["messages"][1:]]  # after the system prompt


def three_turns(app, server):
    for n in ("one", "two", "three"):
        server.script(text=f"reply {n}")
        app.send(n)


def counted_afresh(app, text):
    chars = len(app.system()) + len(text) + sum(len(row["content"]) for row in model_rows(app.session))
    return max(chars // CHARS_PER_TOKEN, (app.session.context_tokens() or 0) + len(text) // CHARS_PER_TOKEN)


# -- the engine ------------------------------------------------------------------------------

def test_the_overflow_estimate_follows_growth_rewinds_checkpoints_and_sessions(app):
    text = "x" * 400
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    for n in range(4):
        app.send("word " * 50 * (n + 1))  # offline: a reply of its own each turn
        assert estimated_tokens(app, text) == counted_afresh(app, text)
    app.session.add_checkpoint("a summary " * 30, 4)
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    app.rewind_to(6)
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    app.send("short")
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    app.rewind_to(6)
    app.send("a longer message " * 40)  # as many messages as last counted, other ones
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    app.rewind_to(2)  # before the checkpoint: every message is live again
    app.send("again " * 80)
    assert estimated_tokens(app, text) == counted_afresh(app, text)
    other = App(app.store, cwd=app.cwd, env={})  # another session: nothing of this one counts
    try:
        other.send("hello")
        assert estimated_tokens(other, text) == counted_afresh(other, text) < estimated_tokens(app, text)
    finally:
        other.shutdown()
    assert estimated_tokens(app, text) == counted_afresh(app, text)


def test_requests_send_the_summary_then_the_live_messages(app, provider_server):
    three_turns(loop_app(app, provider_server), provider_server)
    app.session.add_checkpoint("they counted to two", 4)
    provider_server.script(text="reply four")
    app.send("four")
    assert sent(provider_server.requests[-1]) == [
        ("user", f"{SUMMARY_LEAD}\nthey counted to two\n\nthree"), ("assistant", "reply three"), ("user", "four")]
    app.rewind_to(2)  # before the checkpoint: it is dropped, the whole history goes again
    app.send("two again")
    assert sent(provider_server.requests[-1]) == [("user", "one"), ("assistant", "reply one"), ("user", "two again")]


def test_undo_brings_the_checkpoint_back_into_requests(app, provider_server):
    three_turns(loop_app(app, provider_server), provider_server)
    app.session.add_checkpoint("S", 4)
    app.send("four")  # the conversion is cached with the checkpoint
    app.rewind_to(2)
    app.undo_rewind()
    app.send("five")
    assert sent(provider_server.requests[-1])[0] == ("user", f"{SUMMARY_LEAD}\nS\n\nthree")
    assert sent(provider_server.requests[-1])[-1] == ("user", "five")


def test_a_compaction_is_a_call_but_no_message(app, provider_server):
    three_turns(loop_app(app, provider_server), provider_server)
    provider_server.script(text="## Task\ncount", usage={"input": 50, "output": 7})
    outcome = run_compaction(app, new_compaction(app), "keep the numbers")
    assert outcome.installed and not outcome.error
    request = sent(provider_server.requests[-1])
    assert request[:2] == [("user", "one"), ("assistant", "reply one")] and len(request) == 3
    role, instruction = request[2]
    assert role == "user" and instruction.startswith(INSTRUCTION_LEAD)
    assert instruction.endswith(f"{GUIDANCE_LEAD}\nkeep the numbers")
    checkpoint = app.session.checkpoint
    assert (checkpoint["summary"], checkpoint["index"], checkpoint["kind"]) == ("## Task\ncount", 2, "compact")
    assert len(app.session.messages) == 6 and all(INSTRUCTION_LEAD not in str(m["content"]) for m in app.session.messages)
    assert usage_records(app.session)[-1]["output"] == 7 and len(usage_records(app.session)) == 4
    assert app.turn is None


# -- :compact in the REPL ----------------------------------------------------------------------

def test_compact_offline_installs_a_summary_and_keeps_the_last_two_turns(sh):
    sh.command(":compact")
    sh.wait_output("nothing to compact")
    for text in ("build a parser", "use recursive descent", "add error messages"):
        sh.submit(text)
    sh.command(":compact keep the grammar")
    sh.wait_output("compacted:")
    sh.wait_idle()
    session = sh.app.session
    checkpoint = session.checkpoint
    assert checkpoint["kind"] == "compact" and checkpoint["index"] == session.turns()[-2].block_idx == 2
    assert "## Task\nbuild a parser" in checkpoint["summary"] and "keep the grammar" in checkpoint["summary"]
    assert len(session.messages) == 6  # no message for the summary request
    assert len(usage_records(session)) == 4  # three turns and the compaction
    sh.command(":cost")
    sh.wait_output("cost")
    sh.command(":lua print(#smelt.session.model_messages())")
    sh.wait_output("\n5\n")
    sh.command(":compact")  # the two turns after the checkpoint are the last two
    sh.wait_output("nothing to compact", count=2)


def test_help_lists_compact(sh):
    sh.command(":help")
    assert ":compact [TEXT]" in sh.wait_output("summarise all but the last 2 turns")


@pytest.fixture
def loop_sh(store, tmp_path, provider_server):
    def make(window=128000, **settings):
        spec = provider_server.provider_spec("openai-compatible", models={"loop-model": {"context_window": window}})
        return ShellDriver(store, tmp_path, model=MODEL, providers={"loop": spec}, settings=settings)
    drivers = []
    yield lambda **kw: drivers.append(make(**kw)) or drivers[-1]
    for driver in drivers:
        driver.close()


def test_ctrl_c_cancels_a_held_compaction_and_installs_nothing(loop_sh, provider_server):
    sh = loop_sh()
    for text in ("a", "b", "c"):
        sh.submit(text)
    provider_server.script(text="a summary that never ends", chunks=4, hold_after=1)
    sh.command(":compact")
    provider_server.wait_for(lambda: len(provider_server.requests) == 4)
    sh.wait_for(lambda: "waiting" in sh.status or "streaming" in sh.status, what="the spinner")
    sh.type("\x03")
    sh.wait_output("compaction cancelled: nothing installed")
    sh.wait_idle()
    provider_server.release()
    assert sh.app.session.checkpoint is None and len(sh.app.session.messages) == 6
    assert not any(r["type"] == "checkpoint" for r in read_jsonl(sh.app.session.dir / "transcript.jsonl"))


def test_auto_compact_at_80_percent_compacts_then_sends(loop_sh, provider_server):
    sh = loop_sh(window=1000, auto_compact=True)
    for text, used in (("a", 100), ("b", 200), ("c", 810)):
        provider_server.script(text=f"reply {text}", usage={"input": used, "output": 5})
        sh.submit(text)
    assert sh.app.session.checkpoint is None and len(provider_server.requests) == 3
    provider_server.script(text="SUMMARY", usage={"input": 300, "output": 5})
    sh.submit("d")
    assert len(provider_server.requests) == 5
    assert sent(provider_server.requests[3])[-1][1].startswith(INSTRUCTION_LEAD)
    assert sent(provider_server.requests[4]) == [
        ("user", f"{SUMMARY_LEAD}\nSUMMARY\n\nb"), ("assistant", "reply b"), ("user", "c"), ("assistant", "reply c"),
        ("user", "d")]
    assert sh.app.session.checkpoint["kind"] == "auto"
    assert "compacted:" in sh.output


def test_a_message_that_will_not_fit_is_not_sent_and_stays(loop_sh, provider_server):
    sh = loop_sh(window=1000)
    sh.submit("hello")
    big = "word " * 1000  # ~1250 tokens at 4 characters a token
    sh.type(big + "\r")
    out = sh.wait_output("will not fit")
    assert ":compact" in out.split("will not fit")[1].splitlines()[0]
    assert sh.buffer_text == big and len(provider_server.requests) == 1
    assert sh.user_message_count() == 1


def test_with_auto_compact_a_message_that_will_not_fit_compacts_first(loop_sh, provider_server):
    sh = loop_sh(window=1000, auto_compact=True)
    for text in ("a", "b", "c"):
        sh.submit(text)
    provider_server.script(text="SUMMARY", usage={"input": 10, "output": 5})
    sh.submit("word " * 900)
    assert len(provider_server.requests) == 5 and sh.app.session.checkpoint["kind"] == "auto"


# -- the Lua API from the REPL -------------------------------------------------------------------

def test_lua_checkpoint_and_model_messages(sh):
    for text in ("one", "two", "three"):
        sh.submit(text)
    sh.command(':lua smelt.session.checkpoint{summary = "S1", first_live_message_index = 0}')
    assert sh.app.session.checkpoint is None
    sh.command(':lua smelt.session.checkpoint{summary = "S1", first_live_message_index = 2}')
    sh.command(':lua local m = smelt.session.model_messages(); print(#m, m[1].role, m[2].content)')
    sh.wait_output("5\tuser\ttwo")
    checkpoint = sh.app.session.checkpoint
    assert (checkpoint["summary"], checkpoint["index"], checkpoint["kind"]) == ("S1", 2, "manual")
    # with a checkpoint, row 0 is its summary: row 3 is the third live message ("three")
    sh.command(':lua smelt.session.checkpoint{summary = "S2", first_live_message_index = 3, kind = "mine"}')
    sh.command(":lua print(smelt.session.model_messages()[2].content)")
    sh.wait_output("\nthree\n")
    assert sh.app.session.checkpoint["index"] == 4 and sh.app.session.checkpoint["kind"] == "mine"


@pytest.mark.parametrize(("call", "error"), [
    ('{first_live_message_index = 1}', "summary must be a non-empty string"),
    ('{summary = "", first_live_message_index = 1}', "summary must be a non-empty string"),
    ('{summary = "s", first_live_message_index = 9}', "first_live_message_index 9 is out of range (0 to 2)"),
    ('{summary = "s", first_live_message_index = 1.5}', "first_live_message_index must be an integer"),
    ('{summary = "s"}', "first_live_message_index must be an integer, got nil"),
    ('{summary = "s", first_live_message_index = 1, kind = 3}', "kind must be a string"),
    ('("s", 1)', "takes one table"),
])
def test_lua_checkpoint_errors_are_one_line(sh, call, error):
    sh.submit("one")
    sh.command(f":lua smelt.session.checkpoint{call}")
    out = sh.wait_output(error)
    line = next(line for line in out.splitlines() if error in line)
    assert "smelt.session.checkpoint" in line
    assert sh.app.session.checkpoint is None
