"""Hostile session ids are refused before the disk is touched, and nothing outside the root changes."""

from __future__ import annotations

import os

import pytest

from smelt_repl.session_core import InvalidSessionId, validate_session_id

HOSTILE = ["..", "../x", "/abs", "/etc/passwd", "a/b", "a\\b", "x\x00y", "a" * 300, "", ".", ".catalog.json",
           "..\\..\\x", "\n", " lead", "trail ", "a\tb"]


def snapshot(path):
    return sorted((str(p), p.stat().st_mtime_ns) for p in path.rglob("*"))


@pytest.mark.parametrize("bad", HOSTILE)
def test_validate_refuses(bad):
    with pytest.raises(InvalidSessionId) as info:
        validate_session_id(bad)
    assert "\n" not in str(info.value) and "invalid session id" in str(info.value)


@pytest.mark.parametrize("bad", [None, 12, b"abcd"])
def test_validate_refuses_non_strings(bad):
    with pytest.raises(InvalidSessionId):
        validate_session_id(bad)


@pytest.mark.parametrize("bad", HOSTILE)
def test_every_operation_refuses_before_touching_disk(store, tmp_path, bad, monkeypatch):
    session = store.new_session("/w")
    session.append_message("user", "keep me")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "transcript.jsonl").write_text('{"type":"message","role":"user","content":"x"}\n')
    before_tmp = snapshot(tmp_path)

    touched = []
    real_open, real_stat = os.open, os.stat
    monkeypatch.setattr(os, "open", lambda p, *a, **k: touched.append(p) or real_open(p, *a, **k))
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: touched.append(p) or real_stat(p, *a, **k))
    for call in (store.open, store.delete, store.text, store.resolve):
        with pytest.raises(InvalidSessionId):
            call(bad)
    assert touched == []
    monkeypatch.undo()
    assert store.texts([bad]) == {}
    assert snapshot(tmp_path) == before_tmp
    assert [r["subtitle"] for r in store.list()] == ["keep me"]


def test_plain_names_are_accepted(store):
    assert validate_session_id("a" * 64) == "a" * 64
    assert validate_session_id("legacy-session_1") == "legacy-session_1"
