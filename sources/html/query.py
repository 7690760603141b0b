"""CSS selectors (via cssselect) and XPath (`xpath:` prefix) over a parsed document."""

from __future__ import annotations

from typing import Any

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from sources.html.document import HtmlDocument
from sources.html.names import clean

XPATH_PREFIX = "xpath:"
MAX_ATTRIBUTE = 200


class QueryError(ValueError):
    pass


def compile_selector(selector: str) -> etree.XPath:
    """Compile once, use on every page; raises QueryError for a selector that cannot be read."""
    try:
        if selector.startswith(XPATH_PREFIX):
            return etree.XPath(selector[len(XPATH_PREFIX) :].strip())
        return etree.XPath(HTMLTranslator().css_to_xpath(selector))
    except (SelectorError, etree.XPathSyntaxError) as error:
        raise QueryError(f"cannot read selector {selector!r}: {error}") from None


def run_query(document: HtmlDocument, query: etree.XPath) -> list[dict[str, Any]]:
    try:
        found = query(document.root)
    except etree.XPathEvalError as error:
        raise QueryError(f"XPath failed: {error}") from None
    if not isinstance(found, list):
        raise QueryError("the XPath must select elements")
    matches: list[dict[str, Any]] = []
    for element in found:
        if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
            raise QueryError("the XPath must select elements")
        if document.is_dropped(element):
            continue
        matches.append(
            {
                "line": document.line(element),
                "tag": str(element.tag).lower(),
                "attributes": {str(k): clean(str(v), MAX_ATTRIBUTE) for k, v in sorted(element.attrib.items())},
                "text": clean("".join(str(part) for part in element.itertext())),
                "xpath": document.xpath_of(element),
            }
        )
    return matches
