"""Legacy sessions (session.json only, as the original smelt writes them)."""

from __future__ import annotations

import os

import orjson
import pytest

LEGACY_ID = "7f" * 32


def legacy_payload() -> dict:
    return {
        "id": LEGACY_ID,
        "title": "Fix the parser",
        "slug": "fix-parser",
        "first_user_message": "Why does the parser choke?",
        "created_at_ms": 1_700_000_000_000,
        "updated_at_ms": 1_700_000_500_000,
        "mode": "normal",
        "reasoning_effort": "high",
        "model": "anthropic/claude-sonnet-4",
        "cwd": "/home/u/project",
        "parent_id": None,
        "context_tokens": 4321,
        "token_snapshots": [[3, 1200], [6, 4321]],
        "cost_snapshots": [[3, 0.01], [6, 0.0425]],
        "turn_metas": [[3, {"elapsed_ms": 1200}]],
        "some_future_field": {"nested": [1, 2]},
        "messages": [
            {"role": "system", "content": "You are helpful. SYSTEM-ONLY"},
            {"role": "user", "content": [
                {"type": "text", "text": "Why does the parser choke?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}, "label": "screenshot"},
                {"type": "video", "url": "ignored"},
            ]},
            {"role": "assistant", "content": "Let me look.", "reasoning_content": "REASONING-ONLY",
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read", "arguments": {"path": "p.py"}}}]},
            {"role": "tool", "content": "TOOL-OUTPUT-ONLY", "tool_call_id": "c1", "is_error": False},
            {"role": "narrator", "content": "UNKNOWN-ROLE-ONLY"},
            {"role": "agent", "content": "subagent says hi", "agent_from_id": "a1", "agent_from_slug": "helper"},
            {"role": "assistant", "content": [{"type": "text", "text": "The tokenizer drops the last line."}]},
            {"role": "user"},
            "not even an object",
        ],
    }


@pytest.fixture
def legacy_dir(store):
    path = store.root / LEGACY_ID
    path.mkdir(parents=True)
    (path / "session.json").write_bytes(orjson.dumps(legacy_payload()))
    return path


EXPECTED_TEXT = "Why does the parser choke?\nLet me look.\nsubagent says hi\nThe tokenizer drops the last line."


def test_legacy_lists(store, legacy_dir):
    (row,) = store.list()
    assert row["id"] == LEGACY_ID and row["title"] == "Fix the parser"
    assert row["subtitle"] == "Why does the parser choke?" and row["cwd"] == "/home/u/project"
    assert row["updated_at_ms"] == 1_700_000_500_000 and row["created_at_ms"] == 1_700_000_000_000
    assert row["size_bytes"] >= os.stat(legacy_dir / "session.json").st_size


def test_legacy_text_rebuilds_and_caches_content(store, legacy_dir):
    assert store.text(LEGACY_ID) == EXPECTED_TEXT
    assert (legacy_dir / "content.txt").read_text() == EXPECTED_TEXT
    for hidden in ("SYSTEM-ONLY", "REASONING-ONLY", "TOOL-OUTPUT-ONLY", "UNKNOWN-ROLE-ONLY"):
        assert hidden not in EXPECTED_TEXT
    assert store.texts([LEGACY_ID]) == {LEGACY_ID: EXPECTED_TEXT}


def test_legacy_load_converts_and_keeps_session_json(store, legacy_dir):
    original = (legacy_dir / "session.json").read_bytes()
    session = store.open(LEGACY_ID)
    assert (legacy_dir / "session.json").read_bytes() == original
    assert [m["role"] for m in session.messages] == ["system", "user", "assistant", "tool", "agent", "assistant", "user"]
    assert session.messages[1]["content"][1]["type"] == "image_url"
    assert len(session.messages[1]["content"]) == 2  # the unknown part type is skipped
    assert session.messages[2]["reasoning_content"] == "REASONING-ONLY"
    assert session.messages[3]["tool_call_id"] == "c1"
    assert session.title == "Fix the parser" and session.cwd == "/home/u/project"
    assert session.context_tokens() == 4321
    assert session.cost() == pytest.approx(0.0425)
    assert [t.label for t in session.turns()] == ["Why does the parser choke?", ""]
    session.append_message("user", "new in current format")
    session.close()
    reopened = store.open(LEGACY_ID)
    assert reopened.messages[-1]["content"] == "new in current format"
    assert (legacy_dir / "transcript.jsonl").is_file()
    assert store.list()[0]["subtitle"] == "Why does the parser choke?"


def test_legacy_fork_and_delete(store, legacy_dir):
    session = store.open(LEGACY_ID)
    child = store.fork(session)
    assert child.parent_id == LEGACY_ID and len(child.messages) == 7
    session.close()
    child.close()
    store.delete(LEGACY_ID)
    assert not legacy_dir.exists()
    assert [r["id"] for r in store.list()] == [child.id]


def test_legacy_delete_without_loading(store, legacy_dir):
    store.delete(LEGACY_ID)
    assert not legacy_dir.exists() and store.list() == []


def test_legacy_missing_timestamps_fall_back(store):
    path = store.root / ("ab" * 32)
    path.mkdir(parents=True)
    (path / "session.json").write_bytes(orjson.dumps({"id": "ab" * 32, "created_at_ms": 0,
                                                      "messages": [{"role": "user", "content": "x"}]}))
    (row,) = store.list()
    assert row["updated_at_ms"] == row["created_at_ms"] == os.stat(path / "session.json").st_mtime_ns // 1_000_000
    assert row["title"] is None and row["subtitle"] == "x"


def test_malformed_legacy_is_skipped_not_fatal(store, legacy_dir):
    bad = store.root / ("cd" * 32)
    bad.mkdir()
    (bad / "session.json").write_text("{truncated")
    assert [r["id"] for r in store.list()] == [LEGACY_ID]
    assert store.text("cd" * 32) is None


def test_legacy_edited_by_original_smelt_is_relisted(store, legacy_dir):
    assert store.list()[0]["title"] == "Fix the parser"
    payload = legacy_payload() | {"title": "Renamed elsewhere"}
    (legacy_dir / "session.json").write_bytes(orjson.dumps(payload) + b" ")
    assert store.list()[0]["title"] == "Renamed elsewhere"


def test_legacy_top_level_context_tokens_without_snapshots(store):
    path = store.root / ("ef" * 32)
    path.mkdir(parents=True)
    payload = {"id": "ef" * 32, "context_tokens": 4321, "token_snapshots": [],
               "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (path / "session.json").write_bytes(orjson.dumps(payload))
    assert store.open("ef" * 32).context_tokens() == 4321
