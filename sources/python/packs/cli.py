"""Typer and Click commands, in any scope: `@app.command()`, the call form `app.command()(f)`,
`@click.command()` / `@click.group()`, the commands and subgroups of a click group at any depth,
`add_typer` / `add_command` mounts, and Flask's CLI (`@app.cli.command()`, `@bp.cli.command()`).

A group or app made inside a function (a factory, a test that builds a CLI) is known by its
function-qualified name (`m.create_cli.<locals>.cli`), so that two functions' local `cli` never
meet. Full names (`users add`) are settled by linking, over every fact of the source.

Flask's `app.cli` is a click group (`flask.cli.AppGroup`) merged into the `flask` program: its
commands are click commands of group `app.cli`, at the root (`flask init-db` has full name
`init-db`). A blueprint's `bp.cli` is mounted under the blueprint's `cli_group` (by default its
name): `@bp.cli.command("create")` on `Blueprint("students", ...)` is `students create`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import libcst as cst

from schemas import Fact
from sources.python.packs.base import Extractor, Pack
from sources.python.syntax import blocks, dotted, suite_statements
from sources.python.vocabulary import FunctionInfo, Scope, argument, literal_string, qualname_of

TYPER_TYPES = frozenset({"typer.Typer", "typer.main.Typer"})
CLICK_ROOTS = {
    "click.command": False,
    "click.group": True,
    "click.decorators.command": False,
    "click.decorators.group": True,
}
CLICK_GROUP_TYPES = frozenset(
    {"click.Group", "click.core.Group", "flask.cli.AppGroup", "flask.cli.FlaskGroup", "flask.FlaskGroup"}
)
BLUEPRINT_TYPES = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint"})
CLICK_SUFFIXES = frozenset({"command", "cmd", "group", "grp"})


def typer_name(function: str) -> str:
    """The command name Typer derives from a function name (`typer.main.get_command_name`)."""
    return function.lower().replace("_", "-")


def click_name(function: str) -> str:
    """The command name Click (8.2+) derives: dashes, and a `_command`/`_group` suffix dropped."""
    name = function.lower().replace("_", "-")
    head, separator, suffix = name.rpartition("-")
    return head if separator and suffix in CLICK_SUFFIXES and head else name


def _bound_in(statements: Sequence[cst.CSTNode]) -> Iterator[tuple[str, cst.CSTNode]]:
    """The names a body binds as the driver's context sees them (assignments, defs, imports;
    looked into if/try/with), each with what it is bound to, in order."""
    for statement in statements:
        smalls: Sequence[cst.CSTNode] = ()
        if isinstance(statement, cst.SimpleStatementLine):
            smalls = statement.body
        elif isinstance(statement, cst.BaseSmallStatement):
            smalls = (statement,)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield statement.name.value, statement
        elif isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
            for block in blocks(statement):
                yield from _bound_in(block)
        for small in smalls:
            if isinstance(small, cst.Assign):
                if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    yield small.targets[0].target.value, small.value
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                yield small.target.value, small.value if small.value is not None else small
            elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        yield alias.asname.name.value, small
                    else:
                        yield (dotted(alias.name) or "").split(".")[0], small


class CliPack(Pack):
    name = "cli"
    reads = {"cli_command": frozenset({"click", "flask", "typer"})}  # noqa: RUF012
    """Flask's CLI (`app.cli`, `bp.cli`) is click: its commands have framework "click"."""
    instance_types = TYPER_TYPES | CLICK_GROUP_TYPES

    # -- where a name is bound -----------------------------------------------------------------
    def _bodies(self, extractor: Extractor) -> dict[tuple[Scope, ...], Sequence[cst.CSTNode]]:
        bodies: dict[tuple[Scope, ...], Sequence[cst.CSTNode]] = extractor.state.setdefault("cli_bodies", {})
        return bodies

    def _bound(self, extractor: Extractor, scope: tuple[Scope, ...]) -> dict[str, cst.CSTNode]:
        memo: dict[tuple[Scope, ...], dict[str, cst.CSTNode]] = extractor.state.setdefault("cli_bound", {})
        if scope not in memo:
            statements = self._bodies(extractor).get(scope, ()) if scope else extractor.ctx.code.body
            memo[scope] = dict(_bound_in(statements))
        return memo[scope]

    def _home(self, extractor: Extractor, name: str, scope: tuple[Scope, ...]) -> tuple[Scope, ...]:
        """The innermost function whose body binds `name` (class bodies do not enclose); () for the module."""
        for end in range(len(scope), 0, -1):
            inner = scope[:end]
            if not inner[-1].is_class and name in self._bound(extractor, inner):
                return inner
        return ()

    def key(self, extractor: Extractor, node: cst.BaseExpression, scope: tuple[Scope, ...]) -> str:
        """The qualified name of an app or group: module-qualified, or function-qualified when bound
        inside a function (`m.create_cli.<locals>.cli`)."""
        name = dotted(node)
        if name is None or name.split(".")[0] in extractor.ctx.imports:
            return extractor.qualified(node)
        home = self._home(extractor, name.split(".")[0], scope)
        if not home:
            return extractor.qualified(node)
        module = extractor.ctx.module
        qualname = qualname_of(home, name)
        return f"{module}.{qualname}" if module else qualname

    def _value_of(self, extractor: Extractor, node: cst.BaseExpression, scope: tuple[Scope, ...]) -> cst.CSTNode | None:
        if not isinstance(node, cst.Name):
            return None
        return self._bound(extractor, self._home(extractor, node.value, scope)).get(node.value)

    # -- what a receiver is ---------------------------------------------------------------------
    def click_group(self, extractor: Extractor, receiver: cst.BaseExpression, scope: tuple[Scope, ...]) -> str | None:
        """The key of the click group `receiver` is, if this module knows it as one."""
        key = self.key(extractor, receiver, scope)
        if key in extractor.state.get("click_groups", set()):
            return key
        if extractor.ctx.instance_type(receiver) in CLICK_GROUP_TYPES:
            return key
        if self._flask_cli(extractor, receiver):
            return key
        return None

    def _flask_cli(self, extractor: Extractor, receiver: cst.BaseExpression) -> bool:
        """`X.cli` in a module that imports flask, X a name that is not a module: Flask's app or
        blueprint CLI group (X is often a fixture parameter, whose type is not written)."""
        if not (isinstance(receiver, cst.Attribute) and receiver.attr.value == "cli"):
            return False
        owner = receiver.value
        if not isinstance(owner, cst.Name) or owner.value in extractor.ctx.imports:
            return False
        return any(target.split(".")[0] == "flask" for target in extractor.ctx.imports.values())

    # -- hooks ------------------------------------------------------------------------------------
    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        self._bodies(extractor)[(*info.scope, Scope(info.fact.name, is_class=False))] = suite_statements(info.node.body)
        for index, decorator in enumerate(info.decorators):
            call = decorator.call
            expression = call.func if call is not None else decorator.node.decorator
            if decorator.resolved in CLICK_ROOTS:
                self._click(extractor, info, call, "", CLICK_ROOTS[decorator.resolved])
                return
            if not isinstance(expression, cst.Attribute):
                continue
            verb = expression.attr.value
            if verb not in {"command", "group"}:
                continue
            receiver = expression.value
            group = self.click_group(extractor, receiver, info.scope)
            if group is not None:
                self._blueprint_mount(extractor, receiver, group, info.scope, info.decorators[index].line)
                self._click(extractor, info, call, group, verb == "group")
                return
            group = self.key(extractor, receiver, info.scope)
            if group in extractor.state.get("click_maybe_groups", set()):
                self._click(extractor, info, call, group, verb == "group", candidate=True)
                return
            self._typer(
                extractor,
                receiver,
                call,
                info.fact.name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
                info.scope,
                verb == "group",
            )
            return

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        func = call.func
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value == "command":
            target = argument(call, 0, "f")
            if target is not None:
                self._call_form(extractor, func.func.value, func, target, line, end_line, scope)
            return
        if isinstance(func, cst.Attribute) and func.attr.value in {"add_typer", "add_command"}:
            is_typer = func.attr.value == "add_typer"
            child = argument(call, 0, "typer_instance" if is_typer else "cmd")
            if child is None:
                return
            mount_name = literal_string(argument(call, None if is_typer else 1, "name"))
            parent = self.key(extractor, func.value, scope)
            child_key = self.key(extractor, child, scope)
            if mount_name is None and (scope or not is_typer):
                mount_name = self._instance_name(extractor, child, scope)
            extractor.emit(
                extractor.make(
                    "cli_mount",
                    mount_name or extractor.ctx.source_of(child),
                    parent,
                    line,
                    end_line,
                    parent=parent,
                    child=child_key,
                    mount_name=mount_name,
                )
            )

    # -- facts ------------------------------------------------------------------------------------
    def _instance_name(self, extractor: Extractor, child: cst.BaseExpression, scope: tuple[Scope, ...]) -> str | None:
        """The name an app or group instance is made with (`click.Group("db")`, `Typer(name="db")`)."""
        made = extractor.ctx.instance_type(child)
        value = self._value_of(extractor, child, scope)
        if made is None or not isinstance(value, cst.Call):
            return None
        if made in TYPER_TYPES:
            return literal_string(argument(value, None, "name"))
        if made in CLICK_GROUP_TYPES:
            return literal_string(argument(value, 0, "name"))
        return None

    def _blueprint_mount(
        self, extractor: Extractor, receiver: cst.BaseExpression, group: str, scope: tuple[Scope, ...], line: int
    ) -> None:
        """`bp.cli` of `Blueprint("students", ...)` is mounted under `students` (its `cli_group`
        when given; none when `cli_group=None`): recorded once, at the first command's decorator."""
        if not isinstance(receiver, cst.Attribute):
            return
        if extractor.ctx.instance_type(receiver.value) not in BLUEPRINT_TYPES:
            return
        mounted: set[str] = extractor.state.setdefault("cli_blueprints", set())
        made = self._value_of(extractor, receiver.value, scope)
        if group in mounted or not isinstance(made, cst.Call):
            return
        mounted.add(group)
        given = argument(made, None, "cli_group")
        if isinstance(given, cst.Name) and given.value == "None":
            return
        name = literal_string(given) if given is not None else literal_string(argument(made, 0, "name"))
        if name is None:
            return
        owner = self.key(extractor, receiver.value, scope)
        extractor.emit(extractor.make("cli_mount", name, owner, line, line, parent=owner, child=group, mount_name=name))

    def _call_form(
        self,
        extractor: Extractor,
        receiver: cst.BaseExpression,
        call: cst.Call,
        target: cst.BaseExpression,
        line: int,
        end_line: int,
        scope: tuple[Scope, ...],
    ) -> None:
        """`app.command("rm")(remove)`: without a literal name, only a def's name says the command's."""
        function = extractor.ctx.source_of(target)
        if literal_string(argument(call, 0, "name")) is None and not isinstance(
            self._value_of(extractor, target, scope), cst.FunctionDef
        ):
            return
        group = self.click_group(extractor, receiver, scope)
        if group is None:
            self._typer(extractor, receiver, call, function, function, line, end_line, scope, False)
            return
        given = literal_string(argument(call, 0, "name"))
        name = given or click_name(function)
        extractor.emit(
            extractor.make(
                "cli_command",
                name,
                function,
                line,
                end_line,
                function=function,
                framework="click",
                group=group,
                is_group=False,
                full_name=name,
            )
        )

    def _typer(
        self,
        extractor: Extractor,
        receiver: cst.BaseExpression,
        call: cst.Call | None,
        function: str,
        qualname: str,
        line: int,
        end_line: int,
        scope: tuple[Scope, ...],
        is_group: bool,
    ) -> None:
        local_type, imported = extractor.receiver_of(receiver)
        if local_type is None and imported is None:
            return
        if local_type is not None and local_type not in TYPER_TYPES:
            if not self.may_be_reexported(local_type):
                return
            local_type, imported = None, extractor.qualified(receiver)
        if is_group and local_type is not None:
            return  # a Typer app has no `.group`: only an imported click group may have one
        given = literal_string(argument(call, 0, "name")) if call is not None else None
        name = given or typer_name(function.rsplit(".", 1)[-1])
        fact = extractor.make(
            "cli_command",
            name,
            qualname,
            line,
            end_line,
            function=qualname,
            framework="typer",
            group=self.key(extractor, receiver, scope),
            is_group=is_group,
            full_name=name,
        )
        if local_type is not None:
            extractor.emit(fact)
        elif imported is not None:
            extractor.candidate(self.name, imported, fact)
            if is_group:  # an imported click group's subgroup: its own commands are candidates too
                module = extractor.ctx.module
                key = f"{module}.{qualname}" if module else qualname
                extractor.state.setdefault("click_maybe_groups", set()).add(key)

    def _click(
        self,
        extractor: Extractor,
        info: FunctionInfo,
        call: cst.Call | None,
        group: str,
        is_group: bool,
        candidate: bool = False,
    ) -> None:
        given = literal_string(argument(call, 0, "name")) if call is not None else None
        name = given or click_name(info.fact.name)
        module = extractor.ctx.module
        key = f"{module}.{info.fact.qualname}" if module else info.fact.qualname
        if is_group:
            extractor.state.setdefault("click_maybe_groups" if candidate else "click_groups", set()).add(key)
        fact = extractor.make(
            "cli_command",
            name,
            info.fact.qualname,
            info.fact.line,
            info.fact.end_line,
            function=info.fact.qualname,
            framework="click",
            group=group,
            is_group=is_group,
            full_name=name,
        )
        if candidate:
            extractor.candidate(self.name, group, fact)
        else:
            extractor.emit(fact)

    def accepts(self, candidate: Fact, target: str, is_instance: bool, known: dict[str, Any]) -> bool:
        click_groups: set[str] = known.get("click_groups", set())
        if target in click_groups or (is_instance and target in CLICK_GROUP_TYPES):
            return True
        return is_instance and target in TYPER_TYPES and not candidate.detail["proposed"]["detail"]["is_group"]
