"""Commands on the conversation in front of you: rewind, retry, fork, reset, compact."""

from __future__ import annotations

from smelt_repl.attachments import AttachmentError, attach
from smelt_repl.commands.base import CommandError, ShellOps, guarded, no_args
from smelt_repl.pickers import turn_choices
from smelt_repl.session_core.content import message_text


def rewind(shell: ShellOps, args: str) -> None:
    """``:rewind`` (picker), ``:rewind N`` (N-th turn, from 1), ``:rewind undo``."""
    if not args:
        open_rewind_picker(shell)
    elif args == "undo":
        shell.app.undo_rewind()
    elif args.isdigit():
        turns = shell.app.session.turns()
        n = int(args)
        if not 1 <= n <= len(turns):
            have = f"turns 1-{len(turns)}" if turns else "no turns yet"
            raise CommandError(f"no turn {n} to rewind to ({have})")
        rewind_to(shell, turns[n - 1].block_idx)
    else:
        raise CommandError(f'bad argument "{args}": usage :rewind [N|undo]')


def open_rewind_picker(shell: ShellOps) -> None:
    """Offer the turns of the live history; picking one rewinds to it."""
    turns = shell.app.session.turns()
    if not turns:
        shell.print("nothing to rewind")
        return
    shell.open_picker("rewind to which turn?  (Enter picks, Esc cancels)", turn_choices(turns),
                      lambda block_idx: guarded(shell, rewind_to, block_idx), index=len(turns) - 1)


def rewind_to(shell: ShellOps, block_idx: int) -> None:
    """Rewind to the user turn at ``block_idx``; its text comes back into the prompt."""
    app = shell.app
    app.rewind_to(block_idx, restore_vim_insert=bool(app.settings.get("restore_vim_insert", True)))


def fork(shell: ShellOps, args: str) -> None:
    """``:fork``: continue in a copy; the original stays as it is."""
    no_args("fork", args)
    parent = shell.app.session.id
    shell.app.fork()
    shell.print(f"forked {parent[:8]} → {shell.app.session.id[:8]} (you are in the fork)")


def reset(shell: ShellOps, args: str) -> None:
    """``:reset``: a new empty session; the old one stays on disk."""
    no_args("reset", args)
    shell.app.reset()
    shell.print(f"new session {shell.app.session.id[:8]}")


def history(shell: ShellOps, args: str) -> None:
    """``:history [N]``: N more user turns from above what a loaded session showed."""
    if args and not args.isdigit():
        raise CommandError(f'bad argument "{args}": usage :history [N]')
    if shell.shown_from <= 0:
        shell.print("the whole conversation is on screen")
        return
    turns = int(args) if args else int(shell.app.settings.get("replay_turns") or 20) or 20
    still_above = shell.show_history(turns)
    if still_above:
        shell.print(f"{still_above:,} earlier messages remain (:history again)")


def attach_file(shell: ShellOps, args: str) -> None:
    """``:attach PATH``: attach a file to the next message (as ``@PATH`` in it would)."""
    if not args:
        raise CommandError("usage: :attach PATH")
    try:
        attach(args, shell.app.cwd, shell.app.takes_images(), lambda data, suffix: "")  # checked, not kept yet
    except AttachmentError as exc:
        raise CommandError(str(exc)) from None
    shell.pending_attachments.append(args)
    shell.print(f"attached: {args} (goes with your next message)")


def title(shell: ShellOps, args: str) -> None:
    """``:title TEXT`` names this session; ``:title`` shows its name."""
    session = shell.app.session
    if not args:
        shell.print(f"title: {session.title}" if session.title else "no title yet (:title TEXT sets one)")
        return
    name = " ".join(args.split())
    if not session.messages:
        raise CommandError("send a message first: an empty session is not saved")
    session.set_title(name)
    shell.print(f"title: {name}")


CONTINUE_PROMPT = "Continue exactly where your last reply stopped, without repeating anything."


def more(shell: ShellOps, args: str) -> None:
    """``:more``: ask the model to go on from where its (truncated) reply stopped."""
    no_args("more", args)
    if not shell.can_send():
        raise CommandError("a message is already queued: Ctrl-C takes it back, then :more")
    shell.send_message(CONTINUE_PROMPT)


def retry(shell: ShellOps, args: str) -> None:
    """``:retry``: send a failed message again, or regenerate the last reply."""
    no_args("retry", args)
    if not shell.can_send():
        raise CommandError("a reply is still streaming: Ctrl-C cancels it, then :retry")
    shell.send_message(message_text(shell.app.content_to_retry()))


def compact(shell: ShellOps, args: str) -> None:
    """``:compact [GUIDANCE]``: the model summarises all but the last 2 turns; the summary
    stands for them in later requests (the transcript keeps them)."""
    from smelt_repl.compaction import NOTHING_TO_COMPACT, compaction_cut

    if compaction_cut(shell.app.session) is None:
        shell.print(NOTHING_TO_COMPACT)
    elif not shell.start_compaction(args):
        raise CommandError(":compact waits for the reply on its way (Ctrl-C cancels it)")
