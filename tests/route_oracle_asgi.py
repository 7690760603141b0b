"""An independent oracle for FastAPI and Starlette routes, built on nothing but CPython's `ast`.

It shares no code with `curate`, `sources` or `schemas` (it borrows the file walk, module naming and
cross-module name lookup of `tests/oracle.py`, itself `ast`-only). What it reads as a route:

- in any scope (module, function bodies, class bodies nested in them), names bound by the assignments
  and imports of a body (looking into if/try/with blocks), else by the enclosing bodies, else the
  module's; an app is an instance of `FastAPI`/`APIRouter` (framework "fastapi") or
  `Starlette`/`Router` (framework "starlette");
- decorators `@X.<verb>`, `@X.api_route`, `@X.route`, `@X.websocket`, `@X.websocket_route` (line: the
  `def`); statements `X.add_api_route`, `X.add_route`, `X.add_websocket_route`,
  `X.add_api_websocket_route` (line: the statement's first line; name: the endpoint's last name);
- tables: the `routes` of `Starlette(...)`, `Router(...)`, `FastAPI(...)`, `APIRouter(...)` calls
  anywhere in a statement, and lists assigned to a name that hold route entries: `Route`,
  `WebSocketRoute`, `APIRoute`, `APIWebSocketRoute` (line: the entry's call), `Mount(path, routes=...)`
  and `Mount(path, app=...)` (path joined, trailing `/` dropped), `Host(host, app=...)` (path unchanged);
- prefixes: `APIRouter(prefix=...)`; `X.include_router(R, prefix=...)`, `X.mount(path, A)`, and a named
  app, router or list used in a table or mount, wherever in the project (one row per place served; a
  named list or router included nowhere is served at its own root);
- methods: the verb; else the literal `methods` upper-cased (GET when absent; for a Starlette `Route`
  whose endpoint is a class of the same module, the HTTP verbs its methods are named after); HEAD added
  to GET for Starlette's `Route` (tables, `add_route`, `@route`), not for FastAPI's operations;
  websocket routes: none.

A path that is not all literal is written as the `+` of its parts (literals merged and double-quoted,
other parts as written with whitespace collapsed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tests.oracle import (
    External,
    ImportedName,
    Instance,
    Module,
    ParsedModule,
    Project,
    absolute,
    source_files,
)

FASTAPI_APPS = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.applications.FastAPI", "fastapi.routing.APIRouter"}
)
STARLETTE_APPS = frozenset({"starlette.applications.Starlette", "starlette.routing.Router"})
APPS = FASTAPI_APPS | STARLETTE_APPS
ROUTES_AT = {"starlette.routing.Router": 0, "starlette.applications.Starlette": 1}
ROUTE = {"starlette.routing.Route": "starlette", "fastapi.routing.APIRoute": "fastapi"}
WEBSOCKET = {"starlette.routing.WebSocketRoute": "starlette", "fastapi.routing.APIWebSocketRoute": "fastapi"}
MOUNT = frozenset({"starlette.routing.Mount", "fastapi.routing.Mount"})
HOST = frozenset({"starlette.routing.Host"})
VERBS = ("get", "post", "put", "delete", "patch", "options", "head", "trace")
DECORATORS = frozenset({*VERBS, "api_route", "route", "websocket", "websocket_route"})
CALLS = {"add_api_route": "api_route", "add_route": "route", "add_websocket_route": "websocket"}
CALLS["add_api_websocket_route"] = "websocket"

Piece = tuple[str, bool]
Site = tuple[str, int, str]
"""(module, id of the binding body, name)"""
Env = list[dict[str, tuple[Site, ast.AST]]]
"""The names bound by each enclosing body, innermost last."""
RouteRow = tuple[str, int, str, str, tuple[str, ...]]
"""(path, line, name, route, methods)"""


@dataclass
class Row:
    path: str
    line: int
    name: str
    pieces: tuple[Piece, ...]
    methods: tuple[str, ...]
    framework: str
    site: Site | None
    """The app, router or list the route is served through (its prefixes are added)."""


@dataclass
class Routes:
    files: set[str] = field(default_factory=set)
    parsed: set[str] = field(default_factory=set)
    rows: dict[str, set[RouteRow]] = field(default_factory=lambda: {"fastapi": set(), "starlette": set()})
    across_modules: set[RouteRow] = field(default_factory=set)
    """Rows whose prefix comes from an include or mount in another module."""


def joined(pieces: Iterable[Piece]) -> str:
    merged: list[list[object]] = []
    for text, literal in pieces:
        if literal and not text:
            continue
        if merged and literal and merged[-1][1]:
            merged[-1][0] = f"{merged[-1][0]}{text}"
        else:
            merged.append([text, literal])
    if all(literal for _, literal in merged):
        return "".join(str(text) for text, _ in merged)
    return " + ".join(f'"{text}"' if literal else str(text) for text, literal in merged)


def given(call: ast.Call, position: int | None, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if position is not None and position < len(positional):
        return positional[position]
    return None


class Reader:
    """One module, scope by scope."""

    def __init__(self, project: Project, module: ParsedModule, source: str, out: Oracle) -> None:
        self.project = project
        self.module = module
        self.source = source
        self.out = out

    def written(self, node: ast.AST) -> str:
        return " ".join((ast.get_source_segment(self.source, node) or ast.unparse(node)).split())

    def piece(self, node: ast.expr | None) -> Piece:
        if node is None:
            return ("", True)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return (node.value, True)
        return (self.written(node), False)

    # -- names -------------------------------------------------------------------------------------
    def bindings(self, body: list[ast.stmt], key: int) -> dict[str, tuple[Site, ast.AST]]:
        found: dict[str, tuple[Site, ast.AST]] = {}

        def site(name: str) -> Site:
            return (self.module.name, key, name)

        for statement in body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                for alias in statement.names:
                    if alias.name != "*":
                        local = alias.asname or alias.name.split(".")[0]
                        found[local] = (site(local), statement)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[statement.name] = (site(statement.name), statement)
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                if isinstance(statement.targets[0], ast.Name):
                    found[statement.targets[0].id] = (site(statement.targets[0].id), statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
                found[statement.target.id] = (site(statement.target.id), statement.value)
            elif isinstance(statement, (ast.If, ast.Try, ast.TryStar, ast.With)):
                inner: list[ast.stmt] = list(getattr(statement, "body", []))
                inner += getattr(statement, "orelse", [])
                inner += getattr(statement, "finalbody", [])
                for handler in getattr(statement, "handlers", []):
                    inner += handler.body
                found.update(self.bindings(inner, key))
        return found

    def lookup(self, env: Env, name: str) -> tuple[Site, ast.AST] | None:
        for scope in reversed(env):
            if name in scope:
                return scope[name]
        return None

    def value(self, env: Env, node: ast.expr, depth: int = 0) -> object:
        """What an expression is: Module, External (a dotted name outside), Instance, or None."""
        if depth > 20:
            return None
        if isinstance(node, ast.Name):
            bound = self.lookup(env, node.id)
            if bound is None:
                return None
            _, what = bound
            if isinstance(what, ast.Import):
                for alias in what.names:
                    if (alias.asname or alias.name.split(".")[0]) == node.id:
                        return Module(alias.name if alias.asname else alias.name.split(".")[0])
            if isinstance(what, ast.ImportFrom):
                source = absolute(self.module.name, self.module.is_package, what.level, what.module)
                for alias in what.names:
                    if (alias.asname or alias.name) == node.id:
                        return self.project.lookup(source, alias.name)
            if isinstance(what, ast.Call):
                made = self.value(env, what.func, depth + 1)
                return Instance(made.dotted) if isinstance(made, External) else None
            if isinstance(what, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return External(f"{self.module.name}.{what.name}")
            return None
        if isinstance(node, ast.Attribute):
            base = self.value(env, node.value, depth + 1)
            if isinstance(base, Module):
                if base.name in self.project.modules or any(
                    m.startswith(base.name + ".") for m in self.project.modules
                ):
                    return self.project.lookup(base.name, node.attr)
                return External(f"{base.name}.{node.attr}")
            if isinstance(base, External):
                return External(f"{base.dotted}.{node.attr}")
        return None

    def dotted(self, env: Env, node: ast.expr) -> str | None:
        made = self.value(env, node)
        if isinstance(made, Module):
            return made.name
        return made.dotted if isinstance(made, External) else None

    def app_of(self, env: Env, node: ast.expr) -> tuple[str, Site | None] | None:
        """(the app class, its site) of a receiver that is an app instance."""
        made = self.value(env, node)
        if not isinstance(made, Instance) or made.of not in APPS:
            return None
        site = None
        if isinstance(node, ast.Name):
            bound = self.lookup(env, node.id)
            if bound is not None and isinstance(bound[1], ast.Call):
                site = bound[0]
            elif bound is not None:
                site = self.imported_site(node)
        elif isinstance(node, ast.Attribute):
            site = self.imported_site(node)
        return made.of, site

    def imported_site(self, node: ast.expr) -> Site | None:
        """The module-level site of an app imported from another module of the project."""
        return self.out.module_site(self.project, self.module, node)

    # -- the walk ----------------------------------------------------------------------------------
    def read(self) -> None:
        env = [self.bindings(self.module.tree.body, 0)]
        self.body(self.module.tree.body, env)

    def body(self, statements: list[ast.stmt], env: Env) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.decorated(statement, env)
                inner = [*env, self.bindings(statement.body, id(statement))]
                self.body(statement.body, inner)
                continue
            if isinstance(statement, ast.ClassDef):
                self.body(statement.body, env)
                continue
            self.statement(statement, env)
            for name in ("body", "orelse", "finalbody"):
                children = getattr(statement, name, None)
                if isinstance(children, list) and children and isinstance(children[0], ast.stmt):
                    self.body(children, env)
            for handler in getattr(statement, "handlers", []):
                self.body(handler.body, env)
            for case in getattr(statement, "cases", []):
                self.body(case.body, env)

    def decorated(self, function: ast.FunctionDef | ast.AsyncFunctionDef, env: Env) -> None:
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
                continue
            verb = decorator.func.attr
            app = self.app_of(env, decorator.func.value) if verb in DECORATORS else None
            if app is not None:
                self.operation(function.lineno, function.name, decorator, verb, app)

    def operation(self, line: int, name: str, call: ast.Call, verb: str, app: tuple[str, Site | None]) -> None:
        of, site = app
        if verb in VERBS:
            methods: tuple[str, ...] = (verb.upper(),)
        elif verb in ("websocket", "websocket_route"):
            methods = ()
        else:
            methods = self.methods(call) or ("GET",)
            if verb == "route" and "GET" in methods:
                methods = tuple(sorted({*methods, "HEAD"}))
        framework = "fastapi" if of in FASTAPI_APPS else "starlette"
        pieces = (self.out.own_prefix(site), self.piece(given(call, 0, "path")))
        self.out.pending.append(Row(self.module.path, line, name, pieces, methods, framework, site))

    def methods(self, call: ast.Call) -> tuple[str, ...] | None:
        listed = given(call, None, "methods")
        if isinstance(listed, (ast.List, ast.Tuple, ast.Set)):
            names = [e.value for e in listed.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            return tuple(sorted({name.upper() for name in names if name}))
        return None

    def own_expressions(self, statement: ast.stmt) -> Iterator[ast.AST]:
        """The nodes of a statement outside its nested statements."""
        stack: list[ast.AST] = [statement]
        while stack:
            node = stack.pop()
            yield node
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case, ast.Lambda)):
                    stack.append(child)

    def statement(self, statement: ast.stmt, env: Env) -> None:
        target: Site | None = None
        value = getattr(statement, "value", None)
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            bound = self.lookup(env, statement.targets[0].id)
            target = bound[0] if bound else None
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            bound = self.lookup(env, statement.target.id)
            target = bound[0] if bound else None
        if target is not None and isinstance(value, (ast.List, ast.Tuple)):
            if any(self.entry(env, element) for element in value.elts):
                self.table(env, value, target, (), "starlette", target[2])
            return
        if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)):
            call = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in CALLS:
                app = self.app_of(env, call.func.value)
                if app is not None:
                    endpoint = given(call, 1, "endpoint")
                    name = self.endpoint_name(endpoint)
                    self.operation(statement.lineno, name, call, CALLS[call.func.attr], app)
        skip: set[int] = set()
        for node in self.own_expressions(statement):
            if id(node) in skip or not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("include_router", "mount", "host"):
                self.include(env, node)
            made = self.dotted(env, node.func)
            if made in APPS:
                owner = target if node is value else None
                routes = given(node, ROUTES_AT.get(made), "routes")
                if routes is not None:
                    framework = "fastapi" if made in FASTAPI_APPS else "starlette"
                    self.table(env, routes, owner, (), framework, owner[2] if owner else self.written(node.func))
                skip.update(id(inner) for inner in ast.walk(node))

    def endpoint_name(self, endpoint: ast.expr | None) -> str:
        if endpoint is None:
            return ""
        if isinstance(endpoint, ast.Name):
            return endpoint.id
        written = self.written(endpoint)
        if isinstance(endpoint, ast.Attribute) and all(part.isidentifier() for part in written.split(".")):
            return endpoint.attr
        return written

    def site(self, env: Env, node: ast.expr | None) -> Site | None:
        if isinstance(node, ast.Name):
            bound = self.lookup(env, node.id)
            if bound is not None and not isinstance(bound[1], (ast.Import, ast.ImportFrom)):
                return bound[0]
            return self.imported_site(node)
        if isinstance(node, ast.Attribute):
            return self.imported_site(node)
        return None

    def include(self, env: Env, call: ast.Call) -> None:
        assert isinstance(call.func, ast.Attribute)
        method = call.func.attr
        parent = self.site(env, call.func.value)
        if method == "include_router":
            child, prefix = given(call, 0, "router"), self.piece(given(call, None, "prefix"))
        elif method == "mount":
            if self.app_of(env, call.func.value) is None:
                return
            child, prefix = given(call, 1, "app"), self.mount_piece(given(call, 0, "path"))
        else:
            if self.app_of(env, call.func.value) is None:
                return
            child, prefix = given(call, 1, "app"), ("", True)
        child_site = self.site(env, child)
        if child_site is not None and child_site != parent:
            self.out.edges.setdefault(child_site, []).append((parent, (prefix,), self.module.path))

    def mount_piece(self, node: ast.expr | None) -> Piece:
        text, literal = self.piece(node)
        return (text.rstrip("/"), True) if literal else (text, literal)

    def entry(self, env: Env, node: ast.expr) -> str | None:
        if not isinstance(node, ast.Call):
            return None
        made = self.dotted(env, node.func)
        return made if made in ROUTE or made in WEBSOCKET or made in MOUNT or made in HOST or made in APPS else None

    def table(
        self,
        env: Env,
        routes: ast.expr,
        owner: Site | None,
        pieces: tuple[Piece, ...],
        framework: str,
        router: str,
    ) -> None:
        if isinstance(routes, ast.Name):
            site = self.site(env, routes)
            if site is not None and site != owner:
                self.out.edges.setdefault(site, []).append((owner, pieces, self.module.path))
            return
        if not isinstance(routes, (ast.List, ast.Tuple)):
            return
        for element in routes.elts:
            if isinstance(element, ast.Starred):
                self.table(env, element.value, owner, pieces, framework, router)
                continue
            kind = self.entry(env, element)
            if kind is None or not isinstance(element, ast.Call):
                continue
            if kind in ROUTE or kind in WEBSOCKET:
                self.table_route(env, element, kind, owner, pieces, framework)
            elif kind in MOUNT or kind in HOST:
                inner = (*pieces, self.mount_piece(given(element, 0, "path"))) if kind in MOUNT else pieces
                nested = (given(element, 2, "routes") or given(element, None, "routes")) if kind in MOUNT else None
                app = given(element, 1, "app")
                if nested is not None:
                    self.table(env, nested, owner, inner, framework, router)
                elif isinstance(app, ast.Call) and self.dotted(env, app.func) in APPS:
                    made = self.dotted(env, app.func)
                    assert made is not None
                    nested = given(app, ROUTES_AT.get(made), "routes")
                    if nested is not None:
                        nested_framework = "fastapi" if made in FASTAPI_APPS else "starlette"
                        self.table(env, nested, owner, inner, nested_framework, router)
                elif app is not None:
                    self.table(env, app, owner, inner, framework, router)

    def table_route(
        self,
        env: Env,
        call: ast.Call,
        kind: str,
        owner: Site | None,
        pieces: tuple[Piece, ...],
        framework: str,
    ) -> None:
        endpoint = given(call, 1, "endpoint")
        if kind in WEBSOCKET:
            methods: tuple[str, ...] = ()
        else:
            verbs = self.class_verbs(env, endpoint)
            methods = self.methods(call) or (verbs if verbs is not None else ("GET",))
            if "GET" in methods and ROUTE[kind] == "starlette":
                methods = tuple(sorted({*methods, "HEAD"}))
        if ROUTE.get(kind) == "fastapi" or WEBSOCKET.get(kind) == "fastapi":
            framework = "fastapi"
        row_pieces = (*pieces, self.piece(given(call, 0, "path")))
        name = self.endpoint_name(endpoint)
        self.out.pending.append(Row(self.module.path, call.lineno, name, row_pieces, methods, framework, owner))

    def class_verbs(self, env: Env, endpoint: ast.expr | None) -> tuple[str, ...] | None:
        if not isinstance(endpoint, ast.Name):
            return None
        bound = self.lookup(env, endpoint.id)
        if bound is None or not isinstance(bound[1], ast.ClassDef):
            return None
        names = [
            item.name.upper()
            for item in bound[1].body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in VERBS
        ]
        return tuple(names)


class Oracle:
    def __init__(self) -> None:
        self.pending: list[Row] = []
        self.edges: dict[Site, list[tuple[Site | None, tuple[Piece, ...], str]]] = {}
        self.prefixes: dict[Site, Piece] = {}
        self.site_paths: dict[str, str] = {}

    def module_site(self, project: Project, module: ParsedModule, node: ast.expr) -> Site | None:
        """Follow an imported name to the module-level binding that defines it."""
        if isinstance(node, ast.Name):
            binding = module.namespace.get(node.id)
            hops = 0
            while isinstance(binding, ImportedName) and hops < 20:
                hops += 1
                target = project.modules.get(binding.module)
                if target is None:
                    return None
                name = binding.name
                binding = target.namespace.get(name)
                if binding is not None and not isinstance(binding, ImportedName):
                    return (target.name, 0, name)
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
            base = project.evaluate(module, node.value)
            if isinstance(base, Module) and base.name in project.modules:
                target = project.modules[base.name]
                binding = target.namespace.get(node.attr)
                if isinstance(binding, ImportedName):
                    return self.module_site(project, target, ast.Name(node.attr))
                return (target.name, 0, node.attr) if binding is not None else None
        return None

    def own_prefix(self, site: Site | None) -> Piece:
        return self.prefixes.get(site, ("", True)) if site is not None else ("", True)

    def served(self, site: Site | None, seen: frozenset[Site] = frozenset()) -> list[tuple[tuple[Piece, ...], bool]]:
        """Every prefix of a site, and whether one of its includes is in another module than the route."""
        if site is None or site in seen or not self.edges.get(site):
            return [((), False)]
        out: list[tuple[tuple[Piece, ...], bool]] = []
        for parent, pieces, path in self.edges[site]:
            for outer, crossed in self.served(parent, seen | {site}):
                out.append((outer + pieces, crossed or path != self.site_paths.get(site[0], path)))
        return out[:64]


def routes_oracle(root: str, skip_dirs: Iterable[str] = ()) -> Routes:
    """What `ast` says the FastAPI and Starlette routes under root are."""
    found = Routes()
    modules: list[ParsedModule] = []
    sources: dict[str, str] = {}
    for source in source_files(root, skip_dirs):
        found.files.add(source.path)
        if source.tree is None:
            continue
        found.parsed.add(source.path)
        modules.append(ParsedModule(source.path, source.name, source.is_package, source.tree))
        sources[source.path] = source.data.decode("utf-8", errors="replace")
    project = Project(modules)
    oracle = Oracle()
    oracle.site_paths = {module.name: module.path for module in modules}
    readers = [Reader(project, module, sources[module.path], oracle) for module in modules]
    for reader in readers:  # router prefixes first: a router may be made in another module
        reader_prefixes(reader, oracle)
    for reader in readers:
        reader.read()
    for row in oracle.pending:
        for prefix, crossed in oracle.served(row.site):
            full = joined((*prefix, *row.pieces))
            record = (row.path, row.line, row.name, full, row.methods)
            found.rows[row.framework].add(record)
            if crossed:
                found.across_modules.add(record)
    return found


def reader_prefixes(reader: Reader, oracle: Oracle) -> None:
    """`router = APIRouter(prefix=...)` in every body of a module."""

    def visit(statements: list[ast.stmt], env: Env) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(statement.body, [*env, reader.bindings(statement.body, id(statement))])
                continue
            if isinstance(statement, ast.ClassDef):
                visit(statement.body, env)
                continue
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and isinstance(statement.value, ast.Call):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                if len(targets) == 1 and isinstance(targets[0], ast.Name):
                    bound = reader.lookup(env, targets[0].id)
                    made = reader.dotted(env, statement.value.func)
                    if bound is not None and made in FASTAPI_APPS:
                        oracle.prefixes[bound[0]] = reader.piece(given(statement.value, None, "prefix"))
            for name in ("body", "orelse", "finalbody"):
                children = getattr(statement, name, None)
                if isinstance(children, list) and children and isinstance(children[0], ast.stmt):
                    visit(children, env)
            for handler in getattr(statement, "handlers", []):
                visit(handler.body, env)

    visit(reader.module.tree.body, [reader.bindings(reader.module.tree.body, 0)])
