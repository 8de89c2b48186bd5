"""A fast stream read a socket read at a time: the same events and text as line by line, far
fewer of them; and the linear word wrap of a plain line, the same as the general one."""

from __future__ import annotations

import json
import socket
import threading

from smelt_repl.providers import ChatRequest, Done, ReasoningDelta, TextDelta, UsageReport
from smelt_repl.providers.lines import bounded_line_batches, bounded_lines
from smelt_repl.providers.openai_compat import OpenAICompatibleProvider
from smelt_repl.providers.spec import ProviderSpec
from smelt_repl.providers.sse import SseEvent, SseReader, parse_sse
from smelt_repl.render.ansi import BOLD, CODE, emit, wrap

TOKENS = 2000


def _chunk(delta: dict, finish: str | None = None, **extra: object) -> bytes:
    choices = [{"index": 0, "delta": delta, "finish_reason": finish}] if delta or finish else []
    return b"data: " + json.dumps({"choices": choices, **extra}).encode() + b"\n\n"


def _reply() -> bytes:
    """A reply of TOKENS one-token chunks, a reasoning chunk and a split emoji amid them."""
    parts = [_chunk({"content": f"w{i} "}) for i in range(TOKENS // 2)]
    parts.append(_chunk({"reasoning_content": "hmm"}))
    parts += [_chunk({"content": "\ud83d"}), _chunk({"content": "\ude00"})]  # one emoji, split
    parts += [_chunk({"content": f"v{i} "}) for i in range(TOKENS // 2)]
    parts += [_chunk({}, "stop"), _chunk({}, usage={"prompt_tokens": 5, "completion_tokens": TOKENS}),
              b"data: [DONE]\n\n"]
    body = b"".join(parts)
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


def _serve_once(sock: socket.socket, reply: bytes) -> None:
    conn, _ = sock.accept()
    with conn:
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(65536)
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        body = head.split(b"\r\n\r\n", 1)[1]
        while len(body) < length:
            body += conn.recv(65536)
        conn.sendall(reply)  # the whole reply at once: the client reads it in big pieces


def test_a_fast_reply_comes_in_few_deltas_with_every_event_in_order():
    with socket.create_server(("127.0.0.1", 0)) as sock:
        server = threading.Thread(target=_serve_once, args=(sock, _reply()), daemon=True)
        server.start()
        spec = ProviderSpec(name="fast", kind="openai-compatible", api_key_optional=True,
                            api_base=f"http://127.0.0.1:{sock.getsockname()[1]}")
        provider = OpenAICompatibleProvider(spec)
        request = ChatRequest(model="m", system="", messages=[{"role": "user", "content": "hi"}])
        try:
            events = list(provider.stream(request, threading.Event()))
        finally:
            provider.close()
        server.join()
    texts = [e for e in events if isinstance(e, TextDelta)]
    assert "".join(e.text for e in texts) == (
        "".join(f"w{i} " for i in range(TOKENS // 2)) + "\ud83d\ude00" + "".join(f"v{i} " for i in range(TOKENS // 2)))
    assert len(texts) < TOKENS // 20  # a run of text a socket read, not a delta a token
    reasoning = events.index(ReasoningDelta("hmm"))
    assert "".join(e.text for e in events[:reasoning]) == "".join(f"w{i} " for i in range(TOKENS // 2))
    assert [type(e) for e in events[-2:]] == [UsageReport, Done] and events[-1] == Done("stop")


STREAM = (b"data: a\n\ndata: b\nevent: e\ndata: c\n\n: note\ndata:x\n\ndata: \xe2\x82\xac\r\n\r\n"
          b"id: 3\ndata: y\r\rdata: q\n\ndata: r\n\ndata: s\n\ndata: cut")


def test_sse_read_in_batches_equals_line_by_line_wherever_the_reads_split():
    expected = list(parse_sse(bounded_lines([STREAM])))
    assert expected[-1] == SseEvent(None, "cut", complete=False) and len(expected) == 9
    for first in range(len(STREAM)):
        for second in range(first, len(STREAM), 7):
            reads = [STREAM[:first], STREAM[first:second], STREAM[second:]]
            reader, got = SseReader(), []
            for batch in bounded_line_batches(reads):
                got += [SseEvent(event, data) for event, data in reader.feed(batch)]
            tail = reader.end()
            got += [SseEvent(tail[0], tail[1], complete=False)] if tail else []
            assert got == expected, reads


def test_plain_ascii_lines_wrap_like_any_other_text():
    spans = [(0, "  lead "), (BOLD, "bold wo"), (0, "rd, then   "), (CODE, "code"), (0, ""),
             (0, " and a verylongwordthatdoesnotfit at all   ")]
    accented = [(style, text.replace("a", "\u00e1")) for style, text in spans]  # one cell each, not ASCII
    for width in range(1, 40):
        plain = [emit(line, True) for line in wrap(spans, width)]
        general = [emit(line, True).replace("\u00e1", "a") for line in wrap(accented, width)]
        assert plain == general, width
        assert all(text for line in wrap(spans, width) for _, text in line)
    assert [emit(line, False) for line in wrap(spans, 12)] == [
        "lead bold", "word, then", "code and a", "verylongwordthatdoesnotfit", "at all"]
