"""Starlette's routing as a module declares it: route tables, mounts and includes, read once per module.

Starlette 1.x has no `@app.route`: an application is `Starlette(routes=[Route(...), WebSocketRoute(...),
Mount(path, routes=[...]), Host(host, app=...)])`, or a `Router(...)`, often over a list variable
(`routes = [...]`, `Starlette(routes=routes)`). FastAPI builds on it: `app.include_router(router,
prefix=...)`, `app.mount(path, sub_app)`. A route's full path depends on where its router is included,
which may come after the route in the module; so the first hook of a module that imports starlette or
fastapi surveys the whole module once (`survey_of`), and the FastAPI pack asks it for prefixes.

What a table entry serves (Starlette's `Route.__init__`): the methods given, else GET for a function
endpoint, else, for an `HTTPEndpoint` class of the same module, the verbs its methods are named after;
HEAD is added wherever GET is (Starlette does so on every `Route`; FastAPI's `APIRoute` does not).
A websocket route has no HTTP methods (`[]`). A `Mount` path loses its trailing `/` (as Starlette
strips it); a `Host` leaves paths as they are. A list of routes used nowhere in its module is taken as
served at the root (it is imported by the module that builds the app).

Names are resolved the way the driver resolves them: module-level and function-local assignments and
imports (a `ModuleContext` of its own, entered and left per function body like the driver's), so a
route's site (the scope that binds its app or router, and the name) is what both readings agree on.

Why one module past 450 lines: the survey (`_Surveyor`) and what it produces (`Survey`) are one reading
of one module's routing: the walk, its name environments, table expansion and the prefixes they feed
share their types in both directions; split, the two halves would import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from schemas import Fact
from sources.python.context import ModuleContext
from sources.python.packs.base import Extractor
from sources.python.syntax import blocks, suite_statements
from sources.python.vocabulary import Scope, argument, literal_string

FASTAPI_APPS = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.applications.FastAPI", "fastapi.routing.APIRouter"}
)
STARLETTE_APPS = frozenset({"starlette.applications.Starlette", "starlette.routing.Router"})
APPS = FASTAPI_APPS | STARLETTE_APPS
ROUTES_POSITION = {"starlette.routing.Router": 0, "starlette.applications.Starlette": 1}
"""Where `routes` may be given positionally (FastAPI's classes take it by keyword only)."""
ROUTE = frozenset({"starlette.routing.Route", "fastapi.routing.APIRoute"})
WEBSOCKET = frozenset({"starlette.routing.WebSocketRoute", "fastapi.routing.APIWebSocketRoute"})
MOUNT = frozenset({"starlette.routing.Mount", "fastapi.routing.Mount"})
HOST = frozenset({"starlette.routing.Host"})
ENTRIES = ROUTE | WEBSOCKET | MOUNT | HOST
TABLE_NAMES = ENTRIES | STARLETTE_APPS | {"starlette", "starlette.routing", "starlette.applications"}
"""Imports that let a module build a route table (the tables of other modules are read when they do)."""
HTTP_VERBS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
MAX_PREFIXES = 64
"""A route served at more places than this (a router included in a loop of includes) keeps the first."""

Site = tuple[tuple[Scope, ...], str]
"""Where a name is bound: the scope (function bodies nest; class bodies bind nothing) and the name."""
Part = tuple[str, bool]
"""A piece of a path: its text (the literal, or the expression as written) and whether it is literal."""
Parts = tuple[Part, ...]


def join_route(parts: Sequence[Part]) -> tuple[str, bool]:
    """The full path from its pieces: one string when all are literal, else a `+` expression in which
    adjacent literals are merged and quoted (`"/api" + settings.PREFIX + "/items"`)."""
    merged: list[Part] = []
    for text, literal in parts:
        if not text and literal:
            continue
        if merged and literal and merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, True)
        else:
            merged.append((text, literal))
    if all(literal for _, literal in merged):
        return "".join(text for text, _ in merged), True
    return " + ".join(f'"{text}"' if literal else text for text, literal in merged), False


def path_part(ctx: ModuleContext, node: cst.BaseExpression | None) -> Part:
    if node is None:
        return ("", True)
    literal = literal_string(node)
    return (literal, True) if literal is not None else (ctx.source_of(node), False)


def endpoint_name(written: str) -> str:
    """The handler's name: the last part of a dotted endpoint, else the endpoint as written."""
    head, _, last = written.rpartition(".")
    return last if head and all(part.isidentifier() for part in written.split(".")) else written


@dataclass(frozen=True)
class TableRoute:
    """One route of a table, relative to the table's owner."""

    entry: cst.Call
    parts: Parts
    scope: tuple[Scope, ...]
    websocket: bool
    fastapi: bool
    """An `APIRoute`: no HEAD added."""
    framework: str
    router: str


@dataclass
class Survey:
    """What one module declares about routing, for every scope of it."""

    ctx: ModuleContext
    envs: dict[tuple[Scope, ...], dict[str, Site]] = field(default_factory=dict)
    values: dict[Site, cst.BaseExpression | cst.FunctionDef | cst.ClassDef] = field(default_factory=dict)
    """The value assigned at a site (a constructor call, a list of routes), or the def/class node."""
    resolved: dict[Site, str] = field(default_factory=dict)
    """The qualified class a site's constructor call resolves to."""
    edges: dict[Site, list[tuple[Site | None, Parts]]] = field(default_factory=dict)
    """Where a router, app or list is served from: (the including one, or None for the root; prefix)."""
    tables: list[tuple[Site | None, TableRoute]] = field(default_factory=list)
    _positions: Mapping[cst.CSTNode, CodeRange] | None = None

    # -- questions the pack asks -------------------------------------------------------------------
    def site(self, scope: tuple[Scope, ...], name: str) -> Site | None:
        for depth in range(len(scope), -1, -1):
            env = self.envs.get(scope[:depth])
            if env is not None:
                return env.get(name)
        return None

    def served(self, site: Site | None, seen: frozenset[Site] = frozenset()) -> list[Parts]:
        """Every prefix a site's routes are served under (one per chain of includes and mounts)."""
        if site is None or site in seen or not self.edges.get(site):
            return [()]
        prefixes: list[Parts] = []
        for parent, parts in self.edges[site]:
            prefixes.extend(outer + parts for outer in self.served(parent, seen | {site}))
        return prefixes[:MAX_PREFIXES]

    def own_prefix(self, site: Site | None) -> Part:
        """`APIRouter(prefix="/items")`: what the router puts before each of its paths."""
        value = self.values.get(site) if site is not None else None
        if site is None or self.resolved.get(site) not in FASTAPI_APPS or not isinstance(value, cst.Call):
            return ("", True)
        return path_part(self.ctx, argument(value, None, "prefix"))

    def line(self, node: cst.CSTNode) -> int:
        """A node's first line (a def's is its keyword line), from libcst positions made on first use."""
        if self._positions is None:
            wrapper = MetadataWrapper(self.ctx.code, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions[node].start.line

    def handler(self, scope: tuple[Scope, ...], endpoint: cst.BaseExpression) -> cst.FunctionDef | cst.ClassDef | None:
        """The def or class of an endpoint written as a name, or `Class.method`, in this module."""
        if isinstance(endpoint, cst.Name):
            found = self.values.get(self.site(scope, endpoint.value) or ((), ""))
            return found if isinstance(found, (cst.FunctionDef, cst.ClassDef)) else None
        if isinstance(endpoint, cst.Attribute) and isinstance(endpoint.value, cst.Name):
            owner = self.handler(scope, endpoint.value)
            if isinstance(owner, cst.ClassDef):
                for statement in suite_statements(owner.body):
                    if isinstance(statement, cst.FunctionDef) and statement.name.value == endpoint.attr.value:
                        return statement
        return None

    def handler_line(self, scope: tuple[Scope, ...], endpoint: cst.BaseExpression | None, line: int) -> int | None:
        found = self.handler(scope, endpoint) if endpoint is not None else None
        if found is None:
            return None
        handler_line = self.line(found)
        return handler_line if handler_line != line else None

    def endpoint_methods(self, scope: tuple[Scope, ...], endpoint: cst.BaseExpression | None) -> list[str]:
        """What a Route with no `methods` serves: GET for a function, the verbs of an endpoint class."""
        found = self.handler(scope, endpoint) if endpoint is not None else None
        if not isinstance(found, cst.ClassDef):
            return ["GET"]
        return [
            statement.name.value.upper()
            for statement in suite_statements(found.body)
            if isinstance(statement, cst.FunctionDef) and statement.name.value in HTTP_VERBS
        ]

    # -- the table routes, as facts ----------------------------------------------------------------
    def table_facts(self, extractor: Extractor) -> Iterator[Fact]:
        for owner, route in self.tables:
            call = route.entry
            path = argument(call, 0, "path")
            endpoint = argument(call, 1, "endpoint")
            written = self.ctx.source_of(endpoint) if endpoint is not None else ""
            line = self.line(call)
            if route.websocket:
                methods: list[str] = []
            else:
                methods = given_methods(call) or self.endpoint_methods(route.scope, endpoint)
                if "GET" in methods and not route.fastapi:
                    methods = sorted({*methods, "HEAD"})
            for prefix in self.served(owner):
                full, literal = join_route((*prefix, *route.parts, path_part(self.ctx, path)))
                yield extractor.make(
                    "route",
                    endpoint_name(written),
                    written,
                    line,
                    line,
                    methods=methods,
                    route=full,
                    route_is_literal=literal,
                    function=written,
                    router=route.router,
                    framework=route.framework,
                    handler_line=self.handler_line(route.scope, endpoint, line),
                    websocket=route.websocket,
                )


def given_methods(call: cst.Call) -> list[str] | None:
    """`methods=[...]` as literals, upper-cased and sorted; None when not given or not literal."""
    given = argument(call, None, "methods")
    if isinstance(given, (cst.List, cst.Tuple, cst.Set)):
        methods = [literal_string(element.value) for element in given.elements]
        return sorted({method.upper() for method in methods if method})
    return None


def imports_asgi(ctx: ModuleContext) -> bool:
    return any(target.startswith(("starlette", "fastapi")) for target in ctx.imports.values())


STATE_KEY = "asgi_survey"


def survey_of(extractor: Extractor, force: bool = False) -> Survey | None:
    """The module's survey: made (and its table routes emitted) at the first hook of a module that
    imports starlette or fastapi, or when a route is found in one that does not (`force`)."""
    state = extractor.state
    known = state.get(STATE_KEY)
    if isinstance(known, Survey):
        return known
    if known is False and not force:
        return None
    if not force and not imports_asgi(extractor.ctx):
        state[STATE_KEY] = False
        return None
    survey = _Surveyor(extractor.ctx).run()
    state[STATE_KEY] = survey
    for fact in survey.table_facts(extractor):
        extractor.emit(fact)
    return survey


class _Surveyor:
    def __init__(self, ctx: ModuleContext) -> None:
        own = ModuleContext(ctx.module, ctx.is_package, ctx.path, ctx.code)
        own.collect(ctx.code.body)
        self.survey = Survey(own)
        self.ctx = own
        self.deep = any(target in TABLE_NAMES for target in own.imports.values())
        """Whether tables may hide anywhere in a statement (`TestClient(Starlette(routes=[...]))`)."""

    def run(self) -> Survey:
        body = self.ctx.code.body
        self.survey.envs[()] = self.bind(body, (), {})
        self.walk(body, ())
        return self.survey

    # -- names ---------------------------------------------------------------------------------------
    def bind(
        self, statements: Sequence[cst.CSTNode], scope: tuple[Scope, ...], outer: dict[str, Site]
    ) -> dict[str, Site]:
        env = dict(outer)
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self.bind_small(small, scope, env)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                site = (scope, statement.name.value)
                env[statement.name.value] = site
                self.survey.values[site] = statement
            elif isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
                for block in blocks(statement):
                    env.update(self.bind(block, scope, env))
        return env

    def bind_small(self, small: cst.BaseSmallStatement, scope: tuple[Scope, ...], env: dict[str, Site]) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
            for alias in small.names:
                local = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                env[local] = (scope, local)
                self.survey.values.pop((scope, local), None)
            return
        assigned = _assigned(small)
        if assigned is None:
            return
        name, value = assigned
        site = (scope, name)
        env[name] = site
        self.survey.values[site] = value
        if isinstance(value, cst.Call):
            resolved = self.ctx.resolve(value.func)
            if resolved is not None:
                self.survey.resolved[site] = resolved

    # -- the walk ------------------------------------------------------------------------------------
    def walk(self, statements: Sequence[cst.CSTNode], scope: tuple[Scope, ...]) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self.statement(small, scope)
            elif isinstance(statement, cst.FunctionDef):
                inner = (*scope, Scope(statement.name.value, is_class=False))
                body = suite_statements(statement.body)
                self.survey.envs[inner] = self.bind(body, inner, self.env(scope))
                local = self.ctx.enter(body)
                try:
                    self.walk(body, inner)
                finally:
                    self.ctx.leave(local)
            elif isinstance(statement, cst.ClassDef):
                self.walk(suite_statements(statement.body), (*scope, Scope(statement.name.value, is_class=True)))
            else:
                self.statement(statement, scope)
                for block in blocks(statement):
                    self.walk(block, scope)

    def env(self, scope: tuple[Scope, ...]) -> dict[str, Site]:
        for depth in range(len(scope), -1, -1):
            env = self.survey.envs.get(scope[:depth])
            if env is not None:
                return env
        return {}

    def statement(self, node: cst.CSTNode, scope: tuple[Scope, ...]) -> None:
        """Tables and includes in a statement's expressions (a compound statement's header only)."""
        assigned = _assigned(node)
        owner = self.survey.site(scope, assigned[0]) if assigned is not None else None
        if assigned is not None and isinstance(assigned[1], (cst.List, cst.Tuple)):
            # `routes = [Route(...), ...]`: its routes are the list's; where it is used adds the prefix
            table = assigned[1]
            if owner is not None and any(self.entry_kind(element.value) for element in table.elements):
                self.expand(owner, table, (), scope, owner[1], "starlette")
            return
        value = assigned[1] if assigned is not None else None
        if self.deep:
            _search_calls(node, _Calls(self, scope, owner, value).visit_Call)
            return
        # a module that imports nothing of starlette: only `app = FastAPI(routes=...)` and includes,
        # read without visiting every expression (which costs about half a parse)
        if value is None and isinstance(node, cst.Expr):
            value = node.value.expression if isinstance(node.value, cst.Await) else node.value
        if isinstance(value, cst.Call):
            _Calls(self, scope, owner, value).visit_Call(value)

    def site_of(self, scope: tuple[Scope, ...], node: cst.BaseExpression | None) -> Site | None:
        return self.survey.site(scope, node.value) if isinstance(node, cst.Name) else None

    def include(self, call: cst.Call, scope: tuple[Scope, ...]) -> None:
        """`app.include_router(router, prefix=...)`, `app.mount(path, sub_app)`, `app.host(host, sub_app)`."""
        assert isinstance(call.func, cst.Attribute)
        method = call.func.attr.value
        parent = self.site_of(scope, call.func.value)
        if method == "include_router":
            child, prefix = argument(call, 0, "router"), path_part(self.ctx, argument(call, None, "prefix"))
        elif method == "mount":
            child, prefix = argument(call, 1, "app"), mount_path(path_part(self.ctx, argument(call, 0, "path")))
        else:
            child, prefix = argument(call, 1, "app"), ("", True)
        child_site = self.site_of(scope, child)
        if child_site is not None and child_site != parent:
            self.survey.edges.setdefault(child_site, []).append((parent, (prefix,)))

    def entry_kind(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Call):
            return None
        resolved = self.ctx.resolve(node.func)
        return resolved if resolved in ENTRIES or resolved in APPS else None

    def table(self, call: cst.Call, resolved: str, scope: tuple[Scope, ...], owner: Site | None) -> None:
        """`Starlette(routes=...)`, `Router([...])`, `APIRouter(routes=...)`: the routes it serves."""
        routes = argument(call, ROUTES_POSITION.get(resolved), "routes")
        framework = "fastapi" if resolved in FASTAPI_APPS else "starlette"
        router = owner[1] if owner is not None else self.ctx.source_of(call.func)
        if routes is not None:
            self.expand(owner, routes, (), scope, router, framework)

    def expand(
        self,
        owner: Site | None,
        routes: cst.BaseExpression,
        parts: Parts,
        scope: tuple[Scope, ...],
        router: str,
        framework: str,
    ) -> None:
        """Record the routes of a table under `owner` at `parts`; a named list or app is an edge."""
        if isinstance(routes, cst.Name):
            site = self.survey.site(scope, routes.value)
            if site is not None and site != owner:
                self.survey.edges.setdefault(site, []).append((owner, parts))
            return
        if not isinstance(routes, (cst.List, cst.Tuple)):
            return
        for element in routes.elements:
            if isinstance(element, cst.StarredElement):
                self.expand(owner, element.value, parts, scope, router, framework)
                continue
            entry = element.value
            kind = self.entry_kind(entry)
            if kind is None or not isinstance(entry, cst.Call):
                continue
            if kind in ROUTE or kind in WEBSOCKET:
                is_fastapi = kind.startswith("fastapi.")
                table_route = TableRoute(
                    entry, parts, scope, kind in WEBSOCKET, is_fastapi, "fastapi" if is_fastapi else framework, router
                )
                self.survey.tables.append((owner, table_route))
            elif kind in MOUNT or kind in HOST:
                inner = parts
                if kind in MOUNT:
                    inner = (*parts, mount_path(path_part(self.ctx, argument(entry, 0, "path"))))
                given = argument(entry, 2, "routes") if kind in MOUNT else None
                if given is None:
                    given = argument(entry, None, "routes")
                app = argument(entry, 1, "app")
                if given is not None:
                    self.expand(owner, given, inner, scope, router, framework)
                elif isinstance(app, cst.Call):
                    resolved = self.ctx.resolve(app.func)
                    if resolved in APPS:
                        nested = argument(app, ROUTES_POSITION.get(resolved), "routes")
                        nested_framework = "fastapi" if resolved in FASTAPI_APPS else "starlette"
                        if nested is not None:
                            self.expand(owner, nested, inner, scope, router, nested_framework)
                elif app is not None:
                    self.expand(owner, app, inner, scope, router, framework)


def _assigned(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """`name = value` (or `name: T = value`): the name and the value."""
    target: cst.BaseExpression | None = None
    value: cst.BaseExpression | None = None
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        target, value = node.targets[0].target, node.value
    elif isinstance(node, cst.AnnAssign):
        target, value = node.target, node.value
    if isinstance(target, cst.Name) and value is not None:
        return target.value, value
    return None


def mount_path(part: Part) -> Part:
    """Starlette strips a mount path's trailing `/` (`Mount("/", ...)` adds nothing)."""
    text, literal = part
    return (text.rstrip("/"), True) if literal else part


_NOT_SEARCHED = (
    cst.IndentedBlock,
    cst.SimpleStatementSuite,
    cst.Lambda,
    cst.FunctionDef,
    cst.ClassDef,
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Name,
    cst.SimpleString,
    cst.Integer,
)


def _search_calls(statement: cst.CSTNode, on_call: Callable[[cst.Call], bool]) -> None:
    """Hand each call of a statement to `on_call`, outermost first, looking inside it when it answers
    True; nested bodies and lambdas are left out. A walk over the nodes' fields: libcst's visitor,
    which rebuilds every node it passes, costs several times more."""
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and not on_call(node):
            continue
        children: list[cst.CSTNode] = []
        for item in fields(node):
            value = getattr(node, item.name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(child for child in value if isinstance(child, cst.CSTNode))
        stack.extend(child for child in reversed(children) if not isinstance(child, _NOT_SEARCHED))


class _Calls:
    """The tables and includes inside one statement; nested bodies are walked on their own."""

    def __init__(self, surveyor: _Surveyor, scope: tuple[Scope, ...], owner: Site | None, owned: object) -> None:
        self.surveyor = surveyor
        self.scope = scope
        self.owner = owner
        self.owned = owned

    def visit_Call(self, node: cst.Call) -> bool:
        surveyor = self.surveyor
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("include_router", "mount", "host"):
            surveyor.include(node, self.scope)
            return True
        resolved = surveyor.ctx.resolve(node.func)
        if resolved in APPS:
            surveyor.table(node, resolved, self.scope, self.owner if node is self.owned else None)
            return False
        return True
