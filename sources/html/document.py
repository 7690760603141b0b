"""A parsed HTML document whose elements know the line their start tag begins on."""

from __future__ import annotations

import functools
import re

from lxml import etree

from sources.html.scan import LIBXML_MAX_LINE, StartTag, TagLocator, scan_start_tags

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
ROLE_ATTRIBUTE = re.compile(r"\srole\s*=", re.IGNORECASE)
DOCUMENT_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
LIBXML_VERSION = ".".join(str(part) for part in etree.LIBXML_VERSION)
COUNT_ELEMENTS = etree.XPath("count(//*)")
MAX_CACHED_DEPTH = 256


class HtmlParseError(Exception):
    pass


class HtmlDocument:
    """A parsed page. Lines are libxml2's, unless a cheap search says they may be wrong; then they are
    found per tag name, the first time one is asked for: pages have hundreds of tags, and
    extraction asks for a handful of names."""

    def __init__(self, text: str, root: etree._Element) -> None:
        self.text = text
        self.root = root
        self._tags: dict[str, list[StartTag]] | None = None
        self._lines: dict[etree._Element, int] = {}
        self._located: set[str] = set()
        self.dropped: set[etree._Element] = set()
        """Elements made from tags browsers drop (a `<form>` inside a form)."""
        self._tree = root.getroottree()
        self._paths: dict[etree._Element, str] = {}

    @functools.cached_property
    def has_roles(self) -> bool:
        """Whether any element may carry a `role` (which can make a `div` a landmark or a heading)."""
        return ROLE_ATTRIBUTE.search(self.text) is not None

    @functools.cached_property
    def shape(self) -> tuple[int, int, int]:
        """(nodes, the deepest nesting, the most children of one element): what a query's cost
        grows with. Text nodes are counted as one beside each element."""
        elements = deepest = most = 0
        children = [0]  # of each open element, the root's parent first
        for event, _ in etree.iterwalk(self.root, events=("start", "end")):
            if event == "start":
                elements += 1
                children[-1] += 1
                children.append(0)
                deepest = max(deepest, len(children) - 1)
            else:
                most = max(most, children.pop())
        return 2 * elements, deepest, 2 * most + 1

    @functools.cached_property
    def needs_scan(self) -> bool:
        """Whether libxml2's lines can be wrong here, or a form can sit in a form (see `_needs_scan`)."""
        return _needs_scan(self.text)

    def count(self) -> int:
        """How many elements the page has (counted by libxml2, not in Python)."""
        counted = COUNT_ELEMENTS(self.root)
        return int(counted) if isinstance(counted, float) else 0

    def line(self, element: etree._Element) -> int:
        if not self._scanned(element):
            return sourceline(element) or 1
        return self._lines.get(element) or sourceline(element) or 1

    def is_dropped(self, element: etree._Element) -> bool:
        return self._scanned(element) and element in self.dropped

    def _scanned(self, element: etree._Element) -> bool:
        """Whether the page needs the scan; if so, the element's tag has been located."""
        if not self.needs_scan:
            return False
        tag = str(element.tag).lower()
        if tag not in self._located:
            self._locate(tag)
        return True

    def _locate(self, tag: str) -> None:
        self._located.add(tag)
        if self._tags is None:
            self._tags = scan_start_tags(self.text)
        locator = TagLocator(self._tags.get(tag, []))
        for element in self.root.iter(tag):  # libxml2's HTML parser lower-cases tag names
            reported = sourceline(element)
            start = locator.locate(reported)
            if start is None:  # implied by the parser (`<tbody>`, `<body>`): libxml2's line stands
                self._lines[element] = reported or 1
            else:
                self._lines[element] = start.line
                if start.dropped:
                    self.dropped.add(element)

    def xpath_of(self, element: etree._Element) -> str:
        """The element's path, as libxml2's `getpath` writes it (`/html/body/ul/li[3]/a`): a step
        is numbered when its parent has more than one child of that name. Made here from the
        parent's path, each parent's children numbered once: libxml2 counts the siblings of every
        ancestor on each call, which is quadratic on long lists (a 2 MB page: 3 s)."""
        path = self._paths.get(element)
        if path is not None:
            return path
        unknown = []
        node: etree._Element | None = element
        while node is not None and node not in self._paths:
            unknown.append(node)
            node = node.getparent()
            if len(unknown) > MAX_CACHED_DEPTH:  # paths of every ancestor would take depth² memory
                return str(self._tree.getpath(element))
        for node in reversed(unknown):  # from the top down, so a parent always has its path
            if node in self._paths:
                continue  # numbered with a sibling
            parent = node.getparent()
            if parent is None:
                self._paths[node] = str(self._tree.getpath(node))
            elif len(parent) == 1:  # most links and images: alone in their parent, nothing to number
                self._paths[node] = f"{self._paths[parent]}/{node.tag}"
            else:
                self._number_children(parent)
        return self._paths[element]

    def _number_children(self, parent: etree._Element) -> None:
        prefix = self._paths[parent] + "/"
        children = [(child, child.tag) for child in parent if isinstance(child.tag, str)]
        totals: dict[str, int] = {}
        for _, tag in children:
            totals[tag] = totals.get(tag, 0) + 1
        seen: dict[str, int] = {}
        for child, tag in children:
            number = seen[tag] = seen.get(tag, 0) + 1
            self._paths[child] = prefix + tag if totals[tag] == 1 else f"{prefix}{tag}[{number}]"


# A start tag running over a line end, quotes honoured: only then is libxml2's line not the `<`'s.
# Possessive: each character has one way to match, so giving any back never finds a line end, and
# runs are taken whole (a third of the time).
MULTILINE_START_TAG = re.compile(r"""<[A-Za-z](?:[^<>"'\n]++|"[^"]*+"|'[^']*+')*+\n""")
FORM_TAG = re.compile(r"<form[\s>]", re.IGNORECASE)


def _needs_scan(text: str) -> bool:
    """Whether libxml2's lines may be wrong (a start tag over several lines, or past line 65535) or a
    `<form>` may sit in another form. A cheap search that only ever errs towards scanning."""
    if text.count("\n") >= LIBXML_MAX_LINE - 1:
        return True
    if MULTILINE_START_TAG.search(text) is not None:
        return True
    first_form = FORM_TAG.search(text)
    return first_form is not None and FORM_TAG.search(text, first_form.end()) is not None


def sourceline(element: etree._Element) -> int | None:
    """libxml2's line for an element (the line of its start tag's `>`, at most 65535)."""
    value = element.sourceline
    return value if isinstance(value, int) else None


def parse_html(text: str) -> HtmlDocument:
    """Parse a whole document (never a fragment: `fromstring` would guess a wrapper element)."""
    # Browsers put what follows `</body>` or `</html>` into the body; libxml2 drops it. Blanking
    # those end tags (same length, so no line moves) gives the browser's tree.
    text = DOCUMENT_END_TAGS.sub(lambda match: " " * len(match.group()), text)
    declaration = XML_DECLARATION.match(text)
    if declaration is not None:
        # lxml refuses str input carrying an encoding declaration; blank it, keeping the lines.
        text = re.sub(r"[^\n]", " ", declaration.group()) + text[declaration.end() :]
    # lxml.etree's parser, not lxml.html's: the same libxml2 parse, without a Python class lookup
    # on every element touched.
    # huge_tree lifts libxml2's nesting limit of 256, past which it silently drops the rest of the
    # page (legacy `<font><p>` soup reaches it); work stays bounded by the file size limit.
    # Given as UTF-8 bytes, said to be UTF-8: lxml hands libxml2 a str as UCS-4 on most pages
    # (any character past U+00FF), which it converts first; that took a third of the parse.
    try:
        source: str | bytes = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: libxml2 reads the str as lxml gives it
        source = text
    parser = etree.HTMLParser(
        recover=True,
        no_network=True,
        remove_comments=False,
        huge_tree=True,
        encoding="utf-8" if isinstance(source, bytes) else None,
    )
    try:
        root = etree.fromstring(source, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise HtmlParseError(str(error)) from None
    if root is None:
        raise HtmlParseError("the document is empty")
    return HtmlDocument(text, root)
