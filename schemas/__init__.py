"""The record types every other part of curate speaks in. Imports nothing of ours.

Each name is imported from its module when first read (PEP 562): a command that needs the tool
records never builds the example, mix or report models, and pydantic builds a model only where one is
used. `from schemas import Fact` and `schemas.Fact` read the same as ever.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.card import Card
    from schemas.example import (
        SHAPES,
        VERIFICATION_STAGES,
        Example,
        ExampleKind,
        ExampleStatus,
        FunctionCall,
        Message,
        Provenance,
        Rejection,
        Shape,
        SourceRevision,
        ToolCall,
        is_error_result,
        shape_of,
        turns,
    )
    from schemas.fact import DETAIL_MODELS, Decorator, Fact, FactKind
    from schemas.mix import (
        SPLIT_NAMES,
        Component,
        Exclusion,
        GroupBy,
        Licenses,
        Lockfile,
        MixCounts,
        MixRecipe,
        Quotas,
        ResolvedComponent,
        ResolvedMix,
        Selector,
        SplitName,
        Splits,
    )
    from schemas.report import (
        AuditPolicy,
        AuditReport,
        LengthStats,
        RejectionCount,
        Sample,
        Share,
        SplitRow,
        SplitTable,
        Tolerance,
    )
    from schemas.source import FileRecord, FileStatus, Source
    from schemas.tool import (
        AccessibilityRule,
        CheckAccessibilityArgs,
        FindCliCommandsArgs,
        FindFixturesArgs,
        FindFormHandlersArgs,
        FindFormsArgs,
        FindImportsArgs,
        FindLandmarksArgs,
        FindRoutesArgs,
        FindServicesArgs,
        FindSymbolsArgs,
        FindTablesArgs,
        FindTestsArgs,
        HtmlOutlineArgs,
        QueryHtmlArgs,
        ReadSymbolArgs,
        SearchTextArgs,
        SymbolKind,
        ToolArguments,
        ToolResult,
        ToolSpec,
    )

MODULES: dict[str, tuple[str, ...]] = {  # the public names of each module: what `__all__` lists
    "schemas.card": ("Card",),
    "schemas.example": (
        "SHAPES",
        "VERIFICATION_STAGES",
        "Example",
        "ExampleKind",
        "ExampleStatus",
        "FunctionCall",
        "Message",
        "Provenance",
        "Rejection",
        "Shape",
        "SourceRevision",
        "ToolCall",
        "is_error_result",
        "shape_of",
        "turns",
    ),
    "schemas.fact": (
        "DETAIL_MODELS",
        "Decorator",
        "Fact",
        "FactKind",
    ),
    "schemas.mix": (
        "SPLIT_NAMES",
        "Component",
        "Exclusion",
        "GroupBy",
        "Licenses",
        "Lockfile",
        "MixCounts",
        "MixRecipe",
        "Quotas",
        "ResolvedComponent",
        "ResolvedMix",
        "Selector",
        "SplitName",
        "Splits",
    ),
    "schemas.report": (
        "AuditPolicy",
        "AuditReport",
        "LengthStats",
        "RejectionCount",
        "Sample",
        "Share",
        "SplitRow",
        "SplitTable",
        "Tolerance",
    ),
    "schemas.source": (
        "FileRecord",
        "FileStatus",
        "Source",
    ),
    "schemas.tool": (
        "AccessibilityRule",
        "CheckAccessibilityArgs",
        "FindCliCommandsArgs",
        "FindFixturesArgs",
        "FindFormHandlersArgs",
        "FindFormsArgs",
        "FindImportsArgs",
        "FindLandmarksArgs",
        "FindRoutesArgs",
        "FindServicesArgs",
        "FindSymbolsArgs",
        "FindTablesArgs",
        "FindTestsArgs",
        "HtmlOutlineArgs",
        "QueryHtmlArgs",
        "ReadSymbolArgs",
        "SearchTextArgs",
        "SymbolKind",
        "ToolArguments",
        "ToolResult",
        "ToolSpec",
    ),
}

HOME: dict[str, str] = {name: module for module, names in MODULES.items() for name in names}
"""Each public name's module."""


def __getattr__(name: str) -> Any:
    module = HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'schemas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *HOME})


__all__ = [
    "DETAIL_MODELS",
    "SHAPES",
    "SPLIT_NAMES",
    "VERIFICATION_STAGES",
    "AccessibilityRule",
    "AuditPolicy",
    "AuditReport",
    "Card",
    "CheckAccessibilityArgs",
    "Component",
    "Decorator",
    "Example",
    "ExampleKind",
    "ExampleStatus",
    "Exclusion",
    "Fact",
    "FactKind",
    "FileRecord",
    "FileStatus",
    "FindCliCommandsArgs",
    "FindFixturesArgs",
    "FindFormHandlersArgs",
    "FindFormsArgs",
    "FindImportsArgs",
    "FindLandmarksArgs",
    "FindRoutesArgs",
    "FindServicesArgs",
    "FindSymbolsArgs",
    "FindTablesArgs",
    "FindTestsArgs",
    "FunctionCall",
    "GroupBy",
    "HtmlOutlineArgs",
    "LengthStats",
    "Licenses",
    "Lockfile",
    "Message",
    "MixCounts",
    "MixRecipe",
    "Provenance",
    "QueryHtmlArgs",
    "Quotas",
    "ReadSymbolArgs",
    "Rejection",
    "RejectionCount",
    "ResolvedComponent",
    "ResolvedMix",
    "Sample",
    "SearchTextArgs",
    "Selector",
    "Shape",
    "Share",
    "Source",
    "SourceRevision",
    "SplitName",
    "SplitRow",
    "SplitTable",
    "Splits",
    "SymbolKind",
    "Tolerance",
    "ToolArguments",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "is_error_result",
    "shape_of",
    "turns",
]
