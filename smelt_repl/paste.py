"""Long pastes folded in the prompt: ``[pasted 200 lines]`` shows until the message is sent.

A terminal delivers a bracketed paste as one key (``Keys.BracketedPaste``). The buffer gets
the whole text, which is what is sent and saved; ``PastedSpans`` remembers where each long
paste sits in it and follows the edits around it (an edit inside one unfolds it). Folding is
display only: ``PasteFoldProcessor`` draws a fold's first row as its label, with the text
after the paste on the same row, and ``FoldingBufferControl`` leaves out the rows it covers.
"""

from __future__ import annotations

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.data_structures import Point
from prompt_toolkit.document import Document
from prompt_toolkit.filters import FilterOrBool
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout.controls import BufferControl, UIContent
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.layout.utils import explode_text_fragments

FOLD_OVER_LINES = 20  # pastes of more lines than this are folded
LABEL_STYLE = "class:paste"

Span = tuple[int, int, int]  # start and end offsets in the buffer text, lines pasted
Piece = tuple[str, int, int]  # see FoldView.pieces


def paste_label(lines: int) -> str:
    """What a folded paste shows in the prompt."""
    return f"[pasted {lines} lines]"


class PastedSpans:
    """Where the long pastes are in a buffer's text, kept right as the text changes."""

    def __init__(self, buffer: Buffer, fold_over: int = FOLD_OVER_LINES) -> None:
        self.buffer = buffer
        self.fold_over = fold_over
        self.spans: list[Span] = []
        self._text = buffer.text
        self._view: tuple[str, tuple[Span, ...], FoldView] | None = None
        buffer.on_text_changed += self._follow

    def paste(self, data: str) -> None:
        """Insert pasted text at the cursor (line endings made ``\\n``); fold it if long."""
        data = data.replace("\r\n", "\n").replace("\r", "\n")
        self.buffer.insert_text(data)
        lines = data.count("\n") + (0 if data.endswith("\n") else 1)
        if lines > self.fold_over:  # a last newline stays out: what follows starts a row
            end = self.buffer.cursor_position
            self.spans = sorted([*self.spans, (end - len(data), end - data.endswith("\n"), lines)])

    def view(self, document: Document) -> FoldView | None:
        """How ``document`` (this buffer's text) shows with its pastes folded; None if none."""
        if self.buffer.text != self._text:  # set without an event (Buffer.reset)
            self._follow(self.buffer)
        if not self.spans or document.text != self._text:
            return None
        key = tuple(self.spans)
        if self._view is None or self._view[:2] != (document.text, key):
            self._view = (document.text, key, FoldView(document, self.spans))
        return self._view[2]

    def _follow(self, buffer: Buffer) -> None:
        old, new = self._text, buffer.text
        self._text = new
        if not self.spans:
            return
        start = _common_prefix(old, new)
        tail = _common_suffix(old, new, start)
        edit = (start, len(old) - tail, len(new) - len(old))
        moved = (_moved(span, old, new, edit) for span in self.spans)
        self.spans = [span for span in moved if span is not None]


def _moved(span: Span, old: str, new: str, edit: tuple[int, int, int]) -> Span | None:
    """Where `span` is after `old` became `new` by replacing old[start:end]; None if edited."""
    start, end, delta = edit
    first, last, lines = span
    if last <= start:
        return span
    if first >= end:
        return first + delta, last + delta, lines
    # Equal characters can place a pure insertion or deletion inside the span when it is not:
    # keep the span wherever its text still stands.
    for place in (first, first + delta):
        if new[place:place + last - first] == old[first:last]:
            return place, place + last - first, lines
    return None


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, prefix: int) -> int:
    low, high = 0, min(len(a), len(b)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low


class FoldView:
    """The rows of a document with folds: a fold's first row shows the text before it, its
    label and the text after it; the other rows it covers are left out."""

    def __init__(self, document: Document, spans: list[Span]) -> None:
        self.document = document
        self._folds = [(first, last, paste_label(lines)) for first, last, lines in spans]
        hidden: set[int] = set()
        for first, last, _ in spans:
            row = document.translate_index_to_position(first)[0]
            hidden.update(range(row + 1, document.translate_index_to_position(last)[0] + 1))
        self._hidden_before = [0] * (document.line_count + 1)  # hidden rows above each row
        for row in range(document.line_count):
            self._hidden_before[row + 1] = self._hidden_before[row] + (row in hidden)
        self._shown = [row for row in range(document.line_count) if row not in hidden]
        self.line_count = len(self._shown)

    def is_hidden(self, row: int) -> bool:
        """Whether source `row` is left out (it is inside a fold that began on a row above)."""
        return self._hidden_before[row + 1] > self._hidden_before[row]

    def source_row(self, shown: int) -> int:
        """The source row drawn as display row `shown`."""
        return self._shown[min(shown, len(self._shown) - 1)]

    def display_row(self, row: int) -> int:
        """The display row that shows source `row` (for a hidden row, its fold's row)."""
        row = self._head(row)
        return row - self._hidden_before[row]

    def pieces(self, row: int) -> list[Piece]:
        """What shown `row` draws, left to right: ("", start, end) for source text (on one
        row), (label, start, end) for a fold of the text from start to end (offsets)."""
        document = self.document
        out: list[Piece] = []
        position = document.translate_row_col_to_index(row, 0)
        while True:
            row = document.translate_index_to_position(position)[0]
            line_end = document.translate_row_col_to_index(row, 0) + len(document.lines[row])
            fold = next((f for f in self._folds if position <= f[0] <= line_end), None)
            if fold is None:
                out.append(("", position, line_end))
                return out
            first, last, label = fold
            out += [("", position, first), (label, first, last)]
            position = last

    def index(self, row: int, col: int) -> int:
        """Where source (`row`, `col`) is in its display row, in characters; a position inside
        a fold is just after its label."""
        offset = self.document.translate_row_col_to_index(row, col)
        shown = 0
        for label, start, end in self.pieces(self._head(row)):
            if not label and start <= offset <= end:
                return shown + offset - start
            if label and start < offset < end:
                return shown + len(label)
            shown += len(label) if label else end - start
        return shown

    def _head(self, row: int) -> int:
        while row > 0 and self.is_hidden(row):
            row -= 1
        return row


class PasteFoldProcessor(Processor):
    """Draws the first row of each fold with the fold's label; the rows it covers come out
    empty (``FoldingBufferControl`` leaves them out)."""

    def __init__(self, pastes: PastedSpans) -> None:
        self.pastes = pastes

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        view = self.pastes.view(ti.document)
        if view is None:
            return Transformation(ti.fragments)
        lineno = ti.lineno

        def to_display(col: int) -> int:
            return view.index(lineno, col)

        if view.is_hidden(lineno):
            return Transformation([], source_to_display=to_display, display_to_source=lambda index: 0)
        pieces = view.pieces(lineno)
        if len(pieces) == 1:
            return Transformation(ti.fragments)
        fragments: StyleAndTextTuples = []
        for label, start, end in pieces:
            if label:
                fragments.append((LABEL_STYLE, label))
                continue
            row, col = ti.document.translate_index_to_position(start)
            line = ti.fragments if row == lineno else ti.get_line(row)
            fragments += explode_text_fragments(line)[col:col + end - start]
        before_fold = pieces[0][2] - pieces[0][1]  # columns shown as they are
        return Transformation(fragments, source_to_display=to_display,
                              display_to_source=lambda index: min(index, before_fold))


class FoldingBufferControl(BufferControl):
    """A BufferControl that shows the buffer's long pastes folded (``PastedSpans``)."""

    def __init__(self, buffer: Buffer, pastes: PastedSpans, **options: object) -> None:
        super().__init__(buffer, input_processors=[PasteFoldProcessor(pastes)], **options)  # type: ignore[arg-type]
        self.pastes = pastes

    def create_content(self, width: int, height: int, preview_search: bool = False) -> UIContent:
        content = super().create_content(width, height, preview_search)
        view = self.pastes.view(self.buffer.document)
        if view is None:
            return content

        def place(point: Point | None) -> Point | None:
            return None if point is None else Point(x=point.x, y=view.display_row(point.y))

        return UIContent(get_line=lambda shown: content.get_line(view.source_row(shown)),
                         line_count=view.line_count, cursor_position=place(content.cursor_position),
                         menu_position=place(content.menu_position), show_cursor=content.show_cursor)


def paste_key_bindings(pastes: PastedSpans, filter: FilterOrBool = True) -> KeyBindings:  # noqa: A002
    """The ``Keys.BracketedPaste`` binding that inserts a paste and folds it when long."""
    kb = KeyBindings()

    @kb.add(Keys.BracketedPaste, filter=filter)
    def _paste(event: KeyPressEvent) -> None:
        pastes.paste(event.data)

    return kb

