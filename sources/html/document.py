"""A parsed HTML document whose elements know the line their start tag begins on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from sources.html.scan import TagLocator, scan_start_tags

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
LIBXML_VERSION = ".".join(str(part) for part in etree.LIBXML_VERSION)


class HtmlParseError(Exception):
    pass


@dataclass
class HtmlDocument:
    text: str
    root: lxml.html.HtmlElement
    lines: dict[etree._Element, int] = field(default_factory=dict)
    implied: set[etree._Element] = field(default_factory=set)
    dropped: set[etree._Element] = field(default_factory=set)
    """Elements made from tags browsers drop (a `<form>` inside a form)."""

    def elements(self) -> Iterator[etree._Element]:
        """Every element in document order (comments and processing instructions left out)."""
        for element in self.root.iter():
            if isinstance(element.tag, str):
                yield element

    def line(self, element: etree._Element) -> int:
        return self.lines.get(element) or sourceline(element) or 1

    def xpath_of(self, element: etree._Element) -> str:
        return str(self.root.getroottree().getpath(element))


def sourceline(element: etree._Element) -> int | None:
    """libxml2's line for an element (the line of its start tag's `>`, at most 65535)."""
    value = element.sourceline
    return value if isinstance(value, int) else None


def parse_html(text: str) -> HtmlDocument:
    """Parse a whole document (never a fragment: `fromstring` would guess a wrapper element)."""
    declaration = XML_DECLARATION.match(text)
    if declaration is not None:
        # lxml refuses str input carrying an encoding declaration; blank it, keeping the lines.
        text = re.sub(r"[^\n]", " ", declaration.group()) + text[declaration.end() :]
    parser = lxml.html.HTMLParser(recover=True, no_network=True, remove_comments=False, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser, ensure_head_body=False)
    except (etree.ParserError, ValueError) as error:
        raise HtmlParseError(str(error)) from None
    document = HtmlDocument(text, root)
    locator = TagLocator(scan_start_tags(text))
    for element in document.elements():
        reported = sourceline(element)
        start = locator.locate(str(element.tag).lower(), reported)
        if start is None:
            document.implied.add(element)
            document.lines[element] = reported or 1
        else:
            document.lines[element] = start.line
            if start.dropped:
                document.dropped.add(element)
    return document
