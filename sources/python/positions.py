"""Line numbers for libcst statements, without libcst's PositionProvider where possible.

PositionProvider regenerates the module's code (3-4x a parse). CPython's own `ast` defines the line
convention users expect (`def` keyword line, as `ast` reports it since 3.8) and parses in ~0.16x a
libcst parse, so statements are matched to `ast` statements by walking both trees in source order;
every pair is checked by type. When `ast` cannot parse the file (newer syntax than the running
Python) or the walks disagree, the exact but slower PositionProvider is used instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Protocol

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from sources.python.syntax import blocks

_AST_TYPES: dict[type[cst.CSTNode], tuple[type[ast.AST], ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith),
    cst.Try: (ast.Try,),
    cst.Match: (ast.Match,),
    cst.Expr: (ast.Expr,),
    cst.Assign: (ast.Assign,),
    cst.AnnAssign: (ast.AnnAssign,),
    cst.AugAssign: (ast.AugAssign,),
    cst.Import: (ast.Import,),
    cst.ImportFrom: (ast.ImportFrom,),
    cst.LazyImport: (ast.Import,),  # PEP 810: `ast` marks them with `is_lazy` (3.15)
    cst.LazyImportFrom: (ast.ImportFrom,),
    cst.Return: (ast.Return,),
    cst.Raise: (ast.Raise,),
    cst.Assert: (ast.Assert,),
    cst.Del: (ast.Delete,),
    cst.Pass: (ast.Pass,),
    cst.Break: (ast.Break,),
    cst.Continue: (ast.Continue,),
    cst.Global: (ast.Global,),
    cst.Nonlocal: (ast.Nonlocal,),
}
if hasattr(ast, "TryStar"):
    _AST_TYPES[cst.TryStar] = (ast.TryStar,)
if hasattr(ast, "TypeAlias"):
    _AST_TYPES[cst.TypeAlias] = (ast.TypeAlias,)

_AST_BLOCK_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


class Positions(Protocol):
    method: str

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """(first line, last line) of a statement; for a def or class, first is the keyword line."""
        ...

    def decorator_lines(self, node: cst.FunctionDef | cst.ClassDef) -> list[int]: ...


class PositionMismatch(Exception):
    pass


def cst_statements(statements: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every statement, compound and small, in source (pre-)order."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.BaseSmallStatement):
            yield statement
        else:
            yield statement
            for block in blocks(statement):
                yield from cst_statements(block)


def _ast_statements(statements: list[ast.AST]) -> Iterator[ast.stmt]:
    for statement in statements:
        if isinstance(statement, ast.stmt):
            yield statement
        for field in _AST_BLOCK_FIELDS:
            children = getattr(statement, field, None)
            if isinstance(children, list):
                yield from _ast_statements(children)


class AstPositions:
    method = "ast"

    def __init__(self, module: cst.Module, tree: ast.Module) -> None:
        self._by_node: dict[int, ast.stmt] = {}
        ast_iter = _ast_statements(list(tree.body))
        for node in cst_statements(module.body):
            partner = next(ast_iter, None)
            expected = _AST_TYPES.get(type(node))
            if partner is None or expected is None or not isinstance(partner, expected):
                raise PositionMismatch(f"{type(node).__name__} vs {type(partner).__name__}")
            self._by_node[id(node)] = partner
        if next(ast_iter, None) is not None:
            raise PositionMismatch("ast has more statements")

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        partner = self._by_node[id(node)]
        return partner.lineno, partner.end_lineno or partner.lineno

    def decorator_lines(self, node: cst.FunctionDef | cst.ClassDef) -> list[int]:
        partner = self._by_node[id(node)]
        assert isinstance(partner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        return [decorator.lineno for decorator in partner.decorator_list]


class CstPositions:
    method = "libcst"

    def __init__(self, module: cst.Module) -> None:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        code_range = self._positions[node]
        end = code_range.end.line
        if code_range.end.column == 0 and end > code_range.start.line:
            end -= 1
        last = _last_statement(node)
        if last is not None:
            end = self.span(last)[1]
        return code_range.start.line, end

    def decorator_lines(self, node: cst.FunctionDef | cst.ClassDef) -> list[int]:
        return [self._positions[decorator.decorator].start.line for decorator in node.decorators]


def _last_statement(node: cst.CSTNode) -> cst.CSTNode | None:
    """The last nested statement of a compound statement: ast ends a block there, not at its trailing comments."""
    last: cst.CSTNode | None = None
    for block in blocks(node):
        for last in cst_statements(block):  # noqa: B007
            pass
    return last


def positions_for(module: cst.Module, tree: ast.Module | None, force_cst: bool = False) -> Positions:
    """ast-backed positions when `tree` (the same text parsed by `ast`) matches, else libcst's."""
    if tree is not None and not force_cst:
        try:
            return AstPositions(module, tree)
        except PositionMismatch:
            pass
    return CstPositions(module)
