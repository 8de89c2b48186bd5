"""``:model``: which model answers (a picker of the configured ones, or a name)."""

from __future__ import annotations

from collections.abc import Iterator

from smelt_repl.commands.base import ShellOps, guarded
from smelt_repl.model_choice import configured_models
from smelt_repl.pickers import Choice


def model(shell: ShellOps, args: str) -> None:
    """``:model`` (a picker, the current model marked) or ``:model NAME`` (``provider/model``,
    or a bare name on the current provider)."""
    if args:
        use_model(shell, args)
        return
    current = _current_key(shell)
    names = configured_models(shell.app.providers, current)
    choices = [Choice(f"{'●' if name == current else ' '} {name}", name) for name in names]
    index = names.index(current) if current in names else 0
    shell.open_picker("model for the next replies?  (Enter picks, Esc cancels)", choices,
                      lambda name: guarded(shell, use_model, name), index=index)


def use_model(shell: ShellOps, name: str) -> None:
    """Switch to model ``name`` for the next replies (errors: one line, nothing changes)."""
    resolved = shell.app.choose_model(name)
    shell.print(f"model: {resolved.key}")


def model_choices(shell: ShellOps) -> Iterator[tuple[str, str]]:
    """Tab completions of ``:model``: configured model names, the current one marked."""
    current = _current_key(shell)
    for name in configured_models(shell.app.providers, current):
        yield name, "in use" if name == current else ""


def _current_key(shell: ShellOps) -> str | None:
    from smelt_repl.app import ConfigError

    try:
        return shell.app.resolved_model().key
    except ConfigError:
        return None
