"""An independent oracle for CLI commands, built on nothing but CPython's `ast` (and the folder
helpers of `tests/oracle.py`): no code of `curate`, `sources` or `schemas`.

It reads Python's own scoping: a name used in a function is the innermost function's that binds it
anywhere in its body (parameters included), else the module's; function bodies see the final
bindings of the scopes around them; class bodies do not enclose. What it counts as a command:

- Click: a def decorated with `click.command(...)` / `click.group(...)` (also `click.decorators.*`,
  through any import or alias): a root; a def decorated with `G.command(...)` / `G.group(...)`
  where `G` is such a group def, a def made a group this way, an instance of `click.Group` /
  `flask.cli.AppGroup` / `flask.cli.FlaskGroup`, or `X.cli` with `X` a name that is not an import,
  in a module that imports flask (Flask's application or blueprint CLI); the call form
  `G.command(...)(f)`.
- Typer: `@T.command(...)` and `T.command(...)(f)` where `T` is a `typer.Typer()` instance.
- The call form counts only with a literal name, or when `f` names a def (else the name is the
  runtime name of whatever `f` holds).

Names: the literal first argument or `name=`, else the function's name, in Typer's way (lowercase,
`_` to `-`) or Click's (the same, and a `_command`/`_cmd`/`_group`/`_grp` suffix dropped).
The full name is the line typed under the root: each command steps up to its group; a group or app
mounted with `P.add_command(C[, name])` / `P.add_typer(C[, name=...])` steps up to `P` under the
given name or its own (a Typer app without a name merges into its parent); a blueprint's `bp.cli`
steps up under its `cli_group=` (none when `cli_group=None`), else the blueprint's name. The root
adds no name, but a root command alone is named by its own name.

Rows: (path, line, full_name, function, framework), the line of the `def` (the statement for the
call form), function the qualname (`make.<locals>.cli`; the expression as written in the call form).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tests.oracle import absolute, source_files

CliRow = tuple[str, int, str, str, str]
"""(path, line, full_name, function, framework)"""

CLICK_DECORATORS = {
    "click.command": False,
    "click.group": True,
    "click.decorators.command": False,
    "click.decorators.group": True,
}
CLICK_GROUPS = frozenset(
    {"click.Group", "click.core.Group", "flask.cli.AppGroup", "flask.cli.FlaskGroup", "flask.FlaskGroup"}
)
TYPERS = frozenset({"typer.Typer", "typer.main.Typer"})
BLUEPRINTS = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint"})
SUFFIXES = frozenset({"command", "cmd", "group", "grp"})
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def typer_style(name: str) -> str:
    return name.lower().replace("_", "-")


def click_style(name: str) -> str:
    words = name.lower().replace("_", "-").split("-")
    if len(words) > 1 and words[-1] in SUFFIXES and words[-2]:
        words = words[:-1]
    return "-".join(words)


def literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def given(call: ast.Call | None, position: int | None, keyword: str) -> ast.expr | None:
    if call is None:
        return None
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if position is not None and position < len(positional):
        return positional[position]
    return None


# -- what a name holds --------------------------------------------------------------------------
@dataclass(frozen=True)
class Imported:
    dotted: str


@dataclass(frozen=True)
class Made:
    """An instance: the dotted name of its class, the call that made it, its key."""

    of: str
    call: ast.Call
    key: str


@dataclass(frozen=True)
class Def:
    node: FunctionNode
    key: str
    scope: Scope


@dataclass(frozen=True)
class Unknown:
    key: str


Value = Imported | Made | Def | Unknown


@dataclass(eq=False)
class Scope:
    module: Module
    parent: Scope | None
    prefix: str
    """The qualname prefix of names bound here: `""`, `make.<locals>.`, `C.`."""
    bound: dict[str, ast.AST] = field(default_factory=dict)

    def key(self, name: str) -> str:
        return f"{self.module.name}.{self.prefix}{name}" if self.module.name else f"{self.prefix}{name}"


@dataclass(eq=False)
class Module:
    path: str
    name: str
    is_package: bool
    tree: ast.Module
    imports_flask: bool = False
    scope: Scope | None = None


def bindings(statements: Iterable[ast.stmt], into: dict[str, ast.AST]) -> None:
    """Every name a block binds (not looking into nested defs and classes), the last one winning."""
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            into[statement.name] = statement
            continue
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name != "*":
                    into[alias.asname or alias.name.split(".")[0]] = alias
            continue
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [statement.target]
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in statement.items if item.optional_vars is not None]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
                    single = isinstance(target, ast.Name) and value is not None
                    into[node.id] = value if single and value is not None else statement
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.ExceptHandler) and child.name:
                into[child.name] = child
        for block in blocks_of(statement):
            bindings(block, into)


def imported_modules(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield absolute(module.name, module.is_package, node.level, node.module)


def blocks_of(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The blocks of a compound statement in source order (a try's handlers before its else)."""
    if isinstance(statement, ast.Match):
        for case in statement.cases:
            yield case.body
        return
    body = getattr(statement, "body", None)
    if isinstance(body, list):
        yield body
    for handler in getattr(statement, "handlers", []):
        yield handler.body
    for name in ("orelse", "finalbody"):
        block = getattr(statement, name, None)
        if isinstance(block, list):
            yield block


class Project:
    def __init__(self, modules: list[Module]) -> None:
        self.modules = {module.name: module for module in modules}
        for module in modules:
            module.scope = Scope(module, None, "")
            bindings(module.tree.body, module.scope.bound)
            module.imports_flask = any(target.split(".")[0] == "flask" for target in imported_modules(module))
        self.decorations: dict[int, tuple[str, str, str, bool] | None] = {}

    # -- evaluation ------------------------------------------------------------------------------
    def home(self, scope: Scope, name: str) -> Scope | None:
        current: Scope | None = scope
        while current is not None:
            if name in current.bound:
                return current
            current = current.parent
        return None

    def name(self, scope: Scope, name: str, hops: int = 0) -> Value:
        home = self.home(scope, name)
        if home is None or hops > 30:
            return Unknown(scope.module.scope.key(name) if scope.module.scope else name)
        node = home.bound[name]
        if isinstance(node, ast.alias):
            statement = self.import_of(home.module, node)
            if isinstance(statement, ast.ImportFrom):
                source = absolute(home.module.name, home.module.is_package, statement.level, statement.module)
                return self.imported(f"{source}.{node.name}" if source else node.name, hops + 1)
            return Imported(node.name if node.asname else node.name.split(".")[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return Def(node, home.key(name), home)
        if isinstance(node, ast.ClassDef):
            return Imported(home.key(name))  # a class is known by its dotted name (`flask.cli.FlaskGroup`)
        if isinstance(node, ast.Call):
            made = self.evaluate(home, node.func, hops + 1)
            if isinstance(made, Imported):
                return Made(made.dotted, node, home.key(name))
        return Unknown(home.key(name))

    def import_of(self, module: Module, alias: ast.alias) -> ast.Import | ast.ImportFrom | None:
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(item is alias for item in node.names):
                return node
        return None

    def imported(self, dotted: str, hops: int) -> Value:
        """`pkg.main.cli`: the project's own object when `pkg.main` is a module of the project."""
        module_part, _, name = dotted.rpartition(".")
        module = self.modules.get(module_part)
        if module is not None and module.scope is not None and name in module.scope.bound and hops < 30:
            return self.name(module.scope, name, hops + 1)
        return Imported(dotted)

    def evaluate(self, scope: Scope, node: ast.expr, hops: int = 0) -> Value:
        if isinstance(node, ast.Name):
            return self.name(scope, node.id, hops)
        if isinstance(node, ast.Attribute):
            base = self.evaluate(scope, node.value, hops + 1)
            if isinstance(base, Imported):
                return self.imported(f"{base.dotted}.{node.attr}", hops + 1)
            return Unknown(f"{base.key}.{node.attr}")
        return Unknown(ast.unparse(node))

    # -- commands --------------------------------------------------------------------------------
    def decorated(self, value: Def) -> tuple[str, str, str, bool] | None:
        """(framework, name, parent key or "", is a group) of a def that is a command."""
        if id(value.node) not in self.decorations:
            self.decorations[id(value.node)] = None  # a group declared on itself is no group
            self.decorations[id(value.node)] = self.decoration(value)
        return self.decorations[id(value.node)]

    def decoration(self, value: Def) -> tuple[str, str, str, bool] | None:
        for decorator in value.node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            func = call.func if call is not None else decorator
            named = literal(given(call, 0, "name"))
            callee = self.evaluate(value.scope, func)
            if isinstance(callee, Imported) and callee.dotted in CLICK_DECORATORS:
                return "click", named or click_style(value.node.name), "", CLICK_DECORATORS[callee.dotted]
            if not isinstance(func, ast.Attribute) or func.attr not in {"command", "group"}:
                continue
            group = self.click_group(value.scope, func.value)
            if group is not None:
                return "click", named or click_style(value.node.name), group, func.attr == "group"
            owner = self.evaluate(value.scope, func.value)
            if func.attr == "command" and isinstance(owner, Made) and owner.of in TYPERS:
                return "typer", named or typer_style(value.node.name), owner.key, False
            return None
        return None

    def click_group(self, scope: Scope, node: ast.expr) -> str | None:
        if isinstance(node, ast.Attribute) and node.attr == "cli" and isinstance(node.value, ast.Name):
            owner = self.evaluate(scope, node.value)
            if not isinstance(owner, Imported) and scope.module.imports_flask:
                return f"{owner.key}.cli"
        value = self.evaluate(scope, node)
        if isinstance(value, Made) and value.of in CLICK_GROUPS:
            return value.key
        if isinstance(value, Def):
            found = self.decorated(value)
            if found is not None and found[0] == "click" and found[3]:
                return value.key
        return None

    def own_name(self, value: Value) -> str | None:
        if isinstance(value, Def):
            found = self.decorated(value)
            return found[1] if found is not None else None
        if isinstance(value, Made) and value.of in TYPERS:
            return literal(given(value.call, None, "name"))
        if isinstance(value, Made) and value.of in CLICK_GROUPS:
            return literal(given(value.call, 0, "name"))
        return None


@dataclass
class Command:
    row_start: tuple[str, int, str, str]
    """(path, line, function, framework)"""
    name: str
    key: str
    parent: str


def walk(project: Project, module: Module) -> Iterator[tuple[str, object]]:
    """("command", Command) and ("mount", (child key, parent key, name)) for everything in module."""
    assert module.scope is not None
    yield from walk_block(project, module.scope, module.tree.body)


def walk_block(project: Project, scope: Scope, statements: list[ast.stmt]) -> Iterator[tuple[str, object]]:
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            value = Def(statement, scope.key(statement.name), scope)
            found = project.decorated(value)
            if found is not None:
                framework, name, parent, _ = found
                qualname = f"{scope.prefix}{statement.name}"
                yield (
                    "command",
                    Command((scope.module.path, statement.lineno, qualname, framework), name, value.key, parent),
                )
                yield from blueprint_mount(project, scope, statement)
            inner = Scope(scope.module, function_parent(scope), f"{scope.prefix}{statement.name}.<locals>.")
            arguments = statement.args
            parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            parameters += [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
            for parameter in parameters:
                inner.bound[parameter.arg] = parameter
            bindings(statement.body, inner.bound)
            yield from walk_block(project, inner, statement.body)
            continue
        if isinstance(statement, ast.ClassDef):
            inner = Scope(scope.module, scope, f"{scope.prefix}{statement.name}.")
            bindings(statement.body, inner.bound)
            yield from walk_block(project, inner, statement.body)
            continue
        if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) and isinstance(statement.value, ast.Call):
            yield from call_statement(project, scope, statement.value, statement.lineno)
        for block in blocks_of(statement):
            yield from walk_block(project, scope, block)


def function_parent(scope: Scope) -> Scope | None:
    """Class bodies do not enclose the functions defined in them."""
    current: Scope | None = scope
    while current is not None and current.prefix.endswith(".") and not current.prefix.endswith("<locals>."):
        current = current.parent
    return current


def blueprint_mount(project: Project, scope: Scope, node: FunctionNode) -> Iterator[tuple[str, object]]:
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Attribute):
            continue
        holder = func.value
        if holder.attr != "cli" or not isinstance(holder.value, ast.Name):
            continue
        owner = project.evaluate(scope, holder.value)
        if not isinstance(owner, Made) or owner.of not in BLUEPRINTS:
            continue
        group = given(owner.call, None, "cli_group")
        if isinstance(group, ast.Constant) and group.value is None:
            continue
        name = literal(group) if group is not None else literal(given(owner.call, 0, "name"))
        if name is not None:
            yield "mount", (f"{owner.key}.cli", owner.key, name)


def call_statement(project: Project, scope: Scope, call: ast.Call, line: int) -> Iterator[tuple[str, object]]:
    func = call.func
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "command":
        target = given(call, 0, "f")
        if target is None:
            return
        named = literal(given(func, 0, "name"))
        function = ast.unparse(target)
        held = project.evaluate(scope, target)
        if named is None and not (isinstance(target, ast.Name) and isinstance(held, Def)):
            return
        group = project.click_group(scope, func.func.value)
        owner = project.evaluate(scope, func.func.value)
        if group is not None:
            name = named or click_style(function.rsplit(".", 1)[-1])
            yield (
                "command",
                Command(
                    (scope.module.path, line, function, "click"),
                    name,
                    held.key if isinstance(held, Def) else function,
                    group,
                ),
            )
        elif isinstance(owner, Made) and owner.of in TYPERS:
            name = named or typer_style(function.rsplit(".", 1)[-1])
            yield "command", Command((scope.module.path, line, function, "typer"), name, function, owner.key)
        return
    if isinstance(func, ast.Attribute) and func.attr in {"add_command", "add_typer"}:
        is_typer = func.attr == "add_typer"
        child = given(call, 0, "typer_instance" if is_typer else "cmd")
        if child is None:
            return
        parent = project.evaluate(scope, func.value)
        child_value = project.evaluate(scope, child)
        mount_name = literal(given(call, None if is_typer else 1, "name")) or project.own_name(child_value)
        group_key = project.click_group(scope, func.value)
        parent_key = group_key or (parent.dotted if isinstance(parent, Imported) else parent.key)
        child_key = child_value.dotted if isinstance(child_value, Imported) else child_value.key
        yield "mount", (child_key, parent_key, mount_name)


def full_names(commands: list[Command], mounts: list[tuple[str, str, str | None]]) -> set[CliRow]:
    by_key = {command.key: command for command in commands}
    above = {child: (parent, name) for child, parent, name in mounts}

    def step(key: str, command: Command | None) -> tuple[str, str | None] | None:
        if command is not None and command.parent:
            return command.parent, command.name
        if key in above:
            parent, name = above[key]
            return parent, name if name is not None or command is None else command.name
        return None

    rows: set[CliRow] = set()
    for command in commands:
        key = command.key
        next_step = step(key, command)
        names = [] if next_step is not None else [command.name]
        seen: set[str] = set()
        while next_step is not None and key not in seen:
            seen.add(key)
            key, name = next_step
            if name:
                names.insert(0, name)
            next_step = step(key, by_key.get(key))
        path, line, function, framework = command.row_start
        rows.add((path, line, " ".join(names), function, framework))
    return rows


@dataclass
class CliTruth:
    files: set[str] = field(default_factory=set)
    parsed: set[str] = field(default_factory=set)
    commands: set[CliRow] = field(default_factory=set)


def cli_oracle(root: str, skip_dirs: Iterable[str] = ()) -> CliTruth:
    """What `ast` says `find_cli_commands` should answer for the folder."""
    truth = CliTruth()
    modules: list[Module] = []
    for source in source_files(root, skip_dirs):
        truth.files.add(source.path)
        if source.tree is None:
            continue
        truth.parsed.add(source.path)
        modules.append(Module(source.path, source.name, source.is_package, source.tree))
    project = Project(modules)
    commands: list[Command] = []
    mounts: list[tuple[str, str, str | None]] = []
    for module in modules:
        for kind, item in walk(project, module):
            if kind == "command":
                assert isinstance(item, Command)
                commands.append(item)
            else:
                mounts.append(item)  # type: ignore[arg-type]
    truth.commands = full_names(commands, mounts)
    return truth
