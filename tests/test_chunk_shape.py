"""The usual text chunk read without a JSON decoder: the same text as decoding every chunk,
and a shape taken only when it is certain."""

from __future__ import annotations

import json
import threading

import orjson

from smelt_repl.providers import ChatRequest, TextDelta
from smelt_repl.providers.chunk_shape import ChunkShape
from smelt_repl.providers.openai_compat import _plain_text
from tests.conftest_providers import collect, loop_provider

HEAD = {"id": "c-1", "object": "chat.completion.chunk", "model": "m"}


def record(content: object, **delta: object) -> str:
    choice = {"index": 0, "delta": {"content": content, **delta}, "finish_reason": None}
    return json.dumps({**HEAD, "choices": [choice]})


def learnt(data: str) -> ChunkShape:
    shape = ChunkShape()
    chunk = orjson.loads(data)
    shape.learn(data, chunk, _plain_text(chunk))
    return shape


def test_a_learnt_shape_reads_the_text_of_records_like_it():
    shape = learnt(record("word "))
    assert shape.text(record("other words, (and) {braces}: ")) == "other words, (and) {braces}: "
    assert shape.text(record("")) == ""
    assert shape.text(record("c-1")) == "c-1"  # the id's own text, as content


def test_anything_but_a_plain_string_of_the_same_shape_is_left_to_the_decoder():
    shape = learnt(record("word "))
    assert shape.text(record('say "hi"')) is None  # escaped quotes
    assert shape.text(record("a\\b")) is None
    assert shape.text(record("line\n")) is None
    assert shape.text(record("é")) is None  # json.dumps writes it \u00e9
    assert shape.text(json.dumps({**HEAD, "choices": [{"index": 0, "delta": {"content": "w"},
                                                       "finish_reason": "stop"}]})) is None
    assert shape.text(record("w", reasoning_content="hmm")) is None
    assert shape.text(record("w")[:-1]) is None  # cut short


def test_no_shape_is_taken_when_the_text_is_not_found_once_as_itself():
    for data in (record("m"),  # the model's name too: which one is the content?
                 record("é"),  # escaped in the record
                 '{"choices": [{"delta": {"content": "a", "content": "a"}}]}'):
        shape = learnt(data)
        assert shape.text(data) is None


def test_a_duplicate_key_is_read_as_the_decoder_reads_it():
    data = '{"choices": [{"delta": {"content": "first", "content": "last"}}]}'
    shape = learnt(data)  # the decoder keeps the last one, and so does the shape
    assert shape.text('{"choices": [{"delta": {"content": "first", "content": "next"}}]}') == "next"
    assert shape.text('{"choices": [{"delta": {"content": "other", "content": "next"}}]}') is None


def test_a_real_stream_of_mixed_chunks_comes_out_whole(provider_server):
    pieces = ["Plain ", "words ", 'with "quotes" ', "back\\slash ", "tabs\tand\nlines ", "é ", "中文 ",
              "\u2028 ", "", "m", "end."]
    provider_server.script(chunks=pieces * 50)
    request = ChatRequest(model="loop-model", system="", messages=[{"role": "user", "content": "hi"}])
    text, events = collect(loop_provider(provider_server).stream(request, threading.Event()))
    assert text == "".join(pieces) * 50
    assert all(isinstance(e, TextDelta) for e in events[:-2])
