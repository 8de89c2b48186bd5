"""What a turn sends stays exact while the request is built from what earlier turns kept:
each message's encoded JSON (MessagesJson) and the offline responder's running count."""

from __future__ import annotations

import threading

import pytest

from smelt_repl.app import App
from smelt_repl.engine import request_messages
from smelt_repl.providers import ChatRequest, UsageReport
from smelt_repl.providers.offline import OfflineProvider
from smelt_repl.providers.spec import parse_provider_spec


@pytest.fixture
def app(store, tmp_path):
    app = App(store, cwd=str(tmp_path), env={})
    yield app
    app.shutdown()


def sent_messages(server) -> list[dict]:
    return server.requests[-1].body["messages"]


def test_each_turn_sends_the_whole_history_also_after_a_rewind(app, provider_server):
    app.providers["loop"] = parse_provider_spec("loop", provider_server.provider_spec())
    app.settings["model"] = "loop/loop-model"
    provider_server.script(text="ok ✓")
    for text in ("one", "two", "three"):
        app.send(text)
        expected = [{"role": "system", "content": app.system()}] + request_messages(app.session.messages[:-1])
        assert sent_messages(provider_server) == expected
    app.rewind_to(app.session.turns()[1].block_idx)  # cuts "two" and what followed
    app.send("two again")
    assert [m["content"] for m in sent_messages(provider_server)[1:]] == ["one", "ok ✓", "two again"]


def usage_of(provider: OfflineProvider, messages: list[dict]) -> int:
    events = list(provider.stream(ChatRequest("offline", "", messages), threading.Event()))
    return next(e.usage.input for e in events if isinstance(e, UsageReport))


def test_the_offline_count_of_a_changed_history_is_counted_afresh():
    kept = OfflineProvider()
    first = [{"role": "user", "content": "a b c"}, {"role": "assistant", "content": "d e"}]
    grown = first + [{"role": "user", "content": "f"}]
    assert usage_of(kept, first) == 5
    assert usage_of(kept, grown) == 6  # only "f" is new
    other = [{"role": "user", "content": "x"}, first[1], grown[2]]  # same tail, new head
    assert usage_of(kept, other) == usage_of(OfflineProvider(), other) == 4
    assert usage_of(kept, first[:1]) == 3  # shorter: a rewind


@pytest.mark.parametrize("seed", range(6))
def test_the_kept_request_messages_match_a_fresh_conversion_and_earlier_requests_only_grow(seed):
    import copy
    import random

    from smelt_repl.engine import RequestMessages

    rng = random.Random(seed)
    cache, history = RequestMessages(), []
    sent: list[tuple[list[dict], list[dict]]] = []  # each request returned, and a deep copy of it then
    for step in range(200):
        action = rng.random()
        if action < 0.45:
            history.append({"role": "user", "content": f"q{step}"})
        elif action < 0.85:  # an empty reply (a failed turn) is dropped: the next user message merges
            history.append({"role": "assistant", "content": rng.choice(["", f"a{step}"])})
        elif action < 0.95 and history:
            del history[rng.randrange(len(history)):]  # a rewind cuts the live history in place
        else:
            history = list(history)  # another list (a loaded session)
        messages = cache(history)
        assert messages == request_messages(history)
        sent.append((messages, copy.deepcopy(messages)))
    for messages, as_sent in sent:  # what each request held is still there (the shared list only grows)
        assert messages[: len(as_sent)] == as_sent
    assert any(len(messages) > len(as_sent) for messages, as_sent in sent)  # it is shared, not copied


def test_a_conversion_that_fails_part_way_leaves_nothing_half_done_for_the_next():
    from smelt_repl.engine import RequestMessages

    attached = {"role": "user", "content": "see", "attachments": [{"file": "f", "path": "notes.txt"}]}
    history = [{"role": "user", "content": "one"}, {"role": "assistant", "content": "ok"}]
    cache = RequestMessages()
    cache(history)
    history += [{"role": "assistant", "content": "more"}, {"role": "user", "content": "two"}, attached]
    failing = [True]

    def load(_file: str) -> bytes:
        if failing[0]:
            raise OSError("disk went away")
        return b"notes\n"

    with pytest.raises(OSError):
        cache(history, load)  # "more" and "two" were converted before the attachment failed
    failing[0] = False
    assert cache(history, load) == request_messages(history, load)
