"""Small readers of libcst trees shared by the extractor, its context and its positions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, None for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def suite_statements(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    """The statements of a block: whole statements, or small ones after a colon (`if x: a; b`)."""
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return suite.body
    return ()


def blocks(statement: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    """The statement lists directly inside a compound statement, in source order.

    An `elif` comes as a block holding its `If` node, as `ast` nests it in `orelse`.
    """
    if isinstance(statement, cst.Match):
        for case in statement.cases:
            yield suite_statements(case.body)
        return
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield suite_statements(body)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        for handler in statement.handlers:
            yield suite_statements(handler.body)
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If):
        yield (orelse,)
    elif isinstance(orelse, cst.Else):
        yield suite_statements(orelse.body)
    finalbody = getattr(statement, "finalbody", None)
    if isinstance(finalbody, cst.Finally):
        yield suite_statements(finalbody.body)


class OwnBodyVisitor(cst.CSTVisitor):
    """Visits a def's own body: nested defs, classes and lambdas have bodies of their own."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False
