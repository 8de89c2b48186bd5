"""``smelt.session`` beyond the seed (issue 11): titles, the conversation, info and status,
the fork tree, paged lists. Like the seed's functions these are UiHost tier, except the pure
``tree``, which works headless too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smelt_repl.lua.bindings import LuaApiError
from smelt_repl.lua.convert import ConversionError, from_lua, lua_string, lua_type_name, to_lua
from smelt_repl.session_core.content import message_text
from smelt_repl.session_tree import session_tree

if TYPE_CHECKING:
    import lupa.lua54 as lua54

DEFAULT_CONVERSATION_ROWS = 20


class SessionMoreApi:
    """The Python half of the newer ``smelt.session`` functions."""

    def __init__(self, app: Any, lua: lua54.LuaRuntime) -> None:
        self.app = app
        self.lua = lua

    def set_title(self, title: Any = None) -> None:
        """``smelt.session.set_title(title)``; nil or "" clears it."""
        text = "" if title is None else lua_string(title, "smelt.session.set_title: title")
        session = self.app.session
        if not session.messages:
            raise LuaApiError("smelt.session.set_title: the session is empty (it is saved with its first message)")
        session.set_title(" ".join(text.split()) or None)

    def set_title_for_history(self, title: Any = None, slug: Any = None, history_len: Any = None) -> bool:
        """smelt's ``set_title_for_history(title, slug, history_len)``: sets the title only while
        the history still has ``history_len`` messages (a title made for it); true when set."""
        del slug  # smelt names files by it; sessions here are named by their id
        if not isinstance(history_len, (int, float)) or isinstance(history_len, bool):
            raise ConversionError("smelt.session.set_title_for_history: history_len must be a number, "
                                  f"got {lua_type_name(history_len)}")
        if len(self.app.session.messages) != int(history_len):
            return False
        self.set_title(title)
        return True

    def conversation(self, opts: Any = None) -> Any:
        """User and assistant rows ``{index, role, content}`` (index 0-based in the history):
        the last 20 by default, ``{limit = n}``, ``{since_index = n}``, ``{all = true}``."""
        options = from_lua(opts) if opts is not None else {}
        if not isinstance(options, dict):
            raise ConversionError(f"smelt.session.conversation: opts must be a table, got {lua_type_name(opts)}")
        rows = [{"index": i, "role": m["role"], "content": message_text(m.get("content"))}
                for i, m in enumerate(self.app.session.messages) if m.get("role") in ("user", "assistant")]
        if isinstance(options.get("since_index"), (int, float)):
            rows = [row for row in rows if row["index"] >= options["since_index"]]
        if not options.get("all"):
            limit = options.get("limit", DEFAULT_CONVERSATION_ROWS)
            rows = rows[-int(limit):] if isinstance(limit, (int, float)) and limit > 0 else []
        return to_lua(self.lua, rows)

    def info(self) -> Any:
        """``{id, title, created_at_ms, updated_at_ms, cwd, dir, parent_id, model,
        message_count, cost, tokens}`` of the current session."""
        session = self.app.session
        return to_lua(self.lua, {
            "id": session.id, "title": session.title or "", "created_at_ms": session.created_at_ms,
            "updated_at_ms": session.history.updated_at_ms, "cwd": str(session.cwd), "dir": str(session.dir),
            "parent_id": session.parent_id or "", "model": self._model_key() or "",
            "message_count": len(session.messages), "cost": float(session.cost()), "tokens": session.tokens(),
        })

    def status(self) -> Any:
        """``{model, provider, api_base, context = {tokens, window}, cost}``: what the status line knows."""
        from smelt_repl.app import ConfigError

        try:
            resolved = self.app.resolved_model()
            model, provider, api_base = resolved.key, resolved.spec.name, resolved.spec.api_base or ""
            window = resolved.config.context_window
        except ConfigError:
            model = provider = api_base = ""
            window = None
        session = self.app.session
        return to_lua(self.lua, {"model": model, "provider": provider, "api_base": api_base,
                                 "context": {"tokens": session.context_tokens(), "window": window},
                                 "cost": float(session.cost())})

    def tree(self, entries: Any = None, opts: Any = None) -> Any:
        """``smelt.session.tree(entries, {order = "asc"})``: the entries depth first by
        parent_id with ``depth``, ``tree_prefix``, ``tree_is_last``, ``tree_has_children``."""
        rows = from_lua(entries) if entries is not None else []
        rows = [] if rows == {} else rows
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ConversionError(f"smelt.session.tree: entries must be a list of tables, got {lua_type_name(entries)}")
        options = from_lua(opts) if opts is not None else {}
        order = options.get("order", "desc") if isinstance(options, dict) else "desc"
        return to_lua(self.lua, session_tree(rows, "asc" if order == "asc" else "desc"))

    def list_page(self, opts: Any) -> Any:
        """``smelt.session.list{limit, cursor, cwd}`` → ``{entries, next_cursor}``: pages in
        the list's order (newest first); the cursor names the last row shown, so pages stay
        right while other processes add or delete sessions."""
        options = from_lua(opts)
        if not isinstance(options, dict):
            raise ConversionError(f"smelt.session.list: opts must be a table, got {lua_type_name(opts)}")
        rows = self.app.list_sessions()
        if isinstance(options.get("cwd"), str):
            rows = [row for row in rows if row.get("cwd") == options["cwd"]]
        cursor = options.get("cursor")
        if isinstance(cursor, str) and ":" in cursor:
            stamp, _, last_id = cursor.partition(":")
            after = (-int(stamp), last_id) if stamp.lstrip("-").isdigit() else None
            if after is not None:
                rows = [row for row in rows if (-(row.get("updated_at_ms") or 0), row["id"]) > after]
        limit = options.get("limit")
        page = rows[: int(limit)] if isinstance(limit, (int, float)) and limit > 0 else rows
        more = len(page) < len(rows)
        next_cursor = f"{page[-1].get('updated_at_ms') or 0}:{page[-1]['id']}" if more and page else None
        text_fields = ("title", "subtitle", "cwd", "parent_id")
        entries = [{**row, **{k: row.get(k) or "" for k in text_fields}} for row in page]
        return to_lua(self.lua, {"entries": entries, "next_cursor": next_cursor})

    def context_note(self, name: Any = None, text: Any = None) -> None:
        """``smelt.session.context_note(name, text)``: a named note added to later requests'
        system prompt (visible in ``system()``); nil text removes it."""
        key = lua_string(name, "smelt.session.context_note: name")
        if text is None:
            self.app.context_notes.pop(key, None)
        else:
            self.app.context_notes[key] = lua_string(text, "smelt.session.context_note: text")

    def model_messages(self) -> Any:
        """``smelt.session.model_messages()``: the ``{role, content}`` rows the next request is
        built from: the checkpoint's summary (a user row) first, when one applies, then the
        live messages from its index (``context_view.model_rows``)."""
        from smelt_repl.context_view import model_rows

        return to_lua(self.lua, model_rows(self.app.session))

    def checkpoint(self, spec: Any = None, *extra: Any) -> None:
        """``smelt.session.checkpoint{summary, first_live_message_index, kind}``: from now on
        ``summary`` stands for the ``model_messages()`` rows before the index (0-based; 0
        installs nothing); the transcript keeps every message. ``kind`` defaults to "manual"."""
        from smelt_repl.context_view import history_index, model_rows

        what = "smelt.session.checkpoint"
        options = from_lua(spec) if spec is not None else None
        if not isinstance(options, dict) or extra:
            raise ConversionError(f"{what}: takes one table {{summary, first_live_message_index, kind}}, "
                                  f"got {lua_type_name(spec)}")
        summary, kind = options.get("summary"), options.get("kind", "manual")
        if not isinstance(summary, str) or not summary.strip():
            raise LuaApiError(f"{what}: summary must be a non-empty string, got {lua_type_name(summary)}")
        if not isinstance(kind, str):
            raise LuaApiError(f"{what}: kind must be a string, got {lua_type_name(kind)}")
        row = _whole_number(options.get("first_live_message_index"), f"{what}: first_live_message_index")
        with self.app.guard.lock:  # not under a turn's write; the turn itself goes on
            session = self.app.session
            rows = len(model_rows(session))
            if not 0 <= row <= rows:
                raise LuaApiError(f"{what}: first_live_message_index {row} is out of range (0 to {rows})")
            if row:
                session.add_checkpoint(summary, history_index(session, row), kind)

    def _model_key(self) -> str | None:
        from smelt_repl.app import ConfigError

        try:
            return self.app.resolved_model().key
        except ConfigError:
            return None


def _whole_number(value: Any, what: str) -> int:
    """A Lua integer (or integral float) as an int; ConversionError for anything else."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ConversionError(f"{what} must be an integer, got {lua_type_name(value)}"
                          + (f" {value}" if isinstance(value, float) else ""))
