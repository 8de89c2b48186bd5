"""The offline responder's answer to a compaction request: a deterministic summary built
from the messages it was given, in the sections the instruction asks for, so compaction
works (and is testable) with no model."""

from __future__ import annotations

from smelt_repl.compaction_prompt import GUIDANCE_LEAD, INSTRUCTION_LEAD, SECTIONS
from smelt_repl.context_view import SUMMARY_LEAD
from smelt_repl.session_core.content import first_line, message_text

_LINE = 200  # characters kept of each quoted line


def compaction_summary(messages: list[dict]) -> str | None:
    """The summary that answers ``messages`` when their last user message is a compaction
    instruction (``compaction_prompt``); None for any other request."""
    if not messages or messages[-1].get("role") != "user":
        return None
    last = message_text(messages[-1].get("content"))
    before, lead, instruction = last.partition(INSTRUCTION_LEAD)
    if not lead:
        return None
    rows = [(m.get("role"), message_text(m.get("content"))) for m in messages[:-1]]
    if before.strip():
        rows.append(("user", before.strip()))
    _, _, guidance = instruction.partition(GUIDANCE_LEAD)
    return _summary(rows, guidance.strip())


def _summary(rows: list[tuple[object, str]], guidance: str) -> str:
    users = [text for role, text in rows if role == "user"]
    replies = [text for role, text in rows if role == "assistant"]
    earlier = users[0] if users and users[0].startswith(SUMMARY_LEAD) else None
    asks = [text for text in users if text is not earlier]
    task = _section(earlier, "Task") if earlier else None
    facts = {
        "Task": task or (first_line(asks[0], _LINE) if asks else "(no request yet)"),
        "Current state": (f'The last request was "{first_line(asks[-1], _LINE)}"' if asks else "Nothing asked yet")
        + (f'; the last reply began "{first_line(replies[-1], _LINE)}".' if replies else "; no reply yet."),
        "Discoveries": f"{len(asks)} user messages and {len(replies)} replies summarised"
        + (", after an earlier summary." if earlier else "."),
        "Next steps": "Carry on from the last exchange.",
        "What to preserve": guidance or "Nothing else was asked to be kept.",
    }
    return "\n\n".join(f"## {name}\n{facts[name]}" for name in SECTIONS)


def _section(summary: str, name: str) -> str | None:
    """The first line of section ``name`` of an earlier summary."""
    _, found, rest = summary.partition(f"## {name}\n")
    return first_line(rest, _LINE) if found and rest.strip() else None
