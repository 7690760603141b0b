"""Accessibility findings a static page can prove, modelled on the axe-core rules of the same names.

Only rules that need no browser (no computed styles, no scripts): image-alt, label,
landmark-one-main, table-headers, heading-order, duplicate-id, html-has-lang, link-name,
button-name. Each finding names the rule, its axe impact and the element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from sources.html.document import HtmlDocument
from sources.html.facts import HEADING_TAGS, FactBuilder, elements, tag_of

RULES = {
    "image-alt": "critical",
    "label": "critical",
    "button-name": "critical",
    "html-has-lang": "serious",
    "link-name": "serious",
    "table-headers": "serious",
    "landmark-one-main": "moderate",
    "heading-order": "moderate",
    "duplicate-id": "minor",
}
# The elements some rule looks at, in document order.
WITH_ID = etree.XPath("//*[@id != '']")
ID_VALUES = etree.XPath("//*[@id != '']/@id", smart_strings=False)
CHECKED_TAGS = ("main", "img", "input", "select", "textarea", "button", "a", "table", *HEADING_TAGS)
UNLABELLED_INPUTS = frozenset({"hidden", "submit", "reset", "button", "image"})
PRESENTATIONAL = frozenset({"presentation", "none"})


@dataclass(frozen=True)
class Finding:
    rule: str
    element: etree._Element
    message: str


def check(document: HtmlDocument, builder: FactBuilder, is_template: bool) -> Iterator[Finding]:
    names = builder.names
    seen_ids: set[str] = set()
    has_main = False
    previous_level: int | None = None
    ids = ID_VALUES(document.root)
    # The ids as strings first (no element made in Python): most pages repeat none.
    repeated = isinstance(ids, list) and len(set(ids)) < len(ids)
    with_id = WITH_ID(document.root) if repeated else []
    for element in with_id if isinstance(with_id, list) else []:
        if not isinstance(element, etree._Element):
            continue
        identifier = element.get("id", "")
        if identifier in seen_ids:
            yield Finding("duplicate-id", element, f"id {identifier!r} is used more than once")
        seen_ids.add(identifier)
    for element in elements(document, CHECKED_TAGS):
        tag = tag_of(element)
        role = (element.get("role") or "").strip().lower()
        if tag == "main" or role == "main":
            has_main = True
        if tag == "img" and element.get("alt") is None and role not in PRESENTATIONAL:
            if not (element.get("aria-label") or names.labelledby(element) or element.get("title")):
                yield Finding("image-alt", element, "image has no alt attribute")
        elif tag in {"select", "textarea"} or (
            tag == "input" and (element.get("type") or "text").lower() not in UNLABELLED_INPUTS
        ):
            if names.control_label(element)[0] is None:
                yield Finding("label", element, f"form control <{tag}> has no label")
        elif tag == "button" or (
            tag == "input" and (element.get("type") or "").lower() in {"button", "submit", "reset"}
        ):
            if not names.name(element):
                yield Finding("button-name", element, "button has no accessible name")
        elif tag == "a" and element.get("href") is not None and role not in PRESENTATIONAL:
            if not names.name(element):
                yield Finding("link-name", element, "link has no accessible name")
        elif tag == "table" and role not in PRESENTATIONAL:
            rows = element.findall(".//tr")
            if len(rows) >= 2 and not element.findall(".//th"):
                yield Finding("table-headers", element, "data table has no header cells (<th>)")
        level = FactBuilder.heading_level(element, tag, role)
        if level is not None:
            if previous_level is not None and level > previous_level + 1:
                yield Finding("heading-order", element, f"heading level jumps from h{previous_level} to h{level}")
            previous_level = level
    root = document.root
    if is_template:
        return
    if not (root.get("lang") or "").strip() and tag_of(root) == "html":
        yield Finding("html-has-lang", root, "<html> has no lang attribute")
    if not has_main and root.find("body") is not None:
        yield Finding("landmark-one-main", root, "page has no main landmark")
