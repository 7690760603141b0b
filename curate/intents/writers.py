"""Answer writers: the final answer of a tool-call example, written from the real tool result.

Each writer is registered by name; intent files name it and give its keyword-only parameters (a
listing's `singular`, `plural`, `item`...). The wording helpers and the per-tool items live in
`curate.answers`; a new intent needs a new writer only when no listing here says what it asks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

from curate import answers
from curate.answers import Match, Style, Subject
from curate.intents.model import Call
from curate.intents.registry import Registry
from schemas import ToolResult

WRITERS: Registry[str] = Registry("answer writer")
writer = WRITERS.register

ITEMS: dict[str, Callable[[Match], str]] = {
    "symbol": answers.symbol_item,
    "route": answers.route_item,
    "fixture": answers.fixture_item,
    "cli": answers.cli_item,
    "service": answers.service_item,
    "test": answers.test_item,
    "import": answers.import_item,
    "form": answers.form_item,
    "table": answers.table_item,
    "heading": answers.heading_item,
    "landmark": answers.landmark_item,
    "finding": answers.finding_item,
    "element": answers.element_item,
}
"""How one match reads as a bullet, by the name intent files use."""


def known_item(name: str) -> str:
    if name not in ITEMS:
        raise ValueError(f"unknown item {name!r} (known: {', '.join(sorted(ITEMS))})")
    return name


Item = Annotated[str, AfterValidator(known_item)]


def scope_of(call: Call, everywhere: str = "in this codebase") -> str:
    path = call.arguments.get("path")
    return f"under {answers.code(path)}" if path else everywhere


def pages_scope(call: Call) -> str:
    path = call.arguments.get("path")
    return f"in {answers.code(path)}" if path else "in these pages"


@writer("listing")
def listing(
    result: ToolResult,
    call: Call,
    style: Style,
    *,
    singular: str,
    plural: str,
    item: Item,
    everywhere: str = "in this codebase",
) -> str:
    """A listing under the call's `path`, or `everywhere`."""
    return answers.listing(result, Subject(singular, plural, scope_of(call, everywhere)), ITEMS[item], style)


@writer("page_listing")
def page_listing(result: ToolResult, call: Call, style: Style, *, singular: str, plural: str, item: Item) -> str:
    """A listing in the call's page, or in all pages."""
    return answers.listing(result, Subject(singular, plural, pages_scope(call)), ITEMS[item], style)


@writer("decorated")
def decorated(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("function", "functions", f"decorated with {answers.code('@' + call.arguments['decorator'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


@writer("subclassed")
def subclassed(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("class", "classes", f"based on {answers.code(call.arguments['base'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


@writer("methods_named")
def methods_named(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("method", "methods", f"named {answers.code(call.arguments['name'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


@writer("routes")
def routes(result: ToolResult, call: Call, style: Style) -> str:
    method = call.arguments.get("method")
    singular, plural = (f"{method} route", f"{method} routes") if method else ("route", "routes")
    return answers.listing(result, Subject(singular, plural, "in this project"), answers.route_item, style)


@writer("fixtures")
def fixtures(result: ToolResult, call: Call, style: Style) -> str:
    scope = call.arguments.get("scope")
    kind = f"{scope}-scoped pytest" if scope else "pytest"
    subject = Subject(f"{kind} fixture", f"{kind} fixtures", "in this project")
    return answers.listing(result, subject, answers.fixture_item, style)


@writer("imports")
def imports(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("import", "imports", f"of {answers.code(call.arguments['module'])}")
    return answers.listing(result, subject, answers.import_item, style)


@writer("source")
def source(result: ToolResult, call: Call, style: Style) -> str:
    return answers.source_answer(result, call.arguments["qualname"], style)


@writer("search")
def search(result: ToolResult, call: Call, style: Style) -> str:
    return answers.search_answer(result, call.arguments["pattern"], style)


@writer("outline")
def outline(result: ToolResult, call: Call, style: Style) -> str:
    return answers.outline_answer(result, call.arguments["path"], style)


@writer("matched")
def matched(result: ToolResult, call: Call, style: Style) -> str:
    """Elements a CSS selector or an XPath (`xpath:` prefix) matched."""
    selector = call.arguments["selector"]
    shown = selector.removeprefix("xpath:")
    subject = Subject("element", "elements", f"matching {answers.code(shown)} {pages_scope(call)}")
    return answers.listing(result, subject, answers.element_item, style)


def framework_of(call: Call) -> str:
    framework = call.arguments.get("framework")
    return f"{answers.code(framework)} " if framework else ""


@writer("html_routes")
def html_routes(result: ToolResult, call: Call, style: Style) -> str:
    """Routes that return HTML, of one framework or all."""
    kind = f"{framework_of(call)}route"
    subject = Subject(f"{kind} that returns HTML", f"{kind}s that return HTML", "in this project")
    return answers.listing(result, subject, answers.html_route_item, style)


@writer("route_templates")
def route_templates(result: ToolResult, call: Call, style: Style) -> str:
    """The routes at one path and the template each renders."""
    subject = Subject("route", "routes", f"at {answers.code(call.arguments['route'])}")
    return answers.listing(result, subject, answers.route_template_item, style)


@writer("form_handlers")
def form_handlers(result: ToolResult, call: Call, style: Style) -> str:
    """Forms and the routes (of one framework, or any) that handle what they submit."""
    framework = call.arguments.get("framework")
    scope = scope_of(call, "in this project")
    if framework:
        scope += f", with their {answers.code(framework)} handlers"
    return answers.listing(result, Subject("form", "forms", scope), answers.form_handler_item, style)
