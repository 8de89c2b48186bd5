"""Files attached to a message: ``@path`` in the text, or ``:attach PATH`` for the next one.

A text file is copied into the session's ``attachments/`` under a content-addressed name and
sent to the model as a fenced block headed by its path; the transcript records only the
reference (``{"path", "file", "kind", "bytes"}``), so a replay, ``text()`` and an export name
it. Binary files and files over ``MAX_BYTES`` are refused with one line — except images (png,
jpeg, gif, webp) for a model whose config lists ``"image"`` in ``input_modalities``: they are
sent as an image part (a data URL; the Anthropic provider turns it into an image block).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from smelt_repl.markdown_blocks import fenced

MAX_BYTES = 1_000_000
NEWLINE = "\n"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
_MENTION = re.compile(r"(?<!\S)@(\S+)")

StoreFile = Callable[[bytes, str], str]  # (data, suffix) -> "attachments/<name>"
LoadFile = Callable[[str], bytes | None]  # "attachments/<name>" -> its bytes


class AttachmentError(ValueError):
    """A file cannot be attached; the message says which and why, in one line."""


@dataclass(frozen=True)
class Attachment:
    """A file to send with a message, as the transcript records it."""

    path: str  # as the user named it
    file: str  # "attachments/<sha256>.<ext>" in the session directory
    kind: str  # "text" or "image"
    bytes: int
    media_type: str = "text/plain"

    def record(self) -> dict:
        """The reference the user message's record keeps."""
        return {"path": self.path, "file": self.file, "kind": self.kind, "bytes": self.bytes,
                "media_type": self.media_type}


def mentioned_paths(text: str, cwd: str) -> list[str]:
    """The ``@path`` words of ``text`` that name an existing file (others are left as text:
    ``@someone`` is not a file)."""
    found = []
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(".,;:!?)")
        if name and (Path(cwd) / Path(name).expanduser()).is_file() and name not in found:
            found.append(name)
    return found


def attach(path: str, cwd: str, takes_images: bool, store: StoreFile) -> Attachment:
    """Read ``path`` (relative to ``cwd``), check it, store a copy; AttachmentError when it
    cannot be sent."""
    full = Path(cwd) / Path(path).expanduser()
    try:
        size = full.stat().st_size
        if size > MAX_BYTES:
            raise AttachmentError(f"@{path}: {size:,} bytes is over the {MAX_BYTES:,}-byte limit for attachments")
        data = full.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"@{path}: cannot read it ({exc.strerror or exc})") from None
    media_type = IMAGE_TYPES.get(full.suffix.lower())
    if media_type is not None:
        if not takes_images:
            raise AttachmentError(f"@{path}: this model takes no images (list \"image\" in its input_modalities)")
        return Attachment(path, store(data, full.suffix.lower()), "image", len(data), media_type)
    if b"\0" in data:
        raise AttachmentError(f"@{path}: a binary file cannot be attached")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentError(f"@{path}: not UTF-8 text, so it cannot be attached") from None
    return Attachment(path, store(data, ".txt"), "text", len(data))


def expand(content: object, references: Iterable[dict], load: LoadFile) -> object:
    """The content a request sends for a user message with attachments: its text, then each
    text file as a fenced block headed by its path, then image parts."""
    text = content if isinstance(content, str) else ""
    images = []
    for ref in references:
        data = load(str(ref.get("file", "")))
        name = ref.get("path", "?")
        if data is None:
            text += f"\n\n(attachment {name} is missing from the session)"
        elif ref.get("kind") == "image":
            url = f"data:{ref.get('media_type', 'image/png')};base64,{base64.b64encode(data).decode('ascii')}"
            images.append({"type": "image_url", "image_url": {"url": url}})
        else:
            text += f"\n\n`{name}`:\n{fenced(data.decode('utf-8', 'replace').removesuffix(NEWLINE))}"
    if not images:
        return text
    return [{"type": "text", "text": text}, *images]
