"""Where each start tag really begins.

lxml's `sourceline` is the line of the `>` that ends a start tag (not its `<`), and libxml2 caps it
at 65535. So the text is scanned once for start tags, as an HTML tokenizer would (comments,
declarations and raw-text elements skipped, quoted attribute values honoured), and each element is
matched to its tag by name and the line of its `>`. A `<form>` opened inside another form is marked:
browsers drop that tag, while libxml2 makes it a second form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One token at a `<`: a comment (`<!-->`, `<!--->` and `--!>` end one too, as browsers and libxml2
# agree), a declaration or processing instruction, an end tag, or a start tag
# (group 1: its name) whose quoted attribute values may hold `>` and newlines.
TOKEN = re.compile(
    r"""<(?:!--(?:>|->|.*?(?:--!?>|\Z))|[!?][^>]*>?|/([A-Za-z][^\s/>]*)[^>]*>?|([A-Za-z][^\s/>]*)(?:[^>"']+|"[^"]*"|'[^']*'|["'])*>)""",
    re.DOTALL,
)
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
RAW_TEXT_END = {tag: re.compile(rf"</{tag}[\s/>]", re.IGNORECASE) for tag in RAW_TEXT}
LIBXML_MAX_LINE = 65535


@dataclass(frozen=True)
class StartTag:
    tag: str
    line: int
    """The line of the `<`."""
    end_line: int
    """The line of the `>` (what libxml2 reports, capped at 65535)."""
    dropped: bool = False


def scan_start_tags(text: str) -> dict[str, list[StartTag]]:
    """Every start tag in the text, by lower-case tag name, in source order."""
    tags: dict[str, list[StartTag]] = {}
    open_forms = 0
    position = 0
    line = 1
    counted = 0
    length = len(text)
    search = TOKEN.search
    while position < length:
        token = search(text, position)
        if token is None:
            break
        start, end = token.span()
        closing, opening = token.group(1), token.group(2)
        if opening is not None:
            tag = opening.lower()
            line += text.count("\n", counted, start)
            end_line = line + text.count("\n", start, end)
            counted = start
            dropped = tag == "form" and open_forms > 0
            if tag == "form" and not dropped:
                open_forms += 1
            tags.setdefault(tag, []).append(StartTag(tag, line, end_line, dropped))
            if tag in RAW_TEXT:
                raw_end = RAW_TEXT_END[tag].search(text, end)
                end = length if raw_end is None else raw_end.start()
        elif closing is not None and closing.lower() == "form":
            open_forms = max(open_forms - 1, 0)
        position = end if end > start else start + 1
    return tags


class TagLocator:
    """Matches parsed elements of one tag, in document order, to that tag's start tags in the text."""

    def __init__(self, tags: list[StartTag]) -> None:
        self.tags = tags
        self.next_index = 0

    def locate(self, sourceline: int | None) -> StartTag | None:
        """The start tag behind an element, or None for one the parser implied (`<tbody>`, `<body>`)."""
        for index in range(self.next_index, len(self.tags)):
            candidate = self.tags[index]
            if sourceline is None or _same_line(candidate.end_line, sourceline):
                self.next_index = index + 1
                return candidate
            if sourceline < LIBXML_MAX_LINE and candidate.end_line > sourceline:
                return None
        return None


def _same_line(end_line: int, sourceline: int) -> bool:
    if sourceline >= LIBXML_MAX_LINE:
        return end_line >= LIBXML_MAX_LINE
    return end_line == sourceline
