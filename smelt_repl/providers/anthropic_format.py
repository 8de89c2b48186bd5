"""Turn an OpenAI-style `ChatRequest` into an Anthropic Messages API request body."""

from __future__ import annotations

from smelt_repl.session_core.content import message_text

from .base import ChatRequest

DEFAULT_MAX_TOKENS = 4096  # the Messages API requires max_tokens on every request
_SYSTEM_ROLES = ("system", "developer")
_EPHEMERAL = {"type": "ephemeral"}


def request_body(request: ChatRequest, thinking_budget: int | None = None, caching: bool = False) -> dict:
    """The JSON body for a streamed `POST /v1/messages`.

    System-role messages join the top-level system prompt; tool results become user text;
    image_url parts become image blocks; messages left empty are dropped (the API refuses them).
    `thinking_budget` asks for extended thinking (max_tokens is raised above it, as the API
    requires); `caching` marks the system prompt and the last user message before the new
    one as cacheable, so each turn reads the conversation so far from the prompt cache.
    """
    system = [request.system] if request.system else []
    messages = []
    for message in request.messages:
        role, content = message.get("role"), message.get("content")
        if role in _SYSTEM_ROLES:
            text = message_text(content)
            if text.strip():
                system.append(text)
            continue
        if role == "tool":
            role, content = "user", _tool_result_text(message)
        elif role not in ("user", "assistant"):
            role = "user"
        blocks = convert_content(content)
        if blocks:
            messages.append({"role": role, "content": blocks})
    body: dict = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
        "stream": True,
    }
    if system:
        body["system"] = "\n\n".join(system)
    if thinking_budget is not None:
        _ask_for_thinking(body, thinking_budget)
    if caching:
        _mark_cacheable(body)
    return body


def _ask_for_thinking(body: dict, budget: int) -> None:
    """Extended thinking within `budget` tokens; max_tokens must exceed the budget."""
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if body["max_tokens"] <= budget:
        body["max_tokens"] += budget


def _mark_cacheable(body: dict) -> None:
    """Cache breakpoints on the system prompt and on the stable prefix of the conversation
    (up to the last user message before the newest one)."""
    if body.get("system"):
        body["system"] = [{"type": "text", "text": body["system"], "cache_control": _EPHEMERAL}]
    messages = body["messages"]
    earlier = [i for i, m in enumerate(messages[:-1]) if m["role"] == "user"]
    if earlier:
        message = messages[earlier[-1]]
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        blocks[-1] = {**blocks[-1], "cache_control": _EPHEMERAL}
        messages[earlier[-1]] = {**message, "content": blocks}


def convert_content(content: object) -> str | list[dict] | None:
    """Anthropic content for an OpenAI content value (a string or a list of parts)."""
    if content is None:
        return None
    if isinstance(content, str):
        return content if content.strip() else None
    if not isinstance(content, list):
        return str(content)
    blocks = [block for part in content if (block := _convert_part(part)) is not None]
    return blocks or None


def _convert_part(part: object) -> dict | None:
    if isinstance(part, str):
        return {"type": "text", "text": part} if part.strip() else None
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in ("text", "input_text"):
        text = part.get("text") or ""
        return {"type": "text", "text": text} if text.strip() else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url", "") if isinstance(image, dict) else str(image or "")
        return _image_block(url)
    return part  # already an Anthropic block (image, document, ...): pass it on


def _image_block(url: str) -> dict | None:
    if url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if encoding != "base64" or not data:
            return None
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    return None


def _tool_result_text(message: dict) -> str:
    name = message.get("name") or message.get("tool_call_id") or ""
    label = f"[tool result {name}]" if name else "[tool result]"
    return f"{label}\n{message_text(message.get('content'))}"
