"""smelt-repl: a terminal chat REPL with durable, rewindable sessions and Lua scripting."""

__version__ = "0.1.0"
