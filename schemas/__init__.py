"""The record types every other part of curate speaks in. Imports nothing of ours."""

from schemas.fact import DETAIL_MODELS, Decorator, Fact, FactKind
from schemas.source import FileRecord, FileStatus, Source
from schemas.tool import (
    FindCliCommandsArgs,
    FindFixturesArgs,
    FindImportsArgs,
    FindRoutesArgs,
    FindServicesArgs,
    FindSymbolsArgs,
    FindTestsArgs,
    ReadSymbolArgs,
    SearchTextArgs,
    SymbolKind,
    ToolArguments,
    ToolResult,
    ToolSpec,
)

__all__ = [
    "DETAIL_MODELS",
    "Decorator",
    "Fact",
    "FactKind",
    "FileRecord",
    "FileStatus",
    "FindCliCommandsArgs",
    "FindFixturesArgs",
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
]
