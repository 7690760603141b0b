"""CSS selectors (via cssselect) and XPath (`xpath:` prefix) over a parsed document.

libxml2 cannot stop an XPath once it runs, and an XPath can cost a power of the page's size
(`//*[count(following::*[count(preceding::*)])]`: every node, times every node after it, times every
node before that). So each query's cost on a page is estimated from its expression and the page's
size before it runs (`query_cost`), and one past `MAX_COST` is refused with the estimate: the same
query on the same page is always refused or always run, so a replayed call gives the same answer.
"""

from __future__ import annotations

import re
from typing import Any

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from sources.html.document import HtmlDocument
from sources.html.names import clean

XPATH_PREFIX = "xpath:"
MAX_ATTRIBUTE = 200
MAX_COST = 1_000_000_000
"""Node visits a query may cost, as `query_cost` estimates them, on one page and on all the pages of
one call together. The estimate runs 2-10x above what libxml2 visits, at some 400 million a second:
an allowed query runs for seconds at most."""

_XPATH_TOKEN = re.compile(
    r"""(?P<literal>"[^"]*"|'[^']*')
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<step>//|/|\.\.|\.|\[|\]|\(|\)|::|@|\*)
    | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_*][\w.\-]*)?)
    | (?P<other>\S)""",
    re.VERBOSE,
)
_WHOLE_PAGE_AXES = frozenset({"following", "preceding"})
_SIBLING_AXES = frozenset({"following-sibling", "preceding-sibling"})
_SUBTREE_AXES = frozenset({"descendant", "descendant-or-self", "ancestor", "ancestor-or-self"})
_STRING_VALUE_FUNCTIONS = frozenset({"string", "normalize-space", "string-length", "count", "sum", "lang"})


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


def query_cost(expression: str, nodes: int, depth: int, siblings: int) -> int:
    """An upper estimate of the nodes an XPath visits on a page of `nodes` nodes nested `depth` deep,
    with at most `siblings` children to an element.

    A path from the root visits the page once a step. Each step that continues a path runs once for
    every node it starts from, and each predicate once for every node it filters, so each multiplies
    the cost by what it may visit from one node: the whole page for an axis that leaves the node's
    subtree (`following::`, `preceding::`) or a path from the root inside a predicate; `siblings` for
    a sibling axis; the node's subtree or ancestors, `depth` on average, for a descendant or ancestor
    axis, `.`, `//` or a node's string value (`string(.)`, `count()`); a constant for attributes,
    children, the parent and positions. A level's factor is the largest of its steps'."""
    whole_page, subtree, fan_out = max(nodes, 1), max(depth, 1), max(siblings, 1)
    levels: list[int] = [1]  # the factor of the top level, then of each open predicate
    cost = steps = 0
    previous = ""  # the last token: whether a `/` continues a path or starts one at the root
    continues = False  # whether the last `/` or `//` continued a path
    for match in _XPATH_TOKEN.finditer(expression):
        kind, token = match.lastgroup or "other", match.group()
        ahead = expression[match.end() :].lstrip()
        nested = len(levels) > 1
        factor = 1
        if kind == "step" and token in {"/", "//"}:
            continues = previous in {"name", "*", ".", "..", ")", "]"}
            steps += 1
            if not continues:
                factor = whole_page if nested else 1
            elif token == "//":
                factor = subtree
        elif kind == "step" and token == "." and nested:
            factor = subtree
        elif kind == "name" and ahead.startswith("::") and (nested or continues):
            factor = (
                whole_page
                if token in _WHOLE_PAGE_AXES
                else fan_out
                if token in _SIBLING_AXES
                else subtree
                if token in _SUBTREE_AXES
                else 1
            )
        elif kind == "name" and token in _STRING_VALUE_FUNCTIONS and ahead.startswith("(") and nested:
            factor = 1 if ahead[1:].lstrip().startswith("@") else subtree  # an attribute's value: short
        if kind == "step" and token == "[":
            levels.append(1)
        elif kind == "step" and token == "]" and nested:
            levels.pop()
        else:
            levels[-1] = max(levels[-1], factor)
        product = whole_page
        for level in levels:
            product *= level
        cost = max(cost, product)
        previous = token if kind == "step" and token in {"*", ".", "..", ")", "]"} else kind
        if kind == "step" and token not in {"/", "//"}:
            continues = continues and token in {"::", "@", "*"}
    return cost * max(steps, 1)


def cost_on(document: HtmlDocument, query: etree.XPath) -> int:
    """What `query` is estimated to cost on `document` (`query_cost`)."""
    return query_cost(query.path, *document.shape)


def run_query(document: HtmlDocument, query: etree.XPath, max_cost: int = MAX_COST) -> list[dict[str, Any]]:
    """The elements `query` selects on `document`; QueryError, before it runs, if it is estimated to
    cost more than `max_cost`."""
    cost = cost_on(document, query)
    if cost > max_cost:
        nodes, depth, _ = document.shape
        raise QueryError(
            f"the selector is too costly (about {cost:.1e} node visits on a page of {nodes} nodes, "
            f"{depth} deep; the budget left is {max(max_cost, 0):.1e}): use fewer nested predicates, and "
            "none over following::, preceding:: or the siblings"
        )
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
