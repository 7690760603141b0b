"""FastAPI and Starlette routes, in any scope: `@app.get(...)` and the other verbs, `@router.api_route(...,
methods=[...])`, `@app.route(...)`, `@app.websocket(...)`, `app.add_api_route(...)`, `app.add_route(...)`,
`app.add_websocket_route(...)`, on objects bound to `FastAPI()` / `APIRouter()` / `Starlette()` /
`Router()` at module level or inside a function (app factories, apps built in tests); and the route
tables of `sources.python.packs.starlette`.

A route's path is its full path: the router's own `prefix`, and the prefixes of the
`include_router`/`mount` calls of the same module that serve it, joined (one fact per place it is
served). Methods are what the framework serves: FastAPI's path operations serve the verb or the
`methods` given (GET when none); Starlette's `Route` (`add_route`, `@route`) adds HEAD wherever GET
is; websocket routes have no HTTP methods.
"""

from __future__ import annotations

import libcst as cst

from sources.python.packs.base import Extractor, Pack
from sources.python.packs.starlette import (
    FASTAPI_APPS,
    STARLETTE_APPS,
    Survey,
    endpoint_name,
    given_methods,
    join_route,
    path_part,
    survey_of,
)
from sources.python.vocabulary import FunctionInfo, Scope, argument

VERBS = frozenset({"get", "post", "put", "delete", "patch", "options", "head", "trace"})
DECORATORS_WITH_METHODS = frozenset({"api_route", "route"})
WEBSOCKET_DECORATORS = frozenset({"websocket", "websocket_route"})
DECORATORS = VERBS | DECORATORS_WITH_METHODS | WEBSOCKET_DECORATORS
CALLS = {
    "add_api_route": "api_route",
    "add_route": "route",
    "add_websocket_route": "websocket",
    "add_api_websocket_route": "websocket",
}
"""A registering call, and the decorator it is the call form of."""
STARLETTE_ROUTE = frozenset({"route"})
"""Forms that make a Starlette `Route` (HEAD added to GET) rather than a FastAPI `APIRoute`."""


def _methods(call: cst.Call, verb: str) -> list[str]:
    if verb in VERBS:
        return [verb.upper()]
    if verb in WEBSOCKET_DECORATORS:
        return []
    methods = given_methods(call) or ["GET"]
    if verb in STARLETTE_ROUTE and "GET" in methods:
        methods = sorted({*methods, "HEAD"})
    return methods


class FastApiPack(Pack):
    name = "fastapi"
    reads = {"route": frozenset({"fastapi", "starlette"})}  # noqa: RUF012
    instance_types = FASTAPI_APPS | STARLETTE_APPS

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        survey_of(extractor)
        for decorator in info.decorators:
            call = decorator.call
            if call is None or not isinstance(call.func, cst.Attribute):
                continue
            verb = call.func.attr.value
            if verb not in DECORATORS:
                continue
            self._route(
                extractor,
                info.scope,
                call.func.value,
                call,
                verb,
                info.fact.name,
                info.fact.qualname,
                (info.fact.line, info.fact.end_line),
                None,
            )

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        survey_of(extractor)
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in CALLS:
            return
        endpoint = argument(call, 1, "endpoint")
        written = extractor.ctx.source_of(endpoint) if endpoint is not None else ""
        verb = CALLS[call.func.attr.value]
        self._route(
            extractor, scope, call.func.value, call, verb, endpoint_name(written), written, (line, end_line), endpoint
        )

    def _route(
        self,
        extractor: Extractor,
        scope: tuple[Scope, ...],
        receiver: cst.BaseExpression,
        call: cst.Call,
        verb: str,
        name: str,
        qualname: str,
        lines: tuple[int, int],
        endpoint: cst.BaseExpression | None,
    ) -> None:
        local_type, imported = extractor.receiver_of(receiver)
        if local_type is None and imported is None:
            return
        if local_type is not None and local_type not in self.instance_types:
            if not self.may_be_reexported(local_type):
                return
            local_type, imported = None, extractor.qualified(receiver)
        survey = survey_of(extractor, force=True)
        assert survey is not None
        site = survey.site(scope, receiver.value) if isinstance(receiver, cst.Name) and local_type else None
        line, end_line = lines
        path = path_part(survey.ctx, argument(call, 0, "path"))
        for prefix in survey.served(site):
            route, literal = join_route((*prefix, survey.own_prefix(site), path))
            fact = extractor.make(
                "route",
                name,
                qualname,
                line,
                end_line,
                methods=_methods(call, verb),
                route=route,
                route_is_literal=literal,
                function=qualname,
                router=extractor.ctx.source_of(receiver),
                framework="starlette" if local_type in STARLETTE_APPS else "fastapi",
                handler_line=_handler_line(survey, scope, endpoint, line),
                websocket=verb in WEBSOCKET_DECORATORS,
            )
            if local_type is not None:
                extractor.emit(fact)
            elif imported is not None:
                extractor.candidate(self.name, imported, fact)


def _handler_line(
    survey: Survey, scope: tuple[Scope, ...], endpoint: cst.BaseExpression | None, line: int
) -> int | None:
    return survey.handler_line(scope, endpoint, line) if endpoint is not None else None
