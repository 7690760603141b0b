"""HTML facts: landmarks, headings, forms and their controls, tables, images, links."""

from __future__ import annotations

from collections.abc import Iterator
from json.encoder import encode_basestring as encode_string
from typing import Any

from lxml import etree

from sources.extraction import FactRow, dump_detail
from sources.html.document import HtmlDocument, sourceline
from sources.html.names import Names, clean, text_of, untemplated

LANDMARK_TAGS = {
    "header": "banner",
    "nav": "navigation",
    "main": "main",
    "footer": "contentinfo",
    "aside": "complementary",
    "article": "article",
    "section": "region",
    "figure": "figure",
}
LANDMARK_ROLES = frozenset(
    {"banner", "navigation", "main", "contentinfo", "complementary", "region", "search", "form", "article", "figure"}
)
SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})
HEADING_TAGS = tuple(f"h{level}" for level in range(1, 7))


# Only elements that can make a fact: iterating every element of a page in Python costs about as
# much as parsing it, and most elements (div, span, p, li...) never make one. (With the role bearers
# `elements` adds.)
FACT_TAGS = (*LANDMARK_TAGS, *HEADING_TAGS, "form", "table", "img", "a")


ROLE_BEARERS = etree.XPath("//*[@role]")
# The roles that make an element of any name count: a landmark or a heading.
MEANINGFUL_ROLES = LANDMARK_ROLES | {"heading"}


def elements(document: HtmlDocument, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """The elements with these names, in document order, and any other element whose `role` makes it
    a landmark or a heading (`<div role="navigation">`)."""
    if not document.has_roles:
        return document.root.iter(*tags)
    found = ROLE_BEARERS(document.root)
    others = {
        element
        for element in (found if isinstance(found, list) else [])
        if isinstance(element, etree._Element)
        and tag_of(element) not in tags
        and (element.get("role") or "").strip().lower() in MEANINGFUL_ROLES
    }
    if not others:
        return document.root.iter(*tags)
    names = {str(element.tag) for element in others}
    return (element for element in document.root.iter(*tags, *names) if element.tag in tags or element in others)


CONTROL_TAGS = frozenset({"input", "select", "textarea", "button"})
VALIDATION = ("pattern", "min", "max", "minlength", "maxlength")


def tag_of(element: etree._Element) -> str:
    return str(element.tag).lower()


def role_of(element: etree._Element) -> str:
    role = element.get("role")
    return role.strip().lower() if role else ""


def heading_level(element: etree._Element, tag: str, role: str) -> int | None:
    if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456" and not role:
        return int(tag[1])
    if role == "heading":
        level = element.get("aria-level") or "2"
        return int(level) if level.isdigit() else 2
    return None


def link_detail(href: str, text: str, templated: bool, xpath: str) -> str:
    """`dump_detail` of a link's detail, written out: a page has hundreds of links, and encoding a
    dict (its keys sorted) costs eight times this."""
    return (
        f'{{"href": {encode_string(href)}, "templated": {"true" if templated else "false"}, '
        f'"text": {encode_string(text)}, "xpath": {encode_string(xpath)}}}'
    )


class FactBuilder:
    """Collects the facts of the elements it is shown, in document order (forms last)."""

    def __init__(self, path: str, document: HtmlDocument) -> None:
        self.path = path
        self.document = document
        self.names = Names(document.root)
        self.rows: list[FactRow] = []
        self._forms: list[tuple[etree._Element, list[etree._Element]]] = []
        self._previous_level: int | None = None
        self._libxml_lines = not document.needs_scan
        """Whether every line is libxml2's (`HtmlDocument.line`), asked once, not for each link."""

    def make(self, kind: str, name: str, element: etree._Element, **detail: Any) -> FactRow:
        line = self.document.line(element)
        xpath = self.document.xpath_of(element)
        # A row, not a validated Fact: this is the hot path (a page has hundreds of links); every
        # detail given here is complete, and tests validate every fact the samples produce.
        return (kind, name, xpath, self.path, line, line, dump_detail({**detail, "xpath": xpath}))

    def add(self, element: etree._Element, tag: str, role: str, level: int | None) -> None:
        """The facts of one element of `walk`'s (`role` as `role_of` gives it, `level` as
        `heading_level` does); most make none."""
        if tag == "a" and not role:  # most elements shown: a plain link is no landmark and no heading
            href = element.get("href")
            if href is not None:
                self._link(element, href)
            return
        landmark = role if role in LANDMARK_ROLES else self.implicit_role(element, tag) if not role else None
        if landmark is not None:
            label = self.names.name(element) if tag == "figure" or role else self.landmark_label(element)
            if landmark == "region" and not label:
                landmark = "generic"  # an unnamed <section> is no landmark (HTML-AAM)
            self.rows.append(self.make("landmark", landmark, element, tag=tag, role=landmark, label=label or None))
        if level is not None:
            text, templated = untemplated(text_of(element))
            previous = self._previous_level
            skipped = previous if previous is not None and level > previous + 1 else None
            self.rows.append(
                self.make("heading", text, element, level=level, text=text, templated=templated, skipped_from=skipped)
            )
            self._previous_level = level
        if tag == "form":
            if self.document.is_dropped(element) and self._forms:
                self._forms[-1][1].extend(self.controls_in(element))
            else:
                self._forms.append((element, self.controls_in(element)))
        elif tag == "table":
            self.rows.append(self.table(element))
        elif tag == "img":
            alt = element.get("alt")
            state = "missing" if alt is None else "empty" if not alt.strip() else "present"
            self.rows.append(
                self.make("image", element.get("src") or "", element, src=element.get("src"), alt=alt, alt_state=state)
            )
        elif tag == "a":
            href = element.get("href")
            if href is not None:
                self._link(element, href)

    def _link(self, element: etree._Element, href: str) -> None:
        text, templated = untemplated(self.names.name(element))
        line = (sourceline(element) or 1) if self._libxml_lines else self.document.line(element)
        xpath = self.document.xpath_of(element)
        self.rows.append(("link", text, xpath, self.path, line, line, link_detail(href, text, templated, xpath)))

    def finish(self) -> list[FactRow]:
        """Every fact collected: those of the elements shown, then the forms with their controls."""
        for form, controls in self._forms:
            self.rows.append(self.form(form, controls))
        self._forms = []
        return self.rows

    @staticmethod
    def implicit_role(element: etree._Element, tag: str) -> str | None:
        """A header or footer inside sectioning content is that section's, not the page's banner."""
        role = LANDMARK_TAGS.get(tag)
        if tag in {"header", "footer"} and any(
            isinstance(a.tag, str) and tag_of(a) in SECTIONING for a in element.iterancestors()
        ):
            return "sectionheader" if tag == "header" else "sectionfooter"
        return role

    def landmark_label(self, element: etree._Element) -> str:
        return self.names.labelledby(element) or clean(element.get("aria-label")) or ""

    def controls_in(self, form: etree._Element) -> list[etree._Element]:
        return [
            element
            for element in form.iter()
            if isinstance(element.tag, str) and tag_of(element) in CONTROL_TAGS and element is not form
        ]

    def form(self, form: etree._Element, controls: list[etree._Element]) -> FactRow:
        described = []
        for control in controls:
            tag = tag_of(control)
            kind = (control.get("type") or ("text" if tag == "input" else None)) if tag in {"input", "button"} else None
            if tag == "button" and kind is None:
                kind = "submit"
            label, source = (
                (self.names.name(control) or None, None)
                if tag == "button" or (kind or "") in {"submit", "reset", "button", "image", "hidden"}
                else self.names.control_label(control)
            )
            templated = False
            if label is not None:
                text, templated = untemplated(label)
                label = text or None
            described.append(
                {
                    "tag": tag,
                    "type": kind.lower() if kind else None,
                    "name": control.get("name"),
                    "id": control.get("id"),
                    "line": self.document.line(control),
                    "label": label,
                    "label_source": source,
                    "templated": templated,
                    "required": control.get("required") is not None,
                    **{attribute: control.get(attribute) for attribute in VALIDATION},
                }
            )
        name = form.get("name") or form.get("id") or form.get("action") or "form"
        return self.make(
            "form",
            name,
            form,
            action=form.get("action"),
            method=(form.get("method") or "get").lower(),
            controls=described,
        )

    def table(self, table: etree._Element) -> FactRow:
        own = list(_own_descendants(table))
        tags = [tag_of(element) for element in own]
        caption = next((text_of(element) for element in own if tag_of(element) == "caption"), None)
        rows = [element for element in own if tag_of(element) == "tr"]
        columns = 0
        for row in rows:
            cells = [cell for cell in row if isinstance(cell.tag, str) and tag_of(cell) in {"td", "th"}]
            span = sum(_colspan(cell) for cell in cells)
            columns = max(columns, span)
        headers = [
            {"text": text_of(element), "scope": element.get("scope")} for element in own if tag_of(element) == "th"
        ]
        return self.make(
            "table",
            caption or "table",
            table,
            caption=caption,
            has_thead="thead" in tags,
            has_tbody="tbody" in tags,
            has_tfoot="tfoot" in tags,
            headers=headers,
            rows=len(rows),
            columns=columns,
        )


def _own_descendants(table: etree._Element) -> Iterator[etree._Element]:
    """A table's elements, without those of tables nested in it."""
    for child in table:
        if not isinstance(child.tag, str):
            continue
        yield child
        if tag_of(child) != "table":
            yield from _own_descendants(child)


def _colspan(cell: etree._Element) -> int:
    value = cell.get("colspan") or ""
    return int(value) if value.isdigit() else 1
