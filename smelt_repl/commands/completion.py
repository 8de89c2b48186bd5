"""Tab completion of commands: names with their descriptions, then some arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from smelt_repl.commands.base import ShellOps
from smelt_repl.commands.models import REASONING_LEVELS, model_choices
from smelt_repl.commands.table import HELP_TOPICS, all_commands
from smelt_repl.lua.registries import split_command_line


def argument_choices(shell: ShellOps, name: str, arg: str, requested: bool) -> Iterator[tuple[str, str]]:
    """Completions for the argument of command ``name``: (value, description) pairs.

    Session ids are offered only on an explicit Tab (listing can be slow on big stores).
    """
    if name == "set":
        yield from (("vim", "vim key bindings"), ("novim", "emacs key bindings"))
    elif name == "rewind":
        if shell.app.session.can_undo_rewind:
            yield "undo", "bring back what the last rewind cut"
        for n, turn in enumerate(shell.app.session.turns(), 1):
            yield str(n), turn.label
    elif name == "model":
        yield from model_choices(shell)
    elif name == "reasoning":
        yield from ((level, "") for level in REASONING_LEVELS)
    elif name == "help":
        yield from HELP_TOPICS.items()
    elif name in ("load", "delete") and requested:
        for row in shell.app.list_sessions()[:50]:
            label = row.get("title") or row.get("subtitle") or ""
            yield row["id"][:8], " ".join(str(label).split())[:60]


class CommandCompleter(Completer):
    """Completes ``:name`` with descriptions, then arguments of some commands."""

    def __init__(self, shell: ShellOps) -> None:
        self.shell = shell

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith(":") or "\n" in text:
            return
        body = text[1:]
        name, _ = split_command_line(body)
        rest = body.lstrip()[len(name):]
        if not rest:  # still typing the name
            for command, desc in all_commands(self.shell):
                if command.startswith(name):
                    yield Completion(command, -len(body), display=f":{command}", display_meta=desc)
            return
        arg = rest.lstrip()
        for value, meta in argument_choices(self.shell, name, arg, complete_event.completion_requested):
            if value.startswith(arg):
                yield Completion(value, -len(arg), display_meta=meta)


class AtPathCompleter(Completer):
    """Completes ``@path`` (a file to attach) from the directory the REPL started in."""

    def __init__(self, cwd: Callable[[], str]) -> None:
        self._paths = PathCompleter(get_paths=lambda: [cwd()], expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        word = document.get_word_before_cursor(WORD=True)
        if not word.startswith("@") or document.text.startswith(":"):
            return
        yield from self._paths.get_completions(Document(word[1:], len(word) - 1), complete_event)
