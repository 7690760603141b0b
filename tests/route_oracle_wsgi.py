"""An independent oracle for Flask and Django routes, on nothing but CPython's `ast` (and the folder
walking of `tests/oracle.py`): it shares no code with `curate`, `sources` or `schemas`.

Flask: `@X.route(rule, methods=[...])` and `@X.get/post/put/delete/patch(rule)` on a def, and
`X.add_url_rule(rule, endpoint, view_func, methods=...)` statements, where `X` is bound to `Flask(...)`
or `Blueprint(...)` (or a project subclass) in the def's scope or an enclosing one (function bodies
included), or imported from another module of the project. A blueprint's routes are served under each
`register_blueprint(bp, url_prefix=...)` (any receiver, any scope), else under its own `url_prefix`.
`view_func=C.as_view(...)` is one route per HTTP-verb method of `C` (and its project bases), else
`C.methods`, else GET. Declared methods only; a `methods` that is not a literal list means all.

Django: the `path()`/`re_path()` entries of module-level lists (assigned, `+=`, `.append`, `.extend`)
of modules importing `django.urls`; `include("dotted")`, `include(module)`, `include(list_name)`,
`include([...])` joined by concatenation (an included regex's `^` dropped); function views answer
every method unless `require_http_methods`/`require_GET`/`require_POST`/`require_safe` decorates them;
a class view is one route per verb method of its class or project bases, else the methods of the
Django generic view it derives from, else every method.

Rows: (path, line, name, route, methods). A decorated route's line is its `def` line; a call's, the
call's first line.
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tests.oracle import absolute, source_files

ALL = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")
VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
FLASK_APPS = {"flask.Flask", "flask.app.Flask", "flask.sansio.app.App"}
FLASK_BLUEPRINTS = {"flask.Blueprint", "flask.blueprints.Blueprint", "flask.sansio.blueprints.Blueprint"}
FLASK_DECORATORS = {"route", "get", "post", "put", "delete", "patch"}
DJANGO_ENTRIES = {"django.urls.path", "django.urls.re_path", "django.conf.urls.url"}
DJANGO_INCLUDE = {"django.urls.include", "django.conf.urls.include"}
DJANGO_REQUIRE = {
    "django.views.decorators.http.require_GET": ("GET",),
    "django.views.decorators.http.require_POST": ("POST",),
    "django.views.decorators.http.require_safe": ("GET", "HEAD"),
}
GENERIC = {
    **dict.fromkeys(("TemplateView", "ListView", "DetailView", "ArchiveIndexView", "DateDetailView"), ("GET",)),
    **dict.fromkeys(("FormView", "CreateView", "UpdateView"), ("GET", "POST", "PUT")),
    "DeleteView": ("DELETE", "GET", "POST"),
    "RedirectView": ALL,
}
Row = tuple[str, int, str, str, tuple[str, ...]]


@dataclass
class Env:
    """The names of one scope: dotted targets of imports, instances (class, key, call), defs, classes."""

    module: str
    qualname: str
    parent: Env | None
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def find(self, name: str) -> tuple[str, ...] | None:
        env: Env | None = self
        while env is not None:
            if name in env.names:
                return env.names[name]
            env = env.parent
        return None

    def key(self, name: str) -> str:
        prefix = f"{self.module}." if self.module else ""
        return f"{prefix}{self.qualname}.{name}" if self.qualname else f"{prefix}{name}"


def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((given.value for given in call.keywords if given.arg == name), None)


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    given = keyword(call, name)
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return given if given is not None else (positional[position] if position < len(positional) else None)


def literal_methods(node: ast.expr | None) -> tuple[str, ...] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        values = [string(element) for element in node.elts]
        if all(value is not None for value in values):
            return tuple(sorted({value.upper() for value in values if value}))
    return None


Part = tuple[str, bool]


def part(node: ast.expr) -> Part:
    literal = string(node)
    return (literal, True) if literal is not None else (ast.unparse(node), False)


def flask_join(prefix: str, rule: str) -> str:
    if not prefix:
        return rule
    return prefix.rstrip("/") + "/" + rule.lstrip("/") if rule else prefix


def django_join(prefix: str, pattern: str) -> str:
    return prefix + (pattern[1:] if prefix and pattern.startswith("^") else pattern)


def join(parts: Iterable[Part], joiner: object) -> str:
    """The documented shape of a full path: literal pieces joined; with an expression among them, a
    `+` expression with the literals double-quoted."""
    assert callable(joiner)
    merged: list[list[object]] = []
    for text, literal in parts:
        if merged and literal and merged[-1][1]:
            merged[-1][0] = joiner(merged[-1][0], text)
        elif literal:
            merged.append([joiner("", text) if not merged else text, True])
        else:
            merged.append([text, False])
    if all(literal for _, literal in merged):
        return "".join(str(text) for text, _ in merged)
    return " + ".join(json.dumps(text) if literal else str(text) for text, literal in merged if text)


def bound_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body that bind its names (looking into if/try/with, not loops or defs)."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.With, ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                yield from bound_statements(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from bound_statements(handler.body)


class Project:
    def __init__(self, root: str, skip_dirs: Iterable[str] = ()) -> None:
        self.modules: dict[str, tuple[str, bool, ast.Module]] = {}
        self.parsed: set[str] = set()
        for source in source_files(root, skip_dirs):
            if source.tree is not None:
                self.parsed.add(source.path)
                self.modules[source.name] = (source.path, source.is_package, source.tree)
        self.top: dict[str, Env] = {
            name: self.env(name, "", None, tree.body) for name, (_, _, tree) in self.modules.items()
        }
        self.classes: dict[str, tuple[ast.ClassDef, Env]] = {}

    def env(self, module: str, qualname: str, parent: Env | None, body: list[ast.stmt]) -> Env:
        env = Env(module, qualname, parent)
        is_package = self.modules[module][1] if module in self.modules else False
        for statement in bound_statements(body):
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    local = alias.asname or alias.name.split(".")[0]
                    env.names[local] = ("import", alias.name if alias.asname else local)
            elif isinstance(statement, ast.ImportFrom):
                source = absolute(module, is_package, statement.level, statement.module)
                for alias in statement.names:
                    env.names[alias.asname or alias.name] = (
                        "import",
                        f"{source}.{alias.name}" if source else alias.name,
                    )
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                env.names[statement.name] = ("def", env.key(statement.name))
            elif isinstance(statement, ast.ClassDef):
                env.names[statement.name] = ("class", env.key(statement.name))
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                if len(targets) == 1 and isinstance(targets[0], ast.Name):
                    name = targets[0].id
                    value = statement.value
                    if isinstance(value, ast.Call) and dotted(value.func) is not None:
                        given = keyword(value, "url_prefix")
                        prefix = "" if given is None else repr(part(given))
                        env.names[name] = ("instance", dotted(value.func) or "", env.key(name), prefix)
                    else:
                        env.names[name] = ("value", env.key(name))
        return env

    def resolve(self, env: Env, written: str, hops: int = 0) -> str:
        """The project-wide dotted name of a dotted expression, following imports and re-exports."""
        head, _, rest = written.partition(".")
        found = env.find(head)
        if found is None:
            base = env.key(head) if not env.qualname else head
        elif found[0] == "import":
            base = self.follow(found[1], hops)
        else:
            base = found[-1] if found[0] != "instance" else found[2]
        return f"{base}.{rest}" if rest else base

    def follow(self, name: str, hops: int = 0) -> str:
        """`pkg.app` re-exported from `pkg.main`: the defining name."""
        module, _, attr = name.rpartition(".")
        if hops > 20 or module not in self.top or not attr:
            return name
        found = self.top[module].names.get(attr)
        if found is None:
            return name
        if found[0] == "import":
            return self.follow(found[1], hops + 1)
        return found[-1] if found[0] != "instance" else found[2]

    def instance_of(self, env: Env, written: str) -> str | None:
        """The class a name is an instance of (an imported instance followed to its module)."""
        head = written.split(".", maxsplit=1)[0]
        found = env.find(head)
        if found is not None and found[0] == "instance" and "." not in written:
            return self.resolve(self.scope_of(env, head), found[1])
        if (found is not None and found[0] == "import") or "." in written:
            target = self.resolve(env, written)
            module, _, attr = target.rpartition(".")
            top = self.top.get(module)
            bound = top.names.get(attr) if top is not None else None
            if bound is not None and bound[0] == "instance":
                return self.resolve(top, bound[1])  # type: ignore[arg-type]
        return None

    def scope_of(self, env: Env, name: str) -> Env:
        found: Env | None = env
        while found is not None and name not in found.names:
            found = found.parent
        return found or env

    def subclass_of(self, name: str, bases: set[str], depth: int = 0) -> bool:
        if name in bases:
            return True
        found = self.classes.get(name)
        if found is None or depth > 20:
            return False
        node, env = found
        return any(self.subclass_of(self.resolve(env, dotted(base) or ""), bases, depth + 1) for base in node.bases)

    def verbs(self, name: str, depth: int = 0) -> tuple[dict[str, int], tuple[str, ...] | None, list[str]]:
        """(verb -> def line, a `methods` list, the names of the bases) along a class and its project bases."""
        found = self.classes.get(name)
        if found is None or depth > 20:
            return {}, None, [name]
        node, env = found
        verbs: dict[str, int] = {}
        methods = None
        for statement in node.body:
            if (
                isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
                and statement.name in VERBS
                and node.bases
            ):
                verbs[statement.name] = statement.lineno
            elif isinstance(statement, ast.Assign) and node.bases:
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id in {"methods", "http_method_names"}:
                        methods = literal_methods(statement.value) or methods
        chain = [name]
        for base in node.bases:
            base_verbs, base_methods, base_chain = self.verbs(self.resolve(env, dotted(base) or ""), depth + 1)
            for verb, line in base_verbs.items():
                verbs.setdefault(verb, line)
            methods = methods or base_methods
            chain.extend(base_chain)
        return verbs, methods, chain


@dataclass
class Site:
    kind: str
    """"route" (a decorator or add_url_rule), "mount" (register_blueprint)."""
    path: str
    line: int
    env: Env
    call: ast.Call
    name: str = ""


def walk(project: Project, module: str, env: Env, body: list[ast.stmt], sites: list[Site]) -> None:
    path = project.modules[module][0]
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in statement.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else None
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(func, ast.Attribute)
                    and func.attr in FLASK_DECORATORS
                ):
                    sites.append(Site("route", path, statement.lineno, env, decorator, statement.name))
            qualname = f"{env.qualname}.{statement.name}.<locals>" if env.qualname else f"{statement.name}.<locals>"
            inner = project.env(module, qualname, env, statement.body)
            walk(project, module, inner, statement.body, sites)
        elif isinstance(statement, ast.ClassDef):
            project.classes[env.key(statement.name)] = (statement, env)
            qualname = f"{env.qualname}.{statement.name}" if env.qualname else statement.name
            walk(project, module, Env(module, qualname, env), statement.body, sites)
        elif isinstance(statement, (ast.Expr, ast.Assign)) and isinstance(statement.value, ast.Call):
            call = statement.value
            if isinstance(call.func, ast.Attribute) and call.func.attr in {"add_url_rule", "register_blueprint"}:
                sites.append(Site(call.func.attr, path, statement.lineno, env, call))
        else:
            for block in ("body", "orelse", "finalbody"):
                walk(project, module, env, getattr(statement, block, []) or [], sites)
            for handler in getattr(statement, "handlers", []):
                walk(project, module, env, handler.body, sites)
            for case in getattr(statement, "cases", []):
                walk(project, module, env, case.body, sites)


def flask_routes(project: Project) -> set[Row]:
    sites: list[Site] = []
    for module in project.modules:
        walk(project, module, project.top[module], project.modules[module][2].body, sites)

    def key_of(env: Env, written: str) -> str:
        found = env.find(written.split(".", maxsplit=1)[0])
        if found is not None and found[0] == "instance" and "." not in written:
            return str(found[2])
        return project.resolve(env, written)

    def kind_of(env: Env, written: str) -> str | None:
        cls = project.instance_of(env, written)
        if cls is None:
            return None
        if project.subclass_of(cls, FLASK_APPS):
            return "app"
        return "blueprint" if project.subclass_of(cls, FLASK_BLUEPRINTS) else None

    own: dict[str, Part] = {}
    for module, top in project.top.items():
        del module
        for found in top.names.values():
            if found[0] == "instance" and found[3]:
                own[str(found[2])] = eval(found[3])
    edges: dict[str, list[tuple[str, Part | None]]] = defaultdict(list)
    rows: list[tuple[Site, str, str, list[tuple[str, tuple[str, ...]]]]] = []
    for site in sites:
        receiver = dotted(site.call.func.value) if isinstance(site.call.func, ast.Attribute) else None
        if receiver is None:
            continue
        if site.kind == "register_blueprint":
            child = argument(site.call, 0, "blueprint")
            if child is not None and dotted(child) is not None:
                given = keyword(site.call, "url_prefix")
                mount = part(given) if given is not None else None
                edges[key_of(site.env, dotted(child) or "")].append((key_of(site.env, receiver), mount))
            continue
        kind = kind_of(site.env, receiver)
        if kind is None:
            continue
        bound = site.env.find(receiver)
        if bound is not None and bound[0] == "instance" and bound[3]:
            own[str(bound[2])] = eval(bound[3])
        rule_node = argument(site.call, 0, "rule")
        verb = site.call.func.attr if isinstance(site.call.func, ast.Attribute) else ""
        given = keyword(site.call, "methods")
        declared: tuple[str, ...] = (
            (verb.upper(),) if verb in VERBS else ("GET",) if given is None else literal_methods(given) or ALL
        )
        handlers: list[tuple[str, tuple[str, ...]]] = [(site.name, declared)]
        if site.kind == "add_url_rule":
            view = argument(site.call, 2, "view_func")
            handlers = [(name_of(view, site.call), declared)]
            view_class = None
            if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
                view_class = dotted(view.func.value)
            elif isinstance(view, ast.Name):
                bound = site.env.find(view.id)
                if bound is not None and bound[0] == "instance" and str(bound[1]).endswith(".as_view"):
                    view_class = str(bound[1])[: -len(".as_view")]
            if view_class is not None:
                cls = project.resolve(project.scope_of(site.env, view_class.split(".")[0]), view_class)
                verbs, methods, _ = project.verbs(cls)
                short = view_class.rsplit(".", 1)[-1]
                if given is not None:
                    handlers = [(short, declared)]
                elif verbs:
                    handlers = [(verb, (verb.upper(),)) for verb in verbs]
                else:
                    handlers = [(short, methods or ("GET",))]
        rows.append((site, key_of(site.env, receiver), kind, handlers))
        site.name = "" if rule_node is None else repr(part(rule_node))

    def chains(key: str, depth: int = 0) -> list[list[Part]]:
        mine = own.get(key)
        if not edges.get(key) or depth > 20:
            return [[mine]] if mine is not None else [[]]
        out: list[list[Part]] = []
        for parent, given in edges[key]:
            effective = given if given is not None else mine
            out.extend(chain + ([effective] if effective is not None else []) for chain in chains(parent, depth + 1))
        return out

    truth: set[Row] = set()
    for site, key, _kind, handlers in rows:
        rule: Part = eval(site.name) if site.name else ("", True)
        for chain in chains(key):
            route = join([*chain, rule], flask_join)
            for name, methods in handlers:
                truth.add((site.path, site.line, name, route, tuple(sorted(methods))))
    return truth


def name_of(view: ast.expr | None, call: ast.Call) -> str:
    if view is None:
        return string(argument(call, 1, "endpoint")) or ""
    if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
        return dotted(view.func.value) or ""
    written = dotted(view)
    return written.rsplit(".", 1)[-1] if written else ast.unparse(view)


def django_routes(project: Project) -> set[Row]:
    """Routes of the module-level URL lists, under every chain of includes."""
    for module in project.modules:
        walk(project, module, project.top[module], project.modules[module][2].body, [])
    lists: dict[str, list[tuple[str, ast.Call, Env]]] = defaultdict(list)
    for module, (path, _, tree) in project.modules.items():
        env = project.top[module]
        if not any(found[0] == "import" and str(found[1]).startswith("django.") for found in env.names.values()):
            continue
        for statement in bound_statements(tree.body):
            target, value = None, None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AugAssign):
                target, value = statement.target, statement.value
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                call = statement.value
                if isinstance(call.func, ast.Attribute) and call.func.attr in {"append", "extend"} and call.args:
                    target = call.func.value
                    value = ast.List([call.args[0]]) if call.func.attr == "append" else call.args[0]
            if isinstance(target, ast.Name) and value is not None:
                for item in items(value):
                    if entry_kind(project, env, item) == "entry":
                        lists[env.key(target.id)].append((path, item, env))  # type: ignore[arg-type]
    includes: dict[str, list[tuple[str, Part]]] = defaultdict(list)
    rows: list[tuple[str, list[Part], str, int, str, tuple[str, ...]]] = []

    def read(key: str, entries: list[tuple[str, ast.Call, Env]], prefix: list[Part]) -> None:
        for path, entry, env in entries:
            view = argument(entry, 1, "view")
            pattern = part(entry.args[0]) if entry.args else ("", True)
            if view is None or (isinstance(view, ast.Attribute) and view.attr == "urls"):
                continue
            target = view
            if entry_kind(project, env, view) == "include":
                target = view.args[0]  # type: ignore[attr-defined]
            if isinstance(target, ast.Tuple):
                target = target.elts[0]
            if target is not view or isinstance(view, ast.Tuple):
                if isinstance(target, ast.List):
                    inner = [(path, item, env) for item in items(target) if entry_kind(project, env, item) == "entry"]
                    read(key, inner, [*prefix, pattern])  # type: ignore[arg-type]
                elif string(target) is not None:
                    includes[str(string(target))].append((key, join([*prefix, pattern], django_join)))  # type: ignore[arg-type]
                elif dotted(target) is not None:
                    includes[project.resolve(env, dotted(target) or "")].append(
                        (key, join([*prefix, pattern], django_join))  # type: ignore[arg-type]
                    )
                continue
            for name, methods in django_handlers(project, env, view):
                rows.append((key, [*prefix, pattern], path, entry.lineno, name, methods))

    for key, entries in lists.items():
        read(key, entries, [])

    def served(key: str, depth: int = 0) -> list[str]:
        found = includes.get(key) or includes.get(key.removesuffix(".urlpatterns")) or []
        if not found or depth > 20:
            return [""]
        return [
            django_join(outer, prefix)
            for parent, (prefix, _) in [(p, (str(q), True)) for p, q in found]
            for outer in served(parent, depth + 1)
        ]

    truth: set[Row] = set()
    for key, parts, path, line, name, methods in rows:
        inner = join(parts, django_join)
        for outer in served(key):
            truth.add((path, line, name, django_join(outer, inner), tuple(sorted(methods))))
    return truth


def items(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, (ast.List, ast.Tuple)):
        yield from node.elts
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from items(node.left)
        yield from items(node.right)


def entry_kind(project: Project, env: Env, node: ast.expr) -> str | None:
    if not isinstance(node, ast.Call) or dotted(node.func) is None:
        return None
    resolved = project.resolve(env, dotted(node.func) or "")
    return "entry" if resolved in DJANGO_ENTRIES else "include" if resolved in DJANGO_INCLUDE else None


def django_handlers(project: Project, env: Env, view: ast.expr) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
        written = dotted(view.func.value) or ""
        verbs, listed, chain = project.verbs(project.resolve(env, written))
        if verbs:
            return [(verb, (verb.upper(),)) for verb in verbs]
        generic = [
            GENERIC[name.rsplit(".", 1)[-1]]
            for name in chain
            if name.startswith("django.views.") and name.rsplit(".", 1)[-1] in GENERIC
        ]
        return [(written.rsplit(".", 1)[-1], listed or (generic[0] if generic else ALL))]
    function = dotted(view)
    if function is None:
        return [(ast.unparse(view), ALL)]
    target = project.resolve(env, function)
    module, _, name = target.rpartition(".")
    methods: tuple[str, ...] = ALL
    if module in project.modules:
        for statement in project.modules[module][2].body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
                for decorator in statement.decorator_list:
                    call = decorator if isinstance(decorator, ast.Call) else None
                    resolved = project.resolve(project.top[module], dotted(call.func if call else decorator) or "")
                    if resolved in DJANGO_REQUIRE:
                        methods = DJANGO_REQUIRE[resolved]
                    elif resolved.endswith("require_http_methods") and call is not None and call.args:
                        methods = literal_methods(call.args[0]) or methods
    return [(function.rsplit(".", 1)[-1], methods)]
