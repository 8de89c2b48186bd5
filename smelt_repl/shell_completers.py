"""The shell's Tab completers, built when first asked for: the command table they read is
not imported before the first frame is drawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prompt_toolkit.completion import Completer, DynamicCompleter, merge_completers

if TYPE_CHECKING:
    from smelt_repl.commands.base import ShellOps


def prompt_completer(shell: ShellOps, cwd: Callable[[], str]) -> Completer:
    """The prompt's completer: ``:commands`` and ``@paths`` (from ``cwd()``)."""
    def build() -> Completer:
        from smelt_repl.commands import CommandCompleter
        from smelt_repl.commands.completion import AtPathCompleter

        return merge_completers([CommandCompleter(shell), AtPathCompleter(cwd)])

    return _built_once(build)


def command_line_completer(shell: ShellOps) -> Completer:
    """The Vim command line's completer (command names and their arguments)."""
    def build() -> Completer:
        from smelt_repl.commands import CommandCompleter

        return CommandCompleter(shell)

    return _built_once(build)


def _built_once(build: Callable[[], Completer]) -> Completer:
    made: list[Completer] = []

    def get() -> Completer:
        if not made:
            made.append(build())
        return made[0]

    return DynamicCompleter(get)
