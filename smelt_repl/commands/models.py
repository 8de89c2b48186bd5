"""``:model`` (which model answers: the configured ones and what the server serves),
``:reasoning`` (how hard it thinks) and ``:thinking`` (what it thought)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from smelt_repl.commands.base import CommandError, ShellOps, guarded
from smelt_repl.model_choice import configured_models
from smelt_repl.pickers import Choice

REASONING_LEVELS = ("low", "medium", "high", "off", "default")


def model(shell: ShellOps, args: str) -> None:
    """``:model`` (a picker, the current model marked, the server's own list added once it
    answers) or ``:model NAME`` (``provider/model``, or a bare name on the current provider)."""
    if args:
        use_model(shell, args)
        return
    resolved = _current(shell)
    cache = shell.app.served_models
    key = (resolved.spec.name, resolved.spec.api_base) if resolved is not None else None
    if resolved is None or resolved.spec.kind == "offline" or key in cache:
        _open_picker(shell, cache.get(key, []) if key else [])
        return
    shell.print(f"asking {resolved.spec.name} which models it serves…")
    threading.Thread(target=_fetch_then_pick, args=(shell, resolved, key), name="smelt-models", daemon=True).start()


def _fetch_then_pick(shell: ShellOps, resolved, key: tuple) -> None:  # noqa: ANN001 - a ResolvedModel
    from smelt_repl.providers import ProviderError, list_models

    problem = None
    try:
        served = [f"{resolved.spec.name}/{name}" for name in list_models(resolved, shell.app.env)]
    except ProviderError as exc:
        served, problem = [], str(exc)
    shell.app.served_models[key] = served

    def pick() -> None:
        if problem:
            shell.print_error(problem)
        _open_picker(shell, served)

    shell.on_ui(pick)


def _open_picker(shell: ShellOps, served: list[str]) -> None:
    current = _current_key(shell)
    names = _known_models(shell, current, served)
    choices = [Choice(f"{'●' if name == current else ' '} {name}", name) for name in names]
    index = names.index(current) if current in names else 0
    shell.open_picker("model for the next replies?  (Enter picks, Esc cancels)", choices,
                      lambda name: guarded(shell, use_model, name), index=index)


def use_model(shell: ShellOps, name: str) -> None:
    """Switch to model ``name`` for the next replies (errors: one line, nothing changes)."""
    resolved = shell.app.choose_model(name)
    shell.print(f"model: {resolved.key}")


def model_choices(shell: ShellOps) -> Iterator[tuple[str, str]]:
    """Tab completions of ``:model``: configured (and already fetched served) model names."""
    current = _current_key(shell)
    served = [name for names in shell.app.served_models.values() for name in names]
    for name in _known_models(shell, current, served):
        yield name, "in use" if name == current else ""


def _known_models(shell: ShellOps, current: str | None, served: list[str]) -> list[str]:
    """The configured models and those a server said it serves, sorted, each once."""
    return sorted(set(configured_models(shell.app.providers, current)) | set(served))


def reasoning(shell: ShellOps, args: str) -> None:
    """``:reasoning LEVEL``: ask for low / medium / high reasoning, none (off), or the model's
    own setting (default); without LEVEL, say what is asked for."""
    if not args:
        level = shell.app.reasoning_effort or "default (the model's setting)"
        shell.print(f"reasoning: {level}")
        return
    if args not in REASONING_LEVELS:
        raise CommandError(f'bad argument "{args}": usage :reasoning {"|".join(REASONING_LEVELS)}')
    shell.app.reasoning_effort = None if args == "default" else args
    shell.print(f"reasoning: {args} (from the next message)")


def thinking(shell: ShellOps, args: str) -> None:
    """``:thinking``: the reasoning behind the last reply, in full."""
    del args
    for message in reversed(shell.app.session.messages):
        if message.get("role") == "assistant" and message.get("reasoning_content"):
            shell.print(f"thinking behind the last reply:\n{message['reasoning_content']}")
            return
    shell.print("the last replies came with no thinking")


def _current(shell: ShellOps):  # noqa: ANN202 - a ResolvedModel or None
    from smelt_repl.app import ConfigError

    try:
        return shell.app.resolved_model()
    except ConfigError:
        return None


def _current_key(shell: ShellOps) -> str | None:
    resolved = _current(shell)
    return resolved.key if resolved is not None else None
