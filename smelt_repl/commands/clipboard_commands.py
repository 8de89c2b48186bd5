"""``:copy``: the last reply, or one of its code blocks, to the clipboard."""

from __future__ import annotations

from smelt_repl.clipboard import copy
from smelt_repl.commands.base import CommandError, ShellOps
from smelt_repl.markdown_blocks import code_blocks
from smelt_repl.session_core.content import message_text


def copy_reply(shell: ShellOps, args: str) -> None:
    """``:copy`` (the last reply) or ``:copy N`` (its Nth code block, from 1)."""
    reply = last_reply(shell)
    text = reply
    if args:
        if not args.isdigit():
            raise CommandError(f'bad argument "{args}": usage :copy [N]')
        blocks = code_blocks(reply)
        n = int(args)
        if not 1 <= n <= len(blocks):
            have = f"code blocks 1-{len(blocks)}" if blocks else "no code blocks"
            raise CommandError(f"no code block {n} in the last reply ({have})")
        text = blocks[n - 1]
    ways = copy(text, shell.send_to_terminal)
    if not ways:
        raise CommandError("nothing can reach the clipboard here (no terminal support, no clipboard tool)")
    what = f"code block {args}" if args else "the last reply"
    shell.print(f"copied {what} ({len(text)} characters, via {' and '.join(ways)})")


def last_reply(shell: ShellOps) -> str:
    """The text of the last reply of the live history."""
    for message in reversed(shell.app.session.messages):
        if message.get("role") == "assistant" and message_text(message.get("content")):
            return message_text(message.get("content"))
    raise CommandError("no reply to copy yet")
