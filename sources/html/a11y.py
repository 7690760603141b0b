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
from sources.html.facts import HEADING_TAGS, tag_of
from sources.html.names import Names

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
# The elements some rule looks at (with the role bearers `elements` adds).
CHECKED_TAGS = ("main", "img", "input", "select", "textarea", "button", "a", "table", *HEADING_TAGS)
WITH_ID = etree.XPath("//*[@id != '']")
ID_VALUES = etree.XPath("//@id", smart_strings=False)
UNLABELLED_INPUTS = frozenset({"hidden", "submit", "reset", "button", "image"})
PRESENTATIONAL = frozenset({"presentation", "none"})


@dataclass(frozen=True)
class Finding:
    rule: str
    element: etree._Element
    message: str


class Checks:
    """The findings on a page, of the elements it is shown in document order (the walk that collects
    facts shows it each one with a name in `CHECKED_TAGS`, and each role bearer `elements` adds)."""

    def __init__(self, document: HtmlDocument, names: Names) -> None:
        self.document = document
        self.names = names
        self.findings: list[Finding] = list(_duplicate_ids(document))
        self._has_main = False
        self._previous_level: int | None = None

    def add(self, element: etree._Element, tag: str, role: str, level: int | None) -> None:
        """The findings on one element (`role` as `role_of` gives it, `level` as `heading_level` does)."""
        names = self.names
        if tag == "main" or role == "main":
            self._has_main = True
        if tag == "img" and element.get("alt") is None and role not in PRESENTATIONAL:
            if not (element.get("aria-label") or names.labelledby(element) or element.get("title")):
                self.findings.append(Finding("image-alt", element, "image has no alt attribute"))
        elif tag in {"select", "textarea"} or (
            tag == "input" and (element.get("type") or "text").lower() not in UNLABELLED_INPUTS
        ):
            if names.control_label(element)[0] is None:
                self.findings.append(Finding("label", element, f"form control <{tag}> has no label"))
        elif tag == "button" or (
            tag == "input" and (element.get("type") or "").lower() in {"button", "submit", "reset"}
        ):
            if not names.name(element):
                self.findings.append(Finding("button-name", element, "button has no accessible name"))
        elif tag == "a" and element.get("href") is not None and role not in PRESENTATIONAL:
            if not names.name(element):
                self.findings.append(Finding("link-name", element, "link has no accessible name"))
        elif tag == "table" and role not in PRESENTATIONAL:
            rows = element.findall(".//tr")
            if len(rows) >= 2 and not element.findall(".//th"):
                self.findings.append(Finding("table-headers", element, "data table has no header cells (<th>)"))
        if level is not None:
            previous = self._previous_level
            if previous is not None and level > previous + 1:
                self.findings.append(
                    Finding("heading-order", element, f"heading level jumps from h{previous} to h{level}")
                )
            self._previous_level = level

    def finish(self, is_template: bool) -> list[Finding]:
        """Every finding: those of the elements shown, then the page's own (none for a template)."""
        root = self.document.root
        if not is_template:
            if not (root.get("lang") or "").strip() and tag_of(root) == "html":
                self.findings.append(Finding("html-has-lang", root, "<html> has no lang attribute"))
            if not self._has_main and root.find("body") is not None:
                self.findings.append(Finding("landmark-one-main", root, "page has no main landmark"))
        return self.findings


def _duplicate_ids(document: HtmlDocument) -> Iterator[Finding]:
    # The ids as strings first (no element made in Python): most pages repeat none.
    found = ID_VALUES(document.root)
    ids = [value for value in found if value] if isinstance(found, list) else []
    if len(set(ids)) == len(ids):
        return
    seen_ids: set[str] = set()
    with_id = WITH_ID(document.root)
    for element in with_id if isinstance(with_id, list) else []:
        if not isinstance(element, etree._Element):
            continue
        identifier = element.get("id", "")
        if identifier in seen_ids:
            yield Finding("duplicate-id", element, f"id {identifier!r} is used more than once")
        seen_ids.add(identifier)
