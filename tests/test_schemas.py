from __future__ import annotations

import importlib

import pydantic
import pytest

import schemas
from schemas import Fact, FindRoutesArgs, ToolResult


def test_public_api_is_guarded() -> None:
    assert set(schemas.__all__) == {
        "AccessibilityRule",
        "GroupBy",
        "AuditPolicy",
        "AuditReport",
        "LengthStats",
        "RejectionCount",
        "Sample",
        "Share",
        "SplitRow",
        "SplitTable",
        "Tolerance",
        "SPLIT_NAMES",
        "Component",
        "Exclusion",
        "Lockfile",
        "MixCounts",
        "Licenses",
        "MixRecipe",
        "Quotas",
        "ResolvedComponent",
        "ResolvedMix",
        "Selector",
        "SplitName",
        "Splits",
        "Card",
        "Example",
        "ExampleKind",
        "ExampleStatus",
        "FunctionCall",
        "Message",
        "Provenance",
        "Rejection",
        "SHAPES",
        "Shape",
        "is_error_result",
        "shape_of",
        "turns",
        "SourceRevision",
        "ToolCall",
        "VERIFICATION_STAGES",
        "CheckAccessibilityArgs",
        "FindFormsArgs",
        "FindLandmarksArgs",
        "FindTablesArgs",
        "HtmlOutlineArgs",
        "QueryHtmlArgs",
        "DETAIL_MODELS",
        "Decorator",
        "Fact",
        "FactKind",
        "FileRecord",
        "FileStatus",
        "FindCliCommandsArgs",
        "FindFixturesArgs",
        "FindFormHandlersArgs",
        "FindImportsArgs",
        "FindRoutesArgs",
        "FindServicesArgs",
        "FindSymbolsArgs",
        "FindTestsArgs",
        "ReadSymbolArgs",
        "SearchTextArgs",
        "Source",
        "SymbolKind",
        "ToolArguments",
        "ToolResult",
        "ToolSpec",
    }


def test_each_public_name_loads_from_its_module() -> None:
    """The names load when first read (PEP 562), each the very object its module defines."""
    assert {name for names in schemas.MODULES.values() for name in names} == set(schemas.__all__)
    for module, names in schemas.MODULES.items():
        for name in names:
            assert getattr(schemas, name) is getattr(importlib.import_module(module), name), name
    assert set(schemas.__all__) <= set(dir(schemas))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = schemas.Nothing  # type: ignore[attr-defined]


def test_fact_details_are_validated_per_kind() -> None:
    base = {"kind": "route", "name": "f", "qualname": "f", "path": "a.py", "line": 1, "end_line": 1}
    detail = {"methods": ["GET"], "route": "/", "function": "f", "router": "app", "framework": "fastapi"}
    defaults = {"route_is_literal": True, "handler_line": None, "response": None, "template": None, "websocket": False}
    assert Fact.model_validate({**base, "detail": detail}).detail == {**detail, **defaults}
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        Fact.model_validate({**base, "detail": {**detail, "colour": "red"}})
    with pytest.raises(pydantic.ValidationError, match="route"):
        Fact.model_validate({**base, "detail": {"methods": ["GET"]}})
    with pytest.raises(pydantic.ValidationError, match="bad line range"):
        Fact.model_validate({**base, "line": 5, "end_line": 2, "detail": detail})


def test_records_are_frozen_and_strict() -> None:
    result = ToolResult(tool="t", total=0, truncated=False, matches=[])
    with pytest.raises(pydantic.ValidationError):
        result.total = 3  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        FindRoutesArgs.model_validate({"verb": "GET"})
