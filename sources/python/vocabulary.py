"""The words the Python driver and its framework packs share: scopes, what the driver hands a pack
about a def or a class, and the node helpers both use.

It sits below both (griffe's way: node helpers the driver and the extensions use live below them),
so the driver imports the packs and no pack imports the driver.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from schemas import Fact


@dataclass(frozen=True)
class Scope:
    name: str
    is_class: bool


@dataclass(frozen=True)
class DecoratorInfo:
    node: cst.Decorator
    written: str
    resolved: str | None
    line: int

    @property
    def call(self) -> cst.Call | None:
        expression = self.node.decorator
        return expression if isinstance(expression, cst.Call) else None


@dataclass(frozen=True)
class FunctionInfo:
    node: cst.FunctionDef
    fact: Fact
    decorators: list[DecoratorInfo]
    scope: tuple[Scope, ...]
    owner: cst.ClassDef | None


@dataclass(frozen=True)
class ClassInfo:
    node: cst.ClassDef
    fact: Fact
    decorators: list[DecoratorInfo]
    scope: tuple[Scope, ...]


def qualname_of(scope: Sequence[Scope], name: str) -> str:
    parts: list[str] = []
    for item in scope:
        parts.append(item.name)
        if not item.is_class:
            parts.append("<locals>")
    parts.append(name)
    return ".".join(parts)


def literal_string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def argument(call: cst.Call, position: int | None, keyword: str) -> cst.BaseExpression | None:
    """A call's argument given by keyword, or else at this position among the positional ones."""
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None and position < len(positional):
        return positional[position].value
    return None


def is_test_file(path: str) -> bool:
    filename = posixpath.basename(path)
    return fnmatch.fnmatchcase(filename, "test_*.py") or fnmatch.fnmatchcase(filename, "*_test.py")
