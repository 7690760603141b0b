"""FastAPI and Starlette routes: `@app.get(...)`, `@router.api_route(..., methods=[...])`,
`app.add_api_route(...)`, on objects bound to `FastAPI()` / `APIRouter()` / `Starlette()`."""

from __future__ import annotations

import libcst as cst

from sources.python.packs.base import Extractor, Pack
from sources.python.vocabulary import FunctionInfo, Scope, argument, literal_string

VERBS = frozenset({"get", "post", "put", "delete", "patch", "options", "head", "trace"})
DECORATORS_WITH_METHODS = frozenset({"api_route", "route"})
CALLS = frozenset({"add_api_route", "add_route"})
FASTAPI_TYPES = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.applications.FastAPI", "fastapi.routing.APIRouter"}
)
STARLETTE_TYPES = frozenset({"starlette.applications.Starlette", "starlette.routing.Router"})


def _methods(call: cst.Call, verb: str) -> list[str]:
    if verb in VERBS:
        return [verb.upper()]
    given = argument(call, None, "methods")
    if isinstance(given, (cst.List, cst.Tuple, cst.Set)):
        methods = [literal_string(element.value) for element in given.elements]
        return sorted({method.upper() for method in methods if method})
    return ["GET"]


def _route(extractor: Extractor, call: cst.Call) -> str:
    path = argument(call, 0, "path")
    if path is None:
        return ""
    literal = literal_string(path)
    return literal if literal is not None else extractor.ctx.source_of(path)


class FastApiPack(Pack):
    name = "fastapi"
    reads = {"route": frozenset({"fastapi", "starlette"})}  # noqa: RUF012
    instance_types = FASTAPI_TYPES | STARLETTE_TYPES

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        for decorator in info.decorators:
            call = decorator.call
            if call is None or not isinstance(call.func, cst.Attribute):
                continue
            verb = call.func.attr.value
            if verb not in VERBS and verb not in DECORATORS_WITH_METHODS:
                continue
            self._route(
                extractor,
                call.func.value,
                call,
                verb,
                info.fact.name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
            )

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in CALLS:
            return
        endpoint = argument(call, 1, "endpoint")
        name = extractor.ctx.source_of(endpoint) if endpoint is not None else ""
        self._route(extractor, call.func.value, call, "api_route", name.rsplit(".", 1)[-1], name, line, end_line)

    def _route(
        self,
        extractor: Extractor,
        receiver: cst.BaseExpression,
        call: cst.Call,
        verb: str,
        name: str,
        qualname: str,
        line: int,
        end_line: int,
    ) -> None:
        local_type, imported = extractor.receiver_of(receiver)
        if local_type is None and imported is None:
            return
        if local_type is not None and local_type not in self.instance_types:
            if not self.may_be_reexported(local_type):
                return
            local_type, imported = None, extractor.qualified(receiver)
        framework = "starlette" if local_type in STARLETTE_TYPES else "fastapi"
        fact = extractor.make(
            "route",
            name,
            qualname,
            line,
            end_line,
            methods=_methods(call, verb),
            route=_route(extractor, call),
            function=qualname,
            router=extractor.ctx.source_of(receiver),
            framework=framework,
        )
        if local_type is not None:
            extractor.emit(fact)
        elif imported is not None:
            extractor.candidate(self.name, imported, fact)
