"""Final answers written from a real tool result: exact, and checkable by the grounding stage.

Conventions the grounding stage relies on: every identifier, value and `path:line` taken from the
result is in backticks; code is in fenced blocks copied byte for byte; every number outside backticks
is a count the result holds (its total, how many matches are shown, a number in a match). An answer
that found nothing with a tool bound to frameworks names the frameworks searched ("No FastAPI or
Flask routes are defined in this project."): an absence is a claim only about what was searched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from curate.tools.coverage import either, searched
from schemas import ToolResult

Style = Literal["terse", "chatty"]
STYLES: tuple[Style, ...] = ("terse", "chatty")
Match = dict[str, Any]


@dataclass(frozen=True)
class Subject:
    """What the answer lists: `async function(s)` `in this codebase`."""

    singular: str
    plural: str
    scope: str

    def counted(self, count: int) -> str:
        return counted(count, self.singular, self.plural)


def code(value: object) -> str:
    """Inline code; a value holding backticks gets a longer fence (CommonMark), an empty one none."""
    text = str(value)
    if not text.strip():
        return "(empty)"
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def at(match: Match) -> str:
    return code(f"{match['path']}:{match['line']}")


def listing(result: ToolResult, subject: Subject, item: Callable[[Match], str], style: Style) -> str:
    """A count, one bullet per shown match, and the truncation said out loud."""
    shown = len(result.matches)
    if result.total == 0:
        return nothing_found(result, subject, style)
    bullets = "\n".join(f"- {item(match)}" for match in result.matches)
    if style == "terse":
        head = f"{subject.counted(result.total)} {subject.scope}"
        if result.truncated:
            head += f" (showing the first {shown})"
        return f"{head}:\n{bullets}"
    verb = "is" if result.total == 1 else "are"
    head = f"There {verb} {subject.counted(result.total)} {subject.scope}"
    tail = (
        f"\n\nShowing the first {shown} of {result.total}; narrow the search to see the rest."
        if result.truncated
        else ""
    )
    return f"{head}:\n\n{bullets}{tail}"


def nothing_found(result: ToolResult, subject: Subject, style: Style) -> str:
    """ "There are no routes", said of what was searched when the result has coverage: "No FastAPI
    routes are defined in this project." (a subject that already names them is not repeated)."""
    plural = subject.plural
    if result.coverage is not None:
        names = either(searched(result.coverage))
        if names and names.casefold() not in plural.casefold():
            plural = f"{names} {plural}"
        if style == "terse":
            return f"No {plural} are defined {subject.scope}."
    if style == "terse":
        return f"No {plural} {subject.scope}."
    return f"There are no {plural} {subject.scope}."


def listed(values: list[Any]) -> str:
    return ", ".join(code(value) for value in values)


# -- items, one per tool -------------------------------------------------------------------------
def symbol_item(match: Match) -> str:
    return f"{code(match['signature'])} ({code(match['qualname'])}) at {at(match)}"


def route_item(match: Match) -> str:
    return f"{listed(match['methods'])} {code(match['route'])} handled by {code(match['name'])} at {at(match)}"


def fixture_item(match: Match) -> str:
    autouse = ", autouse" if match["autouse"] else ""
    scope = "scope computed when the tests run" if match["scope"] is None else f"scope {code(match['scope'])}"
    return f"{code(match['name'])} ({scope}{autouse}) at {at(match)}"


def cli_item(match: Match) -> str:
    return f"{code(match['name'])} runs {code(match['function'])} ({match['framework']}) at {at(match)}"


def service_item(match: Match) -> str:
    target = f" with {code(match['target'])}" if match.get("target") else ""
    return f"{code(match['service'])} via {code(match['registration'])}{target} at {at(match)}"


def test_item(match: Match) -> str:
    return f"{code(match['qualname'])} at {at(match)}"


def import_item(match: Match) -> str:
    alias = f" as {code(match['alias'])}" if match.get("alias") else ""
    if match.get("name"):
        return f"{at(match)}: from {code(match['module'])} import {code(match['name'])}{alias}"
    return f"{at(match)}: import {code(match['module'])}{alias}"


def form_item(match: Match) -> str:
    controls = match["controls"]
    names = [control.get("name") or control.get("type") or control["tag"] for control in controls]
    method = code(match["method"])
    action = f" to {code(match['action'])}" if match.get("action") else ""
    described = f"{counted(len(controls), 'control', 'controls')} ({listed(names)})" if controls else "no controls"
    return f"{at(match)}: {method}{action}, {described}"


def table_item(match: Match) -> str:
    caption = f"caption {code(match['caption'])}" if match.get("caption") else "no caption"
    headers = [header["text"] for header in match["headers"] if header.get("text")]
    head = f"headers {listed(headers)}" if headers else "no header cells"
    sections = [name for name in ("thead", "tbody", "tfoot") if match[f"has_{name}"]]
    parts = f", sections {', '.join(sections)}" if sections else ""
    size = f"{counted(match['rows'], 'row', 'rows')} by {counted(match['columns'], 'column', 'columns')}"
    return f"{at(match)}: {caption}, {size}, {head}{parts}"


def heading_item(match: Match) -> str:
    skipped = f", skipped from h{match['skipped_from']}" if match.get("skipped_from") else ""
    return f"h{match['level']} {code(match['text'])} at {at(match)}{skipped}"


def landmark_item(match: Match) -> str:
    label = f" labelled {code(match['label'])}" if match.get("label") else ""
    return f"{code(match['tag'])} ({match['role']}){label} at {at(match)}"


def finding_item(match: Match) -> str:
    return f"{code(match['rule'])} ({match['impact']}) on {code(match['tag'])} at {at(match)}: {code(match['message'])}"


def element_item(match: Match) -> str:
    text = match.get("text") or ""
    said = f": {code(text)}" if text.strip() and "\n" not in text else ""
    return f"{code(match['tag'])} at {at(match)}{said}"


# -- answers that are not plain lists ------------------------------------------------------------
def source_answer(result: ToolResult, qualname: str, style: Style) -> str:
    if result.total == 0:
        return f"There is no function, method or class named {code(qualname)} in this codebase."
    parts: list[str] = []
    if result.total > 1:
        parts.append(f"There are {result.total} definitions named {code(qualname)}.")
    for match in result.matches:
        intro = f"{code(match['qualname'])} is defined at {at(match)} (lines {match['line']}-{match['end_line']})"
        if style == "chatty":
            intro = (
                f"Here is {code(match['qualname'])}, defined at {at(match)} (lines {match['line']}-{match['end_line']})"
            )
        parts.append(f"{intro}:\n\n```python\n{match['source']}\n```")
    if result.truncated:
        parts.append(f"Showing {len(result.matches)} of {result.total} definitions with that name.")
    return "\n\n".join(parts)


def search_answer(result: ToolResult, pattern: str, style: Style) -> str:
    if result.total == 0:
        return f"No line in this codebase contains {code(pattern)}."
    lines = "\n".join(f"{match['path']}:{match['line']}: {match['text']}" for match in result.matches)
    count = f"{result.total} line" + ("" if result.total == 1 else "s")
    head = f"{count} match {code(pattern)}" if style == "terse" else f"I found {count} matching {code(pattern)}"
    if result.truncated:
        head += f" (showing the first {len(result.matches)})"
    return f"{head}:\n\n```\n{lines}\n```"


def outline_answer(result: ToolResult, page: str, style: Style) -> str:
    if result.total == 0:
        return f"{code(page)} has no headings."
    return listing(result, Subject("heading", "headings", f"in {code(page)}"), heading_item, style)


# -- routes, templates and forms (links made by the tools) ---------------------------------------
def rendered(match: Match) -> str:
    """What a route returns: its template (and the mined page), HTML, or neither."""
    if match.get("template"):
        page = f" ({code(match['template_path'])})" if match.get("template_path") else ""
        return f"renders {code(match['template'])}{page}"
    if match.get("response") == "html":
        return "returns HTML without a named template"
    return "renders no template"


def html_route_item(match: Match) -> str:
    return f"{route_item(match)}, {rendered(match)}"


def route_template_item(match: Match) -> str:
    return f"{listed(match['methods'])} {code(match['route'])} ({code(match['name'])} at {at(match)}) {rendered(match)}"


def handler_item(handler: Match) -> str:
    return f"{code(handler['name'])} ({listed(handler['methods'])} {code(handler['route'])}) in {code(handler['path'])}"


def form_handler_item(match: Match) -> str:
    action = f"to {code(match['action'])}" if match.get("action") else "to its own page"
    head = f"{at(match)}: {code(match['method'])} {action}"
    handlers = match["handlers"]
    if handlers:
        return f"{head}, handled by {', '.join(handler_item(handler) for handler in handlers)}"
    if match["lookup"] == "external":
        return f"{head}, which is another site"
    if match["lookup"] == "unreadable":
        return f"{head}; its handler cannot be told from the action"
    return f"{head}; no route found handles it"
