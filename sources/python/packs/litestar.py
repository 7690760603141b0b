"""Litestar routes: handlers made by `@get(path)`, `@post`, `@put`, `@patch`, `@delete`, `@head`,
`@route(path, http_method=[...])` and `@websocket(path)` (imported from `litestar`), in any scope,
methods of `Controller` subclasses (under the controller's `path`), and the `route_handlers=[...]`
of `Router(path=...)` and `Litestar(...)` that serve them under prefixes.

The decorator makes the route handler (Litestar's model), so a decorated handler registered nowhere
is a route at its own path; one registered in several routers is a route under each. `path` may be a
list (one route per path) or left out (`/`). Paths are joined as Litestar joins them: one `/` between
pieces, none at the end. A websocket handler has no HTTP methods (`[]`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from sources.python.packs.base import Extractor, Pack
from sources.python.packs.routing import (
    Part,
    definition_key,
    mount_candidate,
    path_part,
    prefix_candidate,
    route_candidate,
)
from sources.python.syntax import blocks, dotted, suite_statements
from sources.python.vocabulary import FunctionInfo, argument, literal_string, qualname_of

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head"})
ROUTE = frozenset({"route", "HTTPRouteHandler"})
WEBSOCKETS = frozenset({"websocket", "websocket_listener", "WebsocketRouteHandler"})
DECORATORS = VERBS | ROUTE | WEBSOCKETS
CONTROLLERS = frozenset({"litestar.Controller", "litestar.controller.Controller"})
APPS = frozenset({"litestar.Litestar", "litestar.app.Litestar"})
ROUTERS = frozenset({"litestar.Router", "litestar.router.Router"})


def _methods(call: cst.Call | None, verb: str) -> list[str]:
    if verb in VERBS:
        return [verb.upper()]
    if verb in WEBSOCKETS or call is None:
        return []
    given = argument(call, None, "http_method")
    items = given.elements if isinstance(given, (cst.List, cst.Tuple, cst.Set)) else [given]
    methods: set[str] = set()
    for item in items:
        value = item.value if isinstance(item, cst.BaseElement) else item
        literal = literal_string(value)
        if literal is None and isinstance(value, cst.Attribute):
            literal = value.attr.value
        if literal is not None:
            methods.add(literal.upper())
    return sorted(methods)


def _paths(extractor: Extractor, call: cst.Call | None) -> list[Part]:
    given = argument(call, 0, "path") if call is not None else None
    if isinstance(given, (cst.List, cst.Tuple)):
        parts = [path_part(extractor, element.value) for element in given.elements]
        return [part for part in parts if part is not None] or [("/", True)]
    part = path_part(extractor, given)
    return [part] if part is not None and part != ("None", False) else [("/", True)]


class LitestarPack(Pack):
    name = "litestar"
    reads = {"route": frozenset({"litestar"})}  # noqa: RUF012

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        for decorator in info.decorators:
            resolved = decorator.resolved
            if resolved is None or not resolved.startswith("litestar."):
                continue
            verb = resolved.rsplit(".", 1)[-1]
            if verb not in DECORATORS:
                continue
            prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
            container, kind, own = f"{prefix}{info.fact.qualname}", "handler", None
            if info.owner is not None and self._is_controller(extractor, info.owner):
                container, kind = f"{prefix}{info.fact.qualname.rsplit('.', 1)[0]}", "controller"
                own = _class_path(extractor, info.owner)
            for path in _paths(extractor, decorator.call):
                fact = extractor.make(
                    "route",
                    info.fact.name,
                    info.fact.qualname,
                    info.fact.line,
                    info.fact.end_line,
                    methods=_methods(decorator.call, verb),
                    route=path[0],
                    route_is_literal=path[1],
                    function=info.fact.qualname,
                    router=kind,
                    framework="litestar",
                    websocket=verb in WEBSOCKETS,
                )
                route_candidate(extractor, self.name, container, fact, kind, own)
            return

    def _is_controller(self, extractor: Extractor, node: cst.ClassDef) -> bool:
        return any(extractor.ctx.resolve(base.value) in CONTROLLERS for base in node.bases if base.keyword is None)

    def on_module(self, extractor: Extractor) -> None:
        if not any(target.startswith("litestar") for target in extractor.ctx.imports.values()):
            return
        prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
        found = list(_registrations(extractor, extractor.ctx.code.body, ()))
        if not found:
            return
        positions = MetadataWrapper(extractor.ctx.code, unsafe_skip_copy=True).resolve(PositionProvider)
        for owner, call in found:
            line = positions[call].start.line
            resolved = extractor.ctx.resolve(call.func)
            key = f"{prefix}{owner}"
            if resolved in ROUTERS:
                own = path_part(extractor, argument(call, 0, "path"))
                if own is not None:
                    prefix_candidate(extractor, self.name, key, own, line)
            handlers = argument(call, 1 if resolved in ROUTERS else 0, "route_handlers")
            if not isinstance(handlers, (cst.List, cst.Tuple)):
                continue
            for element in handlers.elements:
                child = element.value
                if dotted(child) is None:
                    continue
                if isinstance(child, cst.Name) and child.value in extractor.ctx.bindings:
                    child_key = f"{prefix}{child.value}"
                else:
                    child_key = definition_key(extractor, child, ())
                mount_candidate(extractor, self.name, key, child_key, None, line, line)


def _class_path(extractor: Extractor, node: cst.ClassDef) -> Part | None:
    for statement in suite_statements(node.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)):
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    if any(isinstance(t, cst.Name) and t.value == "path" for t in targets):
                        return path_part(extractor, small.value)
    return None


def _registrations(
    extractor: Extractor, statements: Sequence[cst.CSTNode], scope: tuple[str, ...]
) -> Iterator[tuple[str, cst.Call]]:
    """(owner name, the `Router(...)`/`Litestar(...)` call) for each such call that is the value of an
    assignment, a return or an expression statement, in any scope (owner: the assigned name, else the
    enclosing def's qualified name)."""
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            yield from _registrations(extractor, suite_statements(statement.body), (*scope, statement.name.value))
            continue
        if isinstance(statement, cst.ClassDef):
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            for block in blocks(statement):
                yield from _registrations(extractor, block, scope)
            continue
        for small in statement.body:
            value: cst.BaseExpression | None = None
            owner = ".<locals>.".join(scope) or "<app>"
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                value = small.value
                if isinstance(small.targets[0].target, cst.Name):
                    name = small.targets[0].target.value
                    owner = name if not scope else qualname_of([], ".<locals>.".join((*scope, name)))
            elif isinstance(small, (cst.Return, cst.Expr)):
                value = small.value
            if isinstance(value, cst.Call) and extractor.ctx.resolve(value.func) in ROUTERS | APPS:
                yield owner, value
