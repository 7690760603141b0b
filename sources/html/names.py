"""Accessible names, in the order browsers compute them (a static subset of WAI-ARIA accname)."""

from __future__ import annotations

import functools
import re

from lxml import etree

MAX_TEXT = 200
# What text_of's careful walk is for; most elements hold none of it and take the fast path.
SPECIAL = ("img", "script", "style", "template", etree.Comment, etree.ProcessingInstruction)


def clean(text: str | None, limit: int = MAX_TEXT) -> str:
    collapsed = " ".join((text or "").split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1] + "…"


TEMPLATE_OPENERS = ("{{", "{%", "{#")
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{#.*?(?:#\}|$)", re.S)


def untemplated(text: str) -> tuple[str, bool]:
    """(the text without Jinja/Django template syntax, whether it held any): `{% block title %}Users{%
    endblock %}` gives ("Users", True), `{{ user.name }}` gives ("", True); an unclosed tag runs to the end.
    Text without an opener comes back as it is."""
    if "{" not in text or not any(opener in text for opener in TEMPLATE_OPENERS):
        return text, False
    return clean(TEMPLATE_SYNTAX.sub(" ", text)), True


def text_of(element: etree._Element) -> str:
    """Visible text, with the alt text of images standing in for them."""
    if not len(element) and element.tag not in SPECIAL:  # text only (most links): nothing to walk
        return clean(element.text) if isinstance(element.tag, str) else ""
    if next(element.iter(*SPECIAL), None) is None:
        return clean("".join(map(str, element.itertext())))
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if isinstance(node.tag, str):
            tag = node.tag.lower()
            if tag in {"script", "style", "template"}:
                if node.tail:
                    parts.append(node.tail)
                return
            if tag == "img" and node.get("alt"):
                parts.append(f" {node.get('alt')} ")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
        if node is not element and node.tail:
            parts.append(node.tail)

    walk(element)
    return clean("".join(parts))


class Names:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._names: dict[etree._Element, str] = {}
        # Each text read once: 20,000 controls sharing one id, or naming the same element, cost no more
        # than one does (each used to read every label again: quadratic).
        self._texts: dict[etree._Element, str] = {}
        self._labels: dict[str, str] = {}
        self._labelledby: dict[str, str | None] = {}

    # Indexed the first time one is needed: most pages use no aria-labelledby and have no labelled
    # control, and indexing every element with an id costs a tenth of the extraction.
    @functools.cached_property
    def by_id(self) -> dict[str, etree._Element]:
        found: dict[str, etree._Element] = {}
        for element in self.root.iterfind(".//*[@id]"):
            found.setdefault(element.get("id", ""), element)
        return found

    @functools.cached_property
    def labels_for(self) -> dict[str, list[etree._Element]]:
        found: dict[str, list[etree._Element]] = {}
        for label in self.root.iterfind(".//label[@for]"):
            found.setdefault(label.get("for", ""), []).append(label)
        return found

    def labelledby(self, element: etree._Element) -> str | None:
        attribute = element.get("aria-labelledby")
        if not attribute:
            return None
        if attribute not in self._labelledby:
            texts = [self.text(self.by_id[i]) for i in attribute.split() if i in self.by_id]
            self._labelledby[attribute] = clean(" ".join(t for t in texts if t)) or None
        return self._labelledby[attribute]

    def text(self, element: etree._Element) -> str:
        """`text_of(element)`, read once."""
        if element not in self._texts:
            self._texts[element] = text_of(element)
        return self._texts[element]

    def control_label(self, element: etree._Element) -> tuple[str | None, str | None]:
        """(label, how it is attached) for a form control."""
        labelledby = self.labelledby(element)
        if labelledby:
            return labelledby, "aria-labelledby"
        aria = clean(element.get("aria-label"))
        if aria:
            return aria, "aria-label"
        identifier = element.get("id")
        if identifier:
            if identifier not in self._labels:
                texts = [self.text(label) for label in self.labels_for.get(identifier, [])]
                self._labels[identifier] = clean(" ".join(t for t in texts if t))
            if self._labels[identifier]:
                return self._labels[identifier], "label-for"
        for ancestor in element.iterancestors():
            if isinstance(ancestor.tag, str) and ancestor.tag.lower() == "label":
                text = text_of(ancestor)
                if text:
                    return text, "label-wrap"
                break
        for attribute in ("title", "placeholder"):
            value = clean(element.get(attribute))
            if value:
                return value, attribute
        return None, None

    def name(self, element: etree._Element) -> str:
        """The accessible name of a link, button, landmark or heading ('' when it has none)."""
        name = self._names.get(element)
        if name is None:
            name = self._names[element] = self._name(element)
        return name

    def _name(self, element: etree._Element) -> str:
        labelledby = self.labelledby(element)
        if labelledby:
            return labelledby
        aria = element.get("aria-label")
        if aria and (aria := clean(aria)):
            return aria
        tag = str(element.tag).lower()
        if tag == "input":
            kind = (element.get("type") or "text").lower()
            if kind in {"submit", "reset", "button"}:
                value = element.get("value")
                if value is not None:
                    return clean(value)
                return {"submit": "Submit", "reset": "Reset"}.get(kind, "")
            if kind == "image":
                return clean(element.get("alt") or element.get("title"))
            return self.control_label(element)[0] or ""
        if tag in {"nav", "main", "header", "footer", "aside", "section", "form"}:
            return clean(element.get("title"))
        if tag == "figure":
            caption = element.find(".//figcaption")
            return text_of(caption) if caption is not None else ""
        return text_of(element) or clean(element.get("title"))
