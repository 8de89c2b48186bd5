"""The offline responder: the default provider, with no network and no key.

It answers at once with a short fixed text that quotes the user and, the first time in a
conversation, says how to set up a real provider, so every path of the program (streaming,
usage, cost, sessions) works without a model.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Iterator

from smelt_repl.session_core.content import first_line, message_text

from .base import ChatRequest, Done, StreamEvent, TextDelta, Usage, UsageReport
from .offline_summary import compaction_summary
from .prompt_tally import PromptTally

_TOKEN = re.compile(r"\w+|[^\w\s]")
_QUOTE_LIMIT = 200
_INTRO = ("**Offline mode.** This is smelt-repl's built-in offline responder: no model is "
          "configured, so nothing was sent anywhere.")
_SHORT_INTRO = "**Offline mode.** Nothing was sent anywhere (how to set up a model is above)."
_HELP_MARK = "To talk to a real model:"
_HELP = f"""\
{_HELP_MARK}
- `--model openai/gpt-4o-mini` with `OPENAI_API_KEY` set
- `--model anthropic/claude-haiku-4-5` with `ANTHROPIC_API_KEY` set
- `--model ollama/llama3.2` for a local Ollama server
- `--api-base URL --model NAME` for any OpenAI-compatible server
- or `smelt.provider.register(...)` and `smelt.settings.model` in `init.lua`"""


@lru_cache(maxsize=1 << 16)
def count_tokens(text: str) -> int:
    """A rough, deterministic token count: words and punctuation marks. Cached: a turn on a
    long session counts only what is new (the history's texts are the same str objects)."""
    return len(_TOKEN.findall(text))


def reply_for(request: ChatRequest, help_given: bool | None = None) -> str:
    """The offline reply to `request`; the same request always gets the same text. The setup
    help comes once per conversation: not again while an earlier reply in it carries it
    (`help_given`, when the caller knows it already). A compaction request gets a summary
    of its messages (``offline_summary``)."""
    summary = compaction_summary(request.messages)
    if summary is not None:
        return summary
    last = next(
        (message_text(m.get("content")) for m in reversed(request.messages) if m.get("role") == "user"),
        "",
    )
    quote = first_line(last, _QUOTE_LIMIT)
    heard = f"You said:\n\n> {quote}" if quote else "Your message was empty."
    if _help_given(request.messages) if help_given is None else help_given:
        return f"{_SHORT_INTRO}\n\n{heard}"
    return f"{_INTRO}\n\n{heard}\n\n{_HELP}"


def _help_given(messages: list[dict]) -> bool:
    return any(m.get("role") == "assistant" and _HELP_MARK in message_text(m.get("content"))
               for m in messages)


class OfflineProvider:
    """Streams `reply_for(request)` in word-sized deltas, then a usage report."""

    def __init__(self, name: str = "offline") -> None:
        self.name = name
        self._tally = PromptTally(count_tokens, _HELP_MARK)  # a long session is read once, not per turn

    def stream(self, request: ChatRequest, cancel: threading.Event) -> Iterator[StreamEvent]:
        """Stream the offline reply; stops quietly when `cancel` is set."""
        tally = self._tally(request.messages)
        reply = reply_for(request, tally.marked)
        for piece in re.findall(r"\S+\s*|\s+", reply):
            if cancel.is_set():
                return
            yield TextDelta(piece)
        input_tokens = count_tokens(request.system) + tally.tokens
        yield UsageReport(Usage(input=input_tokens, output=count_tokens(reply), context_tokens=input_tokens))
        yield Done("stop")
