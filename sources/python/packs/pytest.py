"""pytest fixtures (`@pytest.fixture`, `@fixture` from pytest, `pytest_asyncio.fixture`, with or
without a call) and the tests pytest would collect with its default settings."""

from __future__ import annotations

import posixpath

import libcst as cst

from sources.python.packs.base import Extractor, Pack
from sources.python.vocabulary import ClassInfo, FunctionInfo, argument, is_test_file, literal_string

FIXTURE_DECORATORS = frozenset({"pytest.fixture", "_pytest.fixtures.fixture", "pytest_asyncio.fixture"})
UNITTEST_BASES = frozenset({"unittest.TestCase", "unittest.IsolatedAsyncioTestCase", "unittest.case.TestCase"})


def _disables_collection(node: cst.ClassDef) -> bool:
    """`__test__ = False` in a class body, or an `__init__`: pytest skips such classes."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            return True
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and any(isinstance(t.target, cst.Name) and t.target.value == "__test__" for t in small.targets)
                    and isinstance(small.value, cst.Name)
                    and small.value.value == "False"
                ):
                    return True
    return False


class PytestPack(Pack):
    name = "pytest"
    reads = {"fixture": frozenset({"pytest"}), "test": frozenset({"pytest", "unittest"})}  # noqa: RUF012

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        for decorator in info.decorators:
            if decorator.resolved in FIXTURE_DECORATORS:
                self._fixture(extractor, info, decorator.call)
                return
        if not is_test_file(extractor.ctx.path) or not info.fact.name.startswith("test"):
            return
        test_classes: set[str] = extractor.state.setdefault("test_classes", set())
        if not info.scope:
            kind = "function"
        elif info.fact.detail["is_method"] and ".".join(s.name for s in info.scope) in test_classes:
            kind = "method"
        else:
            return
        extractor.emit(
            extractor.make(
                "test",
                info.fact.name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
                test_kind=kind,
                is_async=info.fact.detail["is_async"],
                parametrized=any((d.resolved or "").startswith("pytest.mark.parametrize") for d in info.decorators),
            )
        )

    def on_class(self, extractor: Extractor, info: ClassInfo) -> None:
        if not is_test_file(extractor.ctx.path):
            return
        test_classes: set[str] = extractor.state.setdefault("test_classes", set())
        outer = ".".join(s.name for s in info.scope)
        if any(not s.is_class for s in info.scope) or (info.scope and outer not in test_classes):
            return
        is_unittest = any(base in UNITTEST_BASES for base in info.fact.detail["resolved_bases"])
        if not is_unittest and (not info.fact.name.startswith("Test") or _disables_collection(info.node)):
            return
        test_classes.add(info.fact.qualname)
        extractor.emit(
            extractor.make(
                "test",
                info.fact.name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
                test_kind="class",
                is_async=False,
                parametrized=False,
            )
        )

    def _fixture(self, extractor: Extractor, info: FunctionInfo, call: cst.Call | None) -> None:
        name = info.fact.name
        scope: str | None = "function"
        scope_expression: str | None = None
        autouse = False
        if call is not None:
            given_name = literal_string(argument(call, None, "name"))
            name = given_name or name
            scope_node = argument(call, None, "scope")
            if scope_node is not None and not (isinstance(scope_node, cst.Name) and scope_node.value == "None"):
                scope = literal_string(scope_node)
                if scope is None:  # a variable or a callable: known only when the tests run
                    scope_expression = extractor.ctx.source_of(scope_node)
            autouse_node = argument(call, None, "autouse")
            autouse = isinstance(autouse_node, cst.Name) and autouse_node.value == "True"
        if info.fact.detail["is_method"]:
            visibility = "class"
        elif posixpath.basename(extractor.ctx.path) == "conftest.py":
            visibility = "conftest"
        else:
            visibility = "module"
        extractor.emit(
            extractor.make(
                "fixture",
                name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
                function=info.fact.name,
                scope=scope,
                scope_expression=scope_expression,
                autouse=autouse,
                visibility=visibility,
                is_async=info.fact.detail["is_async"],
            )
        )
