"""The HTML tools: CSS/XPath queries, forms, tables, the heading outline, landmarks and accessibility.

`query_html` runs a selector over the stored pages, within a budget of estimated node visits that a
call's pages share (`sources.html.query.MAX_COST`: a selector that would run for minutes is refused
before it runs, the same way every time); the others read the facts the HTML extractor
stored. Matches open with `path` and `line`. Declared in `HTML_TOOLS`, in catalog order.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from curate.tools.context import Matches, ToolContext, details, fact_rows, path_filter
from curate.tools.toolset import Toolset
from schemas import Fact
from schemas import tool as schema

if TYPE_CHECKING:  # lxml and the HTML driver load only when a query runs: the other tools read facts
    from sources.html import HtmlDocument

HTML_TOOLS = Toolset("html")


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, False, [])}


@HTML_TOOLS.tool(schema.QueryHtmlArgs)
def query_html(ctx: ToolContext, args: schema.QueryHtmlArgs) -> Matches:
    from sources.html import QueryError, compile_selector, run_query
    from sources.html.query import MAX_COST, cost_on

    try:
        query = compile_selector(args.selector)
    except QueryError as error:
        raise ValueError(str(error)) from None
    wanted = path_filter(args.path)
    matches: Matches = []
    spent = 0  # estimated node visits: the pages of one call share one budget
    for source in ctx.sources:
        for record in ctx.files(source):
            shown = ctx.shown(source, record.path)
            if record.language != "html" or not wanted(shown):
                continue
            document = _parsed("\n".join(ctx.lines(source, record.path)))
            if document is None:
                continue
            try:
                found = run_query(document, query, MAX_COST - spent)
            except QueryError as error:
                raise ValueError(f"{shown}: {error}") from None
            spent += cost_on(document, query)
            matches.extend({"path": shown, **match} for match in found)
    return matches


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> HtmlDocument | None:
    """Parse a stored page once per process: the same text always gives the same document."""
    from sources.html import parse_html

    return parse_html(text) if text.strip() else None


def _form(fact: Fact) -> dict[str, Any]:
    controls = [_without_empty({k: v for k, v in control.items() if k != "id"}) for control in fact.detail["controls"]]
    return {**details(fact, "action", "method"), "controls": controls}


@HTML_TOOLS.tool(schema.FindFormsArgs)
def find_forms(ctx: ToolContext, args: schema.FindFormsArgs) -> Matches:
    return fact_rows(ctx, "form", args.path, _form)


def _table(fact: Fact) -> dict[str, Any]:
    headers = [_without_empty(header) for header in fact.detail["headers"]]
    return {
        **details(fact, "caption", "rows", "columns"),
        "headers": headers,
        **details(fact, "has_thead", "has_tbody", "has_tfoot"),
    }


@HTML_TOOLS.tool(schema.FindTablesArgs)
def find_tables(ctx: ToolContext, args: schema.FindTablesArgs) -> Matches:
    return fact_rows(ctx, "table", args.path, _table)


def _heading(fact: Fact) -> dict[str, Any]:
    return details(fact, "level", "text", "skipped_from")


@HTML_TOOLS.tool(schema.HtmlOutlineArgs)
def html_outline(ctx: ToolContext, args: schema.HtmlOutlineArgs) -> Matches:
    def keep(fact: Fact) -> bool:
        return args.max_level is None or fact.detail["level"] <= args.max_level

    return fact_rows(ctx, "heading", args.path, _heading, keep)


def _landmark(fact: Fact) -> dict[str, Any]:
    return details(fact, "tag", "role", "label")


@HTML_TOOLS.tool(schema.FindLandmarksArgs)
def find_landmarks(ctx: ToolContext, args: schema.FindLandmarksArgs) -> Matches:
    def keep(fact: Fact) -> bool:
        return args.role is None or fact.detail["role"] == args.role

    return fact_rows(ctx, "landmark", args.path, _landmark, keep)


def _finding(fact: Fact) -> dict[str, Any]:
    return details(fact, "rule", "impact", "message", "tag")


@HTML_TOOLS.tool(schema.CheckAccessibilityArgs)
def check_accessibility(ctx: ToolContext, args: schema.CheckAccessibilityArgs) -> Matches:
    rules = set(args.rules) if args.rules else None

    def keep(fact: Fact) -> bool:
        return rules is None or fact.detail["rule"] in rules

    return fact_rows(ctx, "a11y_finding", args.path, _finding, keep)
