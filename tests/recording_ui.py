"""A UiHost for tests that records what the core asked of the terminal UI."""

from __future__ import annotations


class RecordingUi:
    """Implements smelt_repl.ui_host.UiHost by remembering every call."""

    def __init__(self) -> None:
        self.prompt = ""
        self.vim_insert = False
        self.outputs: list[str] = []
        self.errors: list[str] = []
        self.shown: list[list[dict]] = []
        self.builtins = {"cost", "help"}
        self.builtin_runs: list[tuple[str, str]] = []
        self.quits = 0
        self.keymaps: dict[tuple[str, str], tuple[object, str | None]] = {}

    def set_prompt_text(self, text: str) -> None:
        self.prompt = text

    def enter_vim_insert(self) -> None:
        self.vim_insert = True

    def output(self, text: str) -> None:
        self.outputs.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def show_session(self, messages: list[dict], reset_mode: bool = True) -> None:
        self.shown.append(list(messages))
        self.prompt = ""
        if reset_mode:
            self.vim_insert = True

    def quit(self) -> None:
        self.quits += 1

    def run_builtin(self, name: str, args: str) -> bool:
        if name not in self.builtins:
            return False
        self.builtin_runs.append((name, args))
        return True

    def add_keymap(self, mode: str, keys: str, action: object, desc: str | None) -> None:
        self.keymaps[(mode, keys)] = (action, desc)
