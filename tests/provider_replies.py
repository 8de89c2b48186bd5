"""What the loopback provider server (tests/provider_server.py) sends: each protocol's
streamed events, its whole JSON reply (for a server that ignores `stream: true`) and its
error body, from a `Script`."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

# In an event list, besides SSE text and "delay" (before each piece): None ends the body
# there (cleanly), and
CUT = object()  # drops the connection here
STALL = object()  # send nothing more until the client hangs up
TRICKLE = object()  # send a keep-alive comment every few ms until the client hangs up
LONG_LINE = object()  # send one `data:` line of `script.line_bytes` bytes, never ended
SIGNATURE = "sig-loop-thinking"  # the signature of a thinking block (Anthropic)


def error_body(anthropic: bool, kind: str, message: str) -> dict:
    """The protocol's JSON error object."""
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "code": None}}


def sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


def _faulty_pieces(script: Any, fault: str | None) -> list[str]:
    """The pieces to send: for a cut or truncated stream, only the first half."""
    pieces = script.pieces()
    if fault in ("cut", "truncate"):
        return pieces[: max(1, len(pieces) // 2)]
    return pieces


def _body_fault(fault: Any) -> Iterator[Any]:
    """What a fault that replaces the body's pieces sends."""
    if fault == "trickle":
        yield TRICKLE
    if fault == "long_line":
        yield LONG_LINE


def openai_events(script: Any, body: dict, fault: Any) -> Iterator[Any]:
    """A chat.completions stream (chunks, finish chunk, usage chunk, [DONE])."""
    head = {"id": "chatcmpl-loop", "object": "chat.completion.chunk", "model": body.get("model", "")}

    def chunk(delta: dict, finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse({**head, "choices": [choice]})

    yield ": loopback keep-alive comment\n\n"
    yield chunk({"role": "assistant", "content": ""})
    if fault == "error_first":
        yield sse({"error": {"message": script.error_message, "type": "server_error"}})
        return
    yield from _body_fault(fault)
    for piece in re.findall(r"\S+\s*", script.reasoning):
        yield "delay"
        yield chunk({script.reasoning_field: piece})
    for i, piece in enumerate(_faulty_pieces(script, fault)):
        yield "delay"
        yield chunk({"content": piece})
        yield from _after_first(i, fault, "data: {not json\n\n",
                                sse({"error": {"message": script.error_message, "type": "server_error"}}))
    yield from _stream_end(fault)
    yield chunk({}, script.stop_reason or "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield sse({**head, "choices": [], "usage": openai_usage(script.usage)})
    yield sse("[DONE]")


def _after_first(i: int, fault: Any, malformed: str, error_event: str) -> Iterator[Any]:
    """Faults that strike after the first piece of text."""
    if i != 0:
        return
    if fault == "stall":
        yield STALL
    if fault == "malformed":
        yield malformed
    if fault == "error_event":
        yield error_event
        yield None


def _stream_end(fault: Any) -> Iterator[Any]:
    if fault in ("cut", "truncate"):
        yield CUT if fault == "cut" else None


def openai_usage(u: dict) -> dict:
    prompt = u.get("input", 0) + u.get("cache_read", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": u.get("output", 0),
        "total_tokens": prompt + u.get("output", 0),
        "prompt_tokens_details": {"cached_tokens": u.get("cache_read", 0)},
        "completion_tokens_details": {"reasoning_tokens": u.get("reasoning", 0)},
    }


def openai_whole(script: Any, body: dict) -> dict:
    """A complete `chat.completion` object: the reply of a server that does not stream."""
    message: dict = {"role": "assistant", "content": script.text}
    if script.reasoning:
        message[script.reasoning_field] = script.reasoning
    return {"id": "chatcmpl-loop", "object": "chat.completion", "model": body.get("model", ""),
            "choices": [{"index": 0, "message": message, "finish_reason": script.stop_reason or "stop"}],
            "usage": openai_usage(script.usage)}


def anthropic_usage(u: dict, output: Any) -> dict:
    return {"input_tokens": u.get("input", 0), "cache_read_input_tokens": u.get("cache_read", 0),
            "cache_creation_input_tokens": u.get("cache_write", 0), "output_tokens": output}


def anthropic_events(script: Any, body: dict, fault: Any) -> Iterator[Any]:
    """A Messages stream (message_start ... message_stop), thinking first if scripted."""
    message = {"id": "msg_loop", "type": "message", "role": "assistant", "model": body.get("model", ""),
               "content": [], "stop_reason": None, "usage": anthropic_usage(script.usage, 1)}
    yield sse({"type": "message_start", "message": message}, "message_start")
    yield sse({"type": "ping"}, "ping")
    if fault == "error_first":
        yield sse(error_body(True, "overloaded_error", script.error_message), "error")
        return
    yield from _body_fault(fault)
    index = 0
    if script.reasoning:
        yield from _thinking_block(script)
        index = 1
    yield sse({"type": "content_block_start", "index": index,
               "content_block": {"type": "text", "text": ""}}, "content_block_start")
    for i, piece in enumerate(_faulty_pieces(script, fault)):
        yield "delay"
        yield sse({"type": "content_block_delta", "index": index,
                   "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
        yield from _after_first(i, fault, "event: content_block_delta\ndata: {not json\n\n",
                                sse(error_body(True, "overloaded_error", script.error_message), "error"))
    yield from _stream_end(fault)
    yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
    yield sse({"type": "message_delta", "delta": {"stop_reason": script.stop_reason or "end_turn",
               "stop_sequence": None}, "usage": {"output_tokens": script.usage.get("output", 0)}}, "message_delta")
    yield sse({"type": "message_stop"}, "message_stop")


def _thinking_block(script: Any) -> Iterator[Any]:
    yield sse({"type": "content_block_start", "index": 0,
               "content_block": {"type": "thinking", "thinking": "", "signature": ""}}, "content_block_start")
    for piece in re.findall(r"\S+\s*", script.reasoning):
        yield "delay"
        yield sse({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "thinking_delta", "thinking": piece}}, "content_block_delta")
    yield sse({"type": "content_block_delta", "index": 0,
               "delta": {"type": "signature_delta", "signature": SIGNATURE}}, "content_block_delta")
    yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")


def anthropic_whole(script: Any, body: dict) -> dict:
    """A complete `message` object: the reply of a server that does not stream."""
    content: list[dict] = []
    if script.reasoning:
        content.append({"type": "thinking", "thinking": script.reasoning, "signature": SIGNATURE})
    content.append({"type": "text", "text": script.text})
    return {"id": "msg_loop", "type": "message", "role": "assistant", "model": body.get("model", ""),
            "content": content, "stop_reason": script.stop_reason or "end_turn", "stop_sequence": None,
            "usage": anthropic_usage(script.usage, script.usage.get("output", 0))}
