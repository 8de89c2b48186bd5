"""What a line of input is: a command, a message, or a likely typo of a command (SPEC §9).

The rule, the same in the REPL and for headless ``-p``:
- ``:name`` or ``/name`` (smelt and Claude Code users type ``/``) as the first word, for a
  known command, is that command; commands are single-line, except ``:lua``;
- ``::text`` and ``//text`` are the messages ``:text`` and ``/text``;
- an unknown name close to a known one (edit distance 1 for names of up to 4 letters, 2 for
  longer ones) is held back with a hint, since a typo should not cost money;
- everything else is a message: other multi-line input, ``:`` or ``/`` followed by a
  non-letter (``:) thanks``, ``/usr/bin``), an unknown name (``:root {``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_COMMAND_WORD = re.compile(r"[:/]([A-Za-z][A-Za-z0-9_-]*)(!?)(?=\s|$)")
MULTILINE_COMMANDS = frozenset({"lua"})


@dataclass(frozen=True)
class CommandInput:
    """A known command ``name`` with its argument text (``bang``: typed as ``:q!``)."""

    name: str
    args: str
    bang: bool = False

    @property
    def line(self) -> str:
        """The command as a ``:name args`` line."""
        return f":{self.name} {self.args}".rstrip()


@dataclass(frozen=True)
class MessageInput:
    """Text to send to the model."""

    text: str


@dataclass(frozen=True)
class LikelyTypo:
    """``:name`` that is no command but close to ``suggestion``: held back, not sent."""

    name: str
    suggestion: str
    prefix: str = ":"

    @property
    def hint(self) -> str:
        """One line that says what happened and how to send the text anyway."""
        p = self.prefix
        return (f"unknown command {p}{self.name}: did you mean {p}{self.suggestion}? "
                f"(to send it as a message, start it with {p}{p})")


def classify(text: str, known: Collection[str]) -> CommandInput | MessageInput | LikelyTypo:
    """What ``text`` is, given the ``known`` command names."""
    stripped = text.strip()
    if stripped[:2] in ("::", "//"):
        return MessageInput(stripped[1:])
    match = _COMMAND_WORD.match(stripped)
    if match is None:
        return MessageInput(text)
    name, bang = match.group(1), match.group(2) == "!"
    multiline = "\n" in stripped
    if name in known:
        if multiline and name not in MULTILINE_COMMANDS:
            return MessageInput(text)
        return CommandInput(name, stripped[match.end():].strip(), bang)
    suggestion = None if multiline or bang else closest(name, known)
    if suggestion is not None:
        return LikelyTypo(name, suggestion, stripped[0])
    return MessageInput(text)


def closest(name: str, known: Collection[str]) -> str | None:
    """The known name within typo distance of ``name`` (1 up to 4 letters, else 2), if any."""
    limit = 1 if len(name) <= 4 else 2
    best: tuple[int, str] | None = None
    for candidate in sorted(known):
        distance = edit_distance(name.lower(), candidate.lower(), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``; anything over ``limit`` is reported as limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
