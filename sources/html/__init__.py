"""HTML sources: file bytes in, facts out (lxml), plus CSS/XPath queries over a page."""

from sources.html.a11y import RULES
from sources.html.document import LIBXML_VERSION, HtmlDocument, parse_html
from sources.html.extract import extract_html, is_template
from sources.html.query import QueryError, compile_selector, run_query

__all__ = [
    "LIBXML_VERSION",
    "RULES",
    "HtmlDocument",
    "QueryError",
    "compile_selector",
    "extract_html",
    "is_template",
    "parse_html",
    "run_query",
]
