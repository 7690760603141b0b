"""What a route answers with: an HTML response and the template it renders, read from its handler.

A post-pass over one module's facts, whatever the framework: every route (or route candidate) whose
handler `def` is in the module gets `response="html"` when the handler declares an HTML response and
`template` when it renders a template named by a literal:

- `response_class=HTMLResponse` in a decorator, `-> HTMLResponse`, `return HTMLResponse(...)`, or the
  app/router bound with `default_response_class=HTMLResponse`;
- a rendered template: `render_template("x.html")` (Flask), `templates.TemplateResponse("x.html")`,
  `TemplateResponse(request, "x.html")`, `TemplateResponse(request=..., name="x.html")` (Starlette,
  FastAPI), `render(request, "x.html")`, `TemplateResponse(request, "x.html")` and a class-based
  view's `template_name = "x.html"` (Django), `Template(template_name="x.html")` (Litestar).

The handler is the def at the route's `handler_line` (else its `line`) named like the route, else the
one def whose qualified name is the route's `function`; a route whose handler is elsewhere keeps its
detail as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from schemas import Fact
from schemas.fact import RouteDetail
from sources.python.context import ModuleContext
from sources.python.positions import Positions
from sources.python.syntax import OwnBodyVisitor, blocks, dotted, suite_statements
from sources.python.vocabulary import argument, literal_string

HTML_RESPONSES = frozenset({"HTMLResponse", "TemplateResponse", "_TemplateResponse"})
"""Classes (by their last name) whose instances are HTML: Starlette's and Django's."""
RENDERERS: dict[str, tuple[int | None, str]] = {
    "flask.render_template": (0, "template_name_or_list"),
    "flask.templating.render_template": (0, "template_name_or_list"),
    "quart.render_template": (0, "template_name_or_list"),
    "django.shortcuts.render": (1, "template_name"),
    "django.shortcuts.render_to_response": (0, "template_name"),
    "django.template.loader.render_to_string": (0, "template_name"),
    "django.template.response.TemplateResponse": (1, "template"),
    "litestar.Template": (0, "template_name"),
    "litestar.response.Template": (0, "template_name"),
    "litestar.response.template.Template": (0, "template_name"),
}
"""Functions that render a named template, by qualified name: (position, keyword) of the name."""
WRITTEN_RENDERERS = {"render_template": (0, "template_name_or_list")}
"""Renderers recognised by the name as written where imports do not say (a def-local import)."""


@dataclass(frozen=True)
class Handler:
    node: cst.FunctionDef
    qualname: str
    line: int
    owner: cst.ClassDef | None


@dataclass(frozen=True)
class Rendered:
    html: bool = False
    template: str | None = None


def add_responses(facts: Sequence[Fact], module: cst.Module, positions: Positions, ctx: ModuleContext) -> list[Fact]:
    """The module's facts, each route and route candidate with what its handler renders."""
    if not any(_route_detail(fact) is not None for fact in facts):
        return list(facts)
    handlers = list(_handlers(module.body, positions, (), None))
    by_line = {each.line: each for each in handlers}
    by_qualname: dict[str, list[Handler]] = {}
    for each in handlers:
        by_qualname.setdefault(each.qualname, []).append(each)
    reader = ResponseReader(ctx)
    updated: list[Fact] = []
    for fact in facts:
        detail = _route_detail(fact)
        if detail is None:
            updated.append(fact)
            continue
        route = _proposed_route(fact)
        name = route["name"] if route is not None else fact.name
        line = route["line"] if route is not None else fact.line
        handler: Handler | None = by_line.get(detail.get("handler_line") or line)
        if handler is None or handler.node.name.value != name:
            named = by_qualname.get(detail["function"], [])
            handler = named[0] if len(named) == 1 else None
        if handler is None:
            updated.append(fact)
            continue
        rendered = reader.read(handler, detail["router"])
        updated.append(_with(fact, rendered))
    return updated


def _proposed_route(fact: Fact) -> dict[str, Any] | None:
    """The route a candidate proposes: the proposal itself (FastAPI, Starlette), or the route a
    Flask/Django/Litestar candidate carries under `route` for linking to place."""
    if fact.kind != "candidate":
        return None
    proposed: dict[str, Any] = fact.detail["proposed"]
    if proposed.get("kind") == "route":
        return proposed
    carried = proposed.get("route")
    return carried if isinstance(carried, dict) and carried.get("kind") == "route" else None


def _route_detail(fact: Fact) -> dict[str, Any] | None:
    if fact.kind == "route":
        return fact.detail
    route = _proposed_route(fact)
    return route["detail"] if route is not None else None


def _with(fact: Fact, rendered: Rendered) -> Fact:
    if not rendered.html and rendered.template is None:
        return fact
    detail = _route_detail(fact) or {}
    changes = {"response": "html" if rendered.html else detail.get("response"), "template": rendered.template}
    new_detail = RouteDetail.model_validate({**detail, **changes}).model_dump(mode="json")
    if fact.kind == "route":
        return fact.model_copy(update={"detail": new_detail})
    proposed = fact.detail["proposed"]
    if proposed.get("kind") == "route":
        proposed = {**proposed, "detail": new_detail}
    else:
        proposed = {**proposed, "route": {**proposed["route"], "detail": new_detail}}
    return fact.model_copy(update={"detail": {**fact.detail, "proposed": proposed}})


def _handlers(
    statements: Sequence[cst.CSTNode], positions: Positions, scope: tuple[str, ...], owner: cst.ClassDef | None
) -> Iterator[Handler]:
    """Every def of the module with its qualified name (`f`, `C.f`, `outer.<locals>.f`) and `def` line."""
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            name = statement.name.value
            yield Handler(statement, ".".join((*scope, name)), positions.span(statement)[0], owner)
            inner = suite_statements(statement.body)
            yield from _handlers(inner, positions, (*scope, name, "<locals>"), None)
        elif isinstance(statement, cst.ClassDef):
            yield from _handlers(suite_statements(statement.body), positions, (*scope, statement.name.value), statement)
        elif not isinstance(statement, (cst.SimpleStatementLine, cst.BaseSmallStatement)):
            for block in blocks(statement):
                yield from _handlers(block, positions, scope, owner)


class ResponseReader:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def read(self, handler: Handler, router: str) -> Rendered:
        node = handler.node
        html = self.default_html(router) or self.declared_html(node)
        template: str | None = None
        calls = _CallFinder()
        node.body.visit(calls)
        for call in calls.found:
            rendered = self.renders(call)
            if rendered is not None:
                html = True
                template = template or rendered.template
            elif self.is_html_class(call.func):
                html = True
        if handler.owner is not None and template is None:
            template = _class_template(handler.owner)
            html = html or template is not None
        return Rendered(html, template)

    def default_html(self, router: str) -> bool:
        binding = self.ctx.bindings.get(router)
        written = binding.keywords.get("default_response_class") if binding is not None else None
        return written is not None and written.rsplit(".", 1)[-1] in HTML_RESPONSES

    def declared_html(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                given = argument(expression, None, "response_class")
                if given is not None and self.is_html_class(given):
                    return True
        return node.returns is not None and self.is_html_class(node.returns.annotation)

    def is_html_class(self, node: cst.BaseExpression) -> bool:
        name = dotted(node)
        return name is not None and name.rsplit(".", 1)[-1] in HTML_RESPONSES

    def renders(self, call: cst.Call) -> Rendered | None:
        """A call that renders a template: with its name when that is a literal."""
        written = dotted(call.func)
        if written is None:
            return None
        resolved = self.ctx.resolve(call.func)
        where = RENDERERS.get(resolved or "") or (WRITTEN_RENDERERS.get(written) if resolved is None else None)
        if where is not None:
            return Rendered(True, literal_string(argument(call, *where)))
        if written.rsplit(".", 1)[-1] == "TemplateResponse":
            return Rendered(True, _template_response_name(call))
        if written.rsplit(".", 1)[-1] == "Template" and argument(call, None, "template_name") is not None:
            return Rendered(True, literal_string(argument(call, None, "template_name")))
        return None


def _template_response_name(call: cst.Call) -> str | None:
    """`TemplateResponse("x.html", ...)` (Starlette before 0.29), `TemplateResponse(request, "x.html")`,
    `TemplateResponse(request=request, name="x.html")`; Django's `template=`."""
    for keyword in ("name", "template"):
        given = argument(call, None, keyword)
        if given is not None:
            return literal_string(given)
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    for value in positional[:2]:
        literal = literal_string(value)
        if literal is not None:
            return literal
    return None


def _class_template(owner: cst.ClassDef) -> str | None:
    """A class-based view's `template_name = "x.html"`."""
    for statement in suite_statements(owner.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == "template_name"
            ):
                return literal_string(small.value)
    return None


class _CallFinder(OwnBodyVisitor):
    """The calls in a def's own body (not in nested defs, classes or lambdas)."""

    def __init__(self) -> None:
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> bool:
        self.found.append(node)
        return True
