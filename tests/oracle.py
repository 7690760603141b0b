"""An independent oracle for the miner, built on nothing but CPython's `ast`.

It shares no code with `curate`, `sources` or `schemas`, so that the miner (libcst, its own import
tables, linking over stored facts) can be checked against a second reading of the same folder:

- async functions: every `async def`, methods and nested ones included;
- classes: every `class`, nested ones included;
- pytest fixtures: defs decorated with `pytest.fixture`, `_pytest.fixtures.fixture` or
  `pytest_asyncio.fixture` (called or not, through any import or alias);
- FastAPI routes: `@X.get(...)` and the other verbs, `@X.api_route(..., methods=[...])` and
  `X.add_api_route(path, endpoint, ...)` statements, where `X` is a module-level `FastAPI()` /
  `APIRouter()`, possibly imported from another module of the project (re-exports followed); the
  path starts with the router's literal `prefix=` (includes are left to tests/route_oracle_asgi.py).

Lines are what `ast` reports as `lineno` (the `def`/`class` keyword line; a call statement's first
line). Paths are relative to the root, `/`-separated; modules are named by climbing folders while
they hold an `__init__.py`, never above the root (a root that is a package itself names its modules).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

FIXTURE_FACTORIES = frozenset({"pytest.fixture", "_pytest.fixtures.fixture", "pytest_asyncio.fixture"})
APP_TYPES = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.applications.FastAPI", "fastapi.routing.APIRouter"}
)
VERBS = frozenset({"get", "post", "put", "delete", "patch", "options", "head", "trace"})
SKIPPED_DIRS = frozenset({"__pycache__", ".git"})
MAX_HOPS = 50

Symbol = tuple[str, int, str]
"""(path, line, name)"""
FixtureRow = tuple[str, int, str, str]
"""(path, line, name, scope)"""
RouteRow = tuple[str, int, str, str, tuple[str, ...]]
"""(path, line, name, route, methods)"""


# -- what a name can be worth ---------------------------------------------------------------------
@dataclass(frozen=True)
class Module:
    name: str


@dataclass(frozen=True)
class External:
    """Something inside a module that is not part of the project, known only by its dotted name."""

    dotted: str


@dataclass(frozen=True)
class Instance:
    of: str
    """Dotted name of the (external) class called to make it."""


@dataclass(frozen=True)
class Opaque:
    """A function, a class of the project, a computed value: nothing the oracle needs to follow."""


Value = Module | External | Instance | Opaque
OPAQUE = Opaque()


@dataclass(frozen=True)
class ImportedModule:
    module: str


@dataclass(frozen=True)
class ImportedName:
    module: str
    name: str


@dataclass(frozen=True)
class Constructed:
    func: ast.expr
    prefix: str = ""
    """The literal `prefix=` of the call (`APIRouter(prefix="/items")`): its routes' paths start with it."""


Binding = ImportedModule | ImportedName | Constructed | Opaque | External


@dataclass
class ParsedModule:
    path: str
    name: str
    is_package: bool
    tree: ast.Module
    namespace: dict[str, Binding] = field(default_factory=dict)


@dataclass
class Truth:
    files: set[str] = field(default_factory=set)
    """Every `.py` file seen."""
    parsed: set[str] = field(default_factory=set)
    """The files `ast` could parse; every set below comes from these only."""
    async_functions: set[Symbol] = field(default_factory=set)
    classes: set[Symbol] = field(default_factory=set)
    fixtures: set[FixtureRow] = field(default_factory=set)
    routes: set[RouteRow] = field(default_factory=set)

    def restricted(self, paths: Iterable[str]) -> Truth:
        keep = set(paths)
        return Truth(
            files=self.files & keep,
            parsed=self.parsed & keep,
            async_functions={row for row in self.async_functions if row[0] in keep},
            classes={row for row in self.classes if row[0] in keep},
            fixtures={row for row in self.fixtures if row[0] in keep},
            routes={row for row in self.routes if row[0] in keep},
        )


# -- reading the folder ---------------------------------------------------------------------------
def python_files(root: str, skip_dirs: Iterable[str] = ()) -> Iterator[str]:
    """Relative `/`-separated paths of the `.py` files under root, links never followed."""
    skipped = SKIPPED_DIRS | frozenset(skip_dirs)
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in skipped and not os.path.islink(os.path.join(folder, d)))
        relative = os.path.relpath(folder, root)
        for name in sorted(names):
            if name.endswith(".py") and not os.path.islink(os.path.join(folder, name)):
                path = name if relative == "." else f"{relative}/{name}"
                yield path.replace(os.sep, "/")


def module_name(root: str, path: str) -> tuple[str, bool]:
    folder, _, filename = path.rpartition("/")
    stem = filename[: -len(".py")]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while folder and os.path.isfile(os.path.join(root, folder, "__init__.py")):
        folder, _, name = folder.rpartition("/")
        parts.insert(0, name)
    if not folder and os.path.isfile(os.path.join(root, "__init__.py")):
        parts.insert(0, os.path.basename(os.path.abspath(root)))  # the mined folder is a package itself
    return ".".join(parts), is_package


@dataclass(frozen=True)
class SourceFile:
    path: str
    data: bytes
    tree: ast.Module | None
    """None where `ast` cannot parse the file."""
    name: str
    is_package: bool


def source_files(root: str, skip_dirs: Iterable[str] = ()) -> Iterator[SourceFile]:
    """Every `.py` file under root (as `python_files` lists them), read and parsed: what each oracle
    starts from."""
    for path in python_files(root, skip_dirs):
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read()
        yield SourceFile(path, data, parse(data), *module_name(root, path))


def parse(data: bytes) -> ast.Module | None:
    try:
        return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# -- names ----------------------------------------------------------------------------------------
def absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The module `from <level dots><target> import ...` refers to, inside `module` (PEP 328)."""
    if level == 0:
        return target or ""
    package = [part for part in module.split(".") if part]
    if not is_package:
        package = package[:-1]
    base = package[: max(len(package) - (level - 1), 0)]
    return ".".join([*base, target] if target else base)


def module_level_statements(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time, in order, looking inside if/try/with blocks."""
    for statement in statements:
        yield statement
        if isinstance(statement, ast.If):
            yield from module_level_statements(statement.body)
            yield from module_level_statements(statement.orelse)
        elif isinstance(statement, ast.With):
            yield from module_level_statements(statement.body)
        elif isinstance(statement, (ast.Try, ast.TryStar)):
            yield from module_level_statements(statement.body)
            for handler in statement.handlers:
                yield from module_level_statements(handler.body)
            yield from module_level_statements(statement.orelse)
            yield from module_level_statements(statement.finalbody)


def namespace_of(module: ParsedModule) -> dict[str, Binding]:
    names: dict[str, Binding] = {}
    for statement in module_level_statements(module.tree.body):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname is not None:
                    names[alias.asname] = ImportedModule(alias.name)
                else:
                    head = alias.name.split(".")[0]
                    names[head] = ImportedModule(head)
        elif isinstance(statement, ast.ImportFrom):
            source = absolute(module.name, module.is_package, statement.level, statement.module)
            for alias in statement.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = ImportedName(source, alias.name)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # A definition is the object named by its dotted path (`_pytest.fixtures.fixture`).
            names[statement.name] = External(f"{module.name}.{statement.name}" if module.name else statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            value = statement.value
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = (
                        Constructed(value.func, string(keyword(value, "prefix")) or "")
                        if isinstance(value, ast.Call)
                        else OPAQUE
                    )
    return names


class Project:
    """Every parsed module of the root, and name resolution across them."""

    def __init__(self, modules: list[ParsedModule]) -> None:
        self.modules = {module.name: module for module in modules}
        for module in modules:
            module.namespace = namespace_of(module)

    def lookup(self, module: str, name: str, hops: int = 0) -> Value:
        """What `from module import name` binds."""
        if hops > MAX_HOPS:
            return OPAQUE
        defined = self.modules.get(module)
        if defined is None:
            if any(known.startswith(f"{module}.") for known in self.modules):
                return Module(f"{module}.{name}") if f"{module}.{name}" in self.modules else OPAQUE
            return External(f"{module}.{name}" if module else name)
        binding = defined.namespace.get(name)
        if binding is None:
            submodule = f"{module}.{name}" if module else name
            return Module(submodule) if submodule in self.modules else OPAQUE
        return self.bound(defined, binding, hops + 1)

    def bound(self, module: ParsedModule, binding: Binding, hops: int) -> Value:
        if isinstance(binding, ImportedModule):
            return Module(binding.module)
        if isinstance(binding, ImportedName):
            return self.lookup(binding.module, binding.name, hops)
        if isinstance(binding, External):
            return binding
        if isinstance(binding, Constructed):
            made = self.evaluate(module, binding.func, hops)
            return Instance(made.dotted) if isinstance(made, External) else OPAQUE
        return OPAQUE

    def evaluate(self, module: ParsedModule, node: ast.expr, hops: int = 0) -> Value:
        """What a dotted expression means at module level."""
        if hops > MAX_HOPS:
            return OPAQUE
        if isinstance(node, ast.Name):
            binding = module.namespace.get(node.id)
            return OPAQUE if binding is None else self.bound(module, binding, hops + 1)
        if isinstance(node, ast.Attribute):
            base = self.evaluate(module, node.value, hops + 1)
            if isinstance(base, Module):
                return self.lookup(base.name, node.attr, hops + 1)
            if isinstance(base, External):
                return External(f"{base.dotted}.{node.attr}")
        return OPAQUE


# -- facts ----------------------------------------------------------------------------------------
def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for given in call.keywords:
        if given.arg == name:
            return given.value
    return None


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    given = keyword(call, name)
    if given is not None:
        return given
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return positional[position] if position < len(positional) else None


def string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def text(node: ast.expr) -> str:
    literal = string(node)
    return literal if literal is not None else ast.unparse(node)


def is_fixture_factory(project: Project, module: ParsedModule, node: ast.expr) -> bool:
    value = project.evaluate(module, node)
    return isinstance(value, External) and value.dotted in FIXTURE_FACTORIES


def is_app(project: Project, module: ParsedModule, node: ast.expr) -> bool:
    value = project.evaluate(module, node)
    return isinstance(value, Instance) and value.of in APP_TYPES


def fixture_of(
    project: Project, module: ParsedModule, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> FixtureRow | None:
    for decorator in function.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        if not is_fixture_factory(project, module, call.func if call is not None else decorator):
            continue
        name = function.name
        scope = "function"
        if call is not None:
            name = string(keyword(call, "name")) or name
            given_scope = keyword(call, "scope")
            if given_scope is not None:
                scope = text(given_scope)
        return (module.path, function.lineno, name, scope)
    return None


def methods_of(call: ast.Call, verb: str) -> tuple[str, ...]:
    if verb in VERBS:
        return (verb.upper(),)
    given = keyword(call, "methods")
    if isinstance(given, (ast.List, ast.Tuple, ast.Set)):
        return tuple(sorted({method.upper() for method in map(string, given.elts) if method}))
    return ("GET",)


def route_of(call: ast.Call, prefix: str = "") -> str:
    path = argument(call, 0, "path")
    if path is None:
        return prefix
    literal = string(path)
    return prefix + literal if literal is not None else (f'"{prefix}" + ' if prefix else "") + text(path)


def prefix_of(project: Project, module: ParsedModule, node: ast.expr, hops: int = 0) -> str:
    """The literal prefix of the router a receiver names, following imports across the project."""
    if hops > MAX_HOPS:
        return ""
    if isinstance(node, ast.Attribute):
        base = project.evaluate(module, node.value)
        if isinstance(base, Module) and base.name in project.modules:
            return prefix_of(project, project.modules[base.name], ast.Name(node.attr), hops + 1)
        return ""
    binding = module.namespace.get(node.id) if isinstance(node, ast.Name) else None
    if isinstance(binding, Constructed):
        return binding.prefix
    if isinstance(binding, ImportedName) and binding.module in project.modules:
        return prefix_of(project, project.modules[binding.module], ast.Name(binding.name), hops + 1)
    return ""


def routes_of_function(
    project: Project, module: ParsedModule, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> Iterator[RouteRow]:
    for decorator in function.decorator_list:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            continue
        verb = decorator.func.attr
        if (verb in VERBS or verb == "api_route") and is_app(project, module, decorator.func.value):
            route = route_of(decorator, prefix_of(project, module, decorator.func.value))
            yield (module.path, function.lineno, function.name, route, methods_of(decorator, verb))


def route_of_statement(project: Project, module: ParsedModule, statement: ast.stmt) -> RouteRow | None:
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return None
    if value.func.attr != "add_api_route" or not is_app(project, module, value.func.value):
        return None
    endpoint = argument(value, 1, "endpoint")
    if isinstance(endpoint, ast.Attribute):
        name = endpoint.attr
    elif isinstance(endpoint, ast.Name):
        name = endpoint.id
    else:
        name = "" if endpoint is None else ast.unparse(endpoint)
    route = route_of(value, prefix_of(project, module, value.func.value))
    return (module.path, statement.lineno, name, route, methods_of(value, "api_route"))


def collect(project: Project, module: ParsedModule, truth: Truth) -> None:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ClassDef):
            truth.classes.add((module.path, node.lineno, node.name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if isinstance(node, ast.AsyncFunctionDef):
                truth.async_functions.add((module.path, node.lineno, node.name))
            fixture = fixture_of(project, module, node)
            if fixture is not None:
                truth.fixtures.add(fixture)
            truth.routes.update(routes_of_function(project, module, node))
        elif isinstance(node, ast.stmt):
            route = route_of_statement(project, module, node)
            if route is not None:
                truth.routes.add(route)


def oracle(root: str, skip_dirs: Iterable[str] = ()) -> Truth:
    """What `ast` says the miner should find under root."""
    truth = Truth()
    modules: list[ParsedModule] = []
    for source in source_files(root, skip_dirs):
        truth.files.add(source.path)
        if source.tree is None:
            continue
        truth.parsed.add(source.path)
        modules.append(ParsedModule(source.path, source.name, source.is_package, source.tree))
    project = Project(modules)
    for module in modules:
        collect(project, module, truth)
    return truth
