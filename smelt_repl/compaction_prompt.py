"""What a compaction asks the model for: a structured summary of the conversation so far.

The instruction goes as the last user message of the summary request (after the messages to
summarise); the offline responder recognises it by ``INSTRUCTION_LEAD``.
"""

from __future__ import annotations

INSTRUCTION_LEAD = "Compact the conversation above into a handoff summary."
GUIDANCE_LEAD = "Guidance from the user for this summary:"
SECTIONS = ("Task", "Current state", "Discoveries", "Next steps", "What to preserve")

_BODY = """\
The summary replaces the messages above in every later request, so write it for an assistant \
that will carry on the conversation with nothing but the summary and the messages after it. \
Use exactly these Markdown sections, in this order, and be concise:
## Task: what the user wants, in their words where it matters
## Current state: what has been done and where things stand now
## Discoveries: facts, decisions and their reasons, and what did not work
## Next steps: what remains to be done
## What to preserve: names, numbers, code, paths and preferences that must not be lost
Answer with the summary only."""


def compaction_instruction(guidance: str = "") -> str:
    """The instruction of a summary request; the user's ``guidance`` (``:compact TEXT``) last."""
    text = f"{INSTRUCTION_LEAD}\n{_BODY}"
    guidance = guidance.strip()
    return f"{text}\n\n{GUIDANCE_LEAD}\n{guidance}" if guidance else text
