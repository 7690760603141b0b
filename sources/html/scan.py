"""Where each start tag really begins.

lxml's `sourceline` is the line of the `>` that ends a start tag (not its `<`), and libxml2 caps it
at 65535. So the text is scanned once for start tags, as an HTML tokenizer would (comments,
declarations and raw-text elements skipped, quoted attribute values honoured), and each element is
matched to its tag by name and the line of its `>`. A `<form>` opened inside another form is marked:
browsers drop that tag, while libxml2 makes it a second form.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
ATTRIBUTE = re.compile(r"""\s*(?:[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?|/)""")
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
LIBXML_MAX_LINE = 65535


@dataclass(frozen=True)
class StartTag:
    tag: str
    line: int
    """The line of the `<`."""
    end_line: int
    """The line of the `>` (what libxml2 reports, capped at 65535)."""
    dropped: bool = False


class LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)


def scan_start_tags(text: str) -> list[StartTag]:
    lines = LineIndex(text)
    tags: list[StartTag] = []
    open_forms = 0
    position = 0
    length = len(text)
    while True:
        position = text.find("<", position)
        if position < 0 or position + 1 >= length:
            return tags
        following = text[position + 1]
        if text.startswith("<!--", position):
            end = text.find("-->", position + 4)
            position = length if end < 0 else end + 3
            continue
        if following in "!?":
            end = text.find(">", position)
            position = length if end < 0 else end + 1
            continue
        if following == "/":
            name = TAG_NAME.match(text, position + 2)
            if name is not None and name.group().lower() == "form":
                open_forms = max(open_forms - 1, 0)
            end = text.find(">", position)
            position = length if end < 0 else end + 1
            continue
        name = TAG_NAME.match(text, position + 1)
        if name is None:
            position += 1
            continue
        tag = name.group().lower()
        cursor = name.end()
        while True:
            attribute = ATTRIBUTE.match(text, cursor)
            if attribute is None or attribute.end() == cursor:
                break
            cursor = attribute.end()
        end = text.find(">", cursor)
        if end < 0:
            return tags
        dropped = tag == "form" and open_forms > 0
        if tag == "form" and not dropped:
            open_forms += 1
        tags.append(StartTag(tag, lines.line(position), lines.line(end), dropped))
        position = end + 1
        if tag in RAW_TEXT:
            closing = re.compile(rf"</{re.escape(tag)}[\s/>]", re.IGNORECASE).search(text, position)
            position = length if closing is None else closing.start()


class TagLocator:
    """Matches parsed elements, in document order, to the start tags found in the text."""

    def __init__(self, tags: list[StartTag]) -> None:
        self.by_name: dict[str, list[StartTag]] = {}
        for tag in tags:
            self.by_name.setdefault(tag.tag, []).append(tag)
        self.next_index: dict[str, int] = {}

    def locate(self, tag: str, sourceline: int | None) -> StartTag | None:
        """The start tag behind an element, or None for one the parser implied (`<tbody>`, `<body>`)."""
        candidates = self.by_name.get(tag, [])
        start = self.next_index.get(tag, 0)
        for index in range(start, len(candidates)):
            candidate = candidates[index]
            if sourceline is None or _same_line(candidate.end_line, sourceline):
                self.next_index[tag] = index + 1
                return candidate
            if candidate.end_line > max(sourceline, LIBXML_MAX_LINE if sourceline >= LIBXML_MAX_LINE else 0):
                return None
        return None


def _same_line(end_line: int, sourceline: int) -> bool:
    if sourceline >= LIBXML_MAX_LINE:
        return end_line >= LIBXML_MAX_LINE
    return end_line == sourceline
