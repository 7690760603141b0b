"""Typer and Click commands: `@app.command()`, the call form `app.command()(f)`, `add_typer`
prefixes, `@click.command()` / `@click.group()` and the commands of a click group."""

from __future__ import annotations

from typing import Any

import libcst as cst

from schemas import Fact
from sources.python.packs.base import Extractor, Pack
from sources.python.vocabulary import FunctionInfo, Scope, argument, literal_string

TYPER_TYPES = frozenset({"typer.Typer", "typer.main.Typer"})
CLICK_ROOTS = {
    "click.command": False,
    "click.group": True,
    "click.decorators.command": False,
    "click.decorators.group": True,
}
CLICK_GROUP_TYPES = frozenset({"click.Group", "click.core.Group"})
CLICK_SUFFIXES = frozenset({"command", "cmd", "group", "grp"})


def typer_name(function: str) -> str:
    """The command name Typer derives from a function name (`typer.main.get_command_name`)."""
    return function.lower().replace("_", "-")


def click_name(function: str) -> str:
    """The command name Click (8.2+) derives: dashes, and a `_command`/`_group` suffix dropped."""
    name = function.lower().replace("_", "-")
    head, separator, suffix = name.rpartition("-")
    return head if separator and suffix in CLICK_SUFFIXES and head else name


class CliPack(Pack):
    name = "cli"
    reads = {"cli_command": frozenset({"click", "typer"})}  # noqa: RUF012
    instance_types = TYPER_TYPES | CLICK_GROUP_TYPES

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        for decorator in info.decorators:
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
            groups: set[str] = extractor.state.setdefault("click_groups", set())
            receiver_name = extractor.ctx.source_of(receiver)
            if receiver_name in groups:
                self._click(extractor, info, call, extractor.qualified(receiver), verb == "group")
                return
            if verb == "command":
                self._typer(
                    extractor, receiver, call, info.fact.name, info.fact.qualname, info.fact.line, info.fact.end_line
                )
                return

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        func = call.func
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value == "command":
            target = argument(call, 0, "f")
            if target is not None:
                function = extractor.ctx.source_of(target)
                self._typer(extractor, func.func.value, func, function, function, line, end_line)
            return
        if isinstance(func, cst.Attribute) and func.attr.value in {"add_typer", "add_command"}:
            child = argument(call, 0, "typer_instance" if func.attr.value == "add_typer" else "cmd")
            if child is None:
                return
            mount_name = literal_string(argument(call, 1 if func.attr.value == "add_command" else None, "name"))
            parent = extractor.qualified(func.value)
            extractor.emit(
                extractor.make(
                    "cli_mount",
                    mount_name or extractor.ctx.source_of(child),
                    parent,
                    line,
                    end_line,
                    parent=parent,
                    child=extractor.qualified(child),
                    mount_name=mount_name,
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
    ) -> None:
        local_type, imported = extractor.receiver_of(receiver)
        if local_type is None and imported is None:
            return
        if local_type is not None and local_type not in TYPER_TYPES:
            if not self.may_be_reexported(local_type):
                return
            local_type, imported = None, extractor.qualified(receiver)
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
            group=extractor.qualified(receiver),
            is_group=False,
            full_name=name,
        )
        if local_type is not None:
            extractor.emit(fact)
        elif imported is not None:
            extractor.candidate(self.name, imported, fact)

    def _click(
        self, extractor: Extractor, info: FunctionInfo, call: cst.Call | None, group: str, is_group: bool
    ) -> None:
        given = literal_string(argument(call, 0, "name")) if call is not None else None
        name = given or click_name(info.fact.name)
        if is_group and not info.scope:
            extractor.state.setdefault("click_groups", set()).add(info.fact.name)
        extractor.emit(
            extractor.make(
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
        )

    def accepts(self, candidate: Fact, target: str, is_instance: bool, known: dict[str, Any]) -> bool:
        click_groups: set[str] = known.get("click_groups", set())
        return (is_instance and target in TYPER_TYPES) or target in click_groups
