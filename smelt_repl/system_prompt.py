"""Assembling the system prompt: base prompt, project instructions, and Lua-added sections.

``assemble_system_prompt`` is the single source of the text a request sends, so
``smelt.session.system()`` can return it byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant in a terminal chat. Answer concisely and accurately. "
    "Use Markdown; put code in fenced blocks with a language tag."
)
PROJECT_INSTRUCTIONS_FILE = "AGENTS.md"
MAX_INSTRUCTIONS_BYTES = 256 * 1024


def project_instructions(cwd: str) -> str | None:
    """The text of ``AGENTS.md`` in ``cwd``, if there is a readable one."""
    path = Path(cwd) / PROJECT_INSTRUCTIONS_FILE
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INSTRUCTIONS_BYTES)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace").strip()
    return text or None


def assemble_system_prompt(base: str | None, cwd: str, sections: Sequence[str]) -> str:
    """Base prompt (default when None), then AGENTS.md of ``cwd``, then ``sections``; blank-line separated."""
    parts = [DEFAULT_SYSTEM_PROMPT if base is None else base]
    instructions = project_instructions(cwd)
    if instructions:
        parts.append(f"# Project instructions ({PROJECT_INSTRUCTIONS_FILE})\n\n{instructions}")
    parts.extend(sections)
    return "\n\n".join(part.strip("\n") for part in parts if part and part.strip())
