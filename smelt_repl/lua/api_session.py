"""``smelt.session.*``: the current session and the persisted ones, delegated to the App.

The 18 functions of SPEC §4 (and ``title``, ``messages``), every one UiHost tier (``api_table`` lists them; the guard
refuses them headless). Values go back to Lua as plain tables; ``block_idx`` stays 0-based.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smelt_repl.lua.bindings import LuaApiError
from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua

if TYPE_CHECKING:
    import lupa.lua54 as lua54


class SessionApi:
    """The Python half of ``smelt.session``; always reads ``app.session`` afresh (fork/load swap it)."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime) -> None:
        self.app = app
        self.lua = lua

    # -- facts of the current session --------------------------------------------------------

    def id(self) -> str:
        """The current session's id."""
        return self.app.session.id

    def dir(self) -> str:
        """Absolute path of the session directory."""
        return str(self.app.session.dir)

    def cwd(self) -> str:
        """The directory the session was started in."""
        return str(self.app.session.cwd)

    def created_at_ms(self) -> int:
        """Creation time, Unix epoch milliseconds."""
        return self.app.session.created_at_ms

    def context_tokens(self) -> int | None:
        """Prompt-side tokens of the latest model call in the live history (nil before one)."""
        return self.app.session.context_tokens()

    def context_window(self) -> int | None:
        """The active model's declared context window (nil when undeclared)."""
        return self.app.context_window()

    def cost(self) -> float:
        """USD spent by every model call of the session (rewind does not lower it)."""
        return float(self.app.session.cost())

    def tokens(self) -> Any:
        """Cumulative token counts; cache_hit_ratio absent until input was seen."""
        return to_lua(self.lua, self.app.session.tokens())

    def turns(self) -> Any:
        """User turns of the live history as ``{block_idx, label}`` rows."""
        rows = [{"block_idx": t.block_idx, "label": t.label} for t in self.app.session.turns()]
        return to_lua(self.lua, rows)

    def title(self) -> str | None:
        """The session's title, nil when it has none."""
        return self.app.session.title or None

    def messages(self) -> Any:
        """The live history as ``{role, content}`` rows, content as its text."""
        from smelt_repl.session_core.content import message_text

        rows = [{"role": m.get("role", ""), "content": message_text(m.get("content"))}
                for m in self.app.session.messages]
        return to_lua(self.lua, rows)

    def system(self) -> str:
        """The exact system prompt of the next request."""
        return self.app.system()

    # -- changing the current session --------------------------------------------------------

    def rewind_to(self, block_idx: Any = None, opts: Any = None) -> None:
        """Cut the history at a user turn; ``opts.restore_vim_insert`` leaves the prompt in insert mode."""
        options = _options(opts, "smelt.session.rewind_to: opts")
        self.app.rewind_to(_block_index(block_idx),
                           restore_vim_insert=bool(options.get("restore_vim_insert")))

    def fork(self) -> None:
        """Continue in a copy of the current session."""
        self.app.fork()

    def reset(self) -> None:
        """Switch to a new empty session (the old one stays on disk)."""
        self.app.reset()

    def load(self, session_id: Any = None) -> None:
        """Switch to a persisted session (id or unique prefix)."""
        self.app.load(lua_string(session_id, "smelt.session.load: id"))

    # -- persisted sessions -----------------------------------------------------------------

    def list(self, opts: Any = None) -> Any:
        """Persisted sessions but the current one, newest first; text fields "" when empty.
        With ``{limit, cursor, cwd}``: one page, ``{entries, next_cursor}``."""
        if opts is not None:
            from smelt_repl.lua.api_session_more import SessionMoreApi

            return SessionMoreApi(self.app, self.lua).list_page(opts)
        rows = [{**row, **{k: row.get(k) or "" for k in _TEXT_FIELDS}} for row in self.app.list_sessions()]
        return to_lua(self.lua, rows)

    def delete(self, session_id: Any = None) -> None:
        """Delete a persisted session by its exact id (a prefix is refused: a script does not
        get the REPL's y/N question), never the current or a locked one."""
        exact = lua_string(session_id, "smelt.session.delete: id")
        if self.app.store.resolve(exact) != exact:
            raise LuaApiError(f"smelt.session.delete: needs the exact id, not the prefix {exact!r}")
        self.app.delete(exact)

    def text(self, session_id: Any = None) -> str | None:
        """A session's searchable text, nil when it does not exist."""
        return self.app.text(lua_string(session_id, "smelt.session.text: id"))

    def texts(self, ids: Any = None) -> Any:
        """Searchable texts of many sessions, keyed by id; missing ones omitted."""
        wanted = from_lua(ids)
        if wanted == {}:
            wanted = []
        if not isinstance(wanted, list):
            raise ConversionError(f"smelt.session.texts: ids must be a list of strings, got {lua_type_name(ids)}")
        return to_lua(self.lua, self.app.texts([lua_string(i, "smelt.session.texts: each id") for i in wanted]))


_TEXT_FIELDS = ("title", "subtitle", "cwd", "parent_id")


def _block_index(value: Any) -> int | None:
    """A Lua block index (nil, an integer, or an integral float) as a Python int or None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ConversionError("smelt.session.rewind_to: block_idx must be an integer or nil, "
                          f"got {lua_type_name(value)}")


def _options(value: Any, what: str) -> dict:
    """An optional options table as a dict ({} for nil)."""
    if value is None:
        return {}
    options = from_lua(value)
    if not isinstance(options, dict):
        raise ConversionError(f"{what} must be a table, got {lua_type_name(value)}")
    return options
