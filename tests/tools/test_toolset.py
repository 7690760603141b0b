"""Declaring a tool: one decorated runner gives its catalog entry and makes it callable."""

from __future__ import annotations

import pytest
from pydantic import Field

from curate.errors import ToolCallError
from curate.store import Store
from curate.tools import (
    HTML_TOOLS,
    PYTHON_TOOLS,
    TOOLS,
    Executor,
    Matches,
    ToolContext,
    Toolset,
    catalog,
    path_filter,
    registry,
)
from schemas import ToolArguments, ToolSpec


class ListFilesArgs(ToolArguments):
    """List the project's files
    under a folder."""

    path: str | None = Field(None, description="Only files under this folder")


def test_a_tool_is_declared_in_one_place(shop: Store) -> None:
    toys = Toolset("python")

    @toys.tool(ListFilesArgs)
    def list_files(ctx: ToolContext, args: ListFilesArgs) -> Matches:
        wanted = path_filter(args.path)
        return [
            {"path": record.path, "line": 1, "language": record.language}
            for source in ctx.sources
            for record in reversed(ctx.files(source))
            if wanted(record.path)
        ]

    tools = registry(PYTHON_TOOLS, HTML_TOOLS, toys)
    assert catalog(tools)[:-1] == catalog() and "list_files" not in TOOLS
    assert catalog(tools)[-1] == {
        "type": "function",
        "function": {
            "name": "list_files",
            "description": "List the project's files under a folder.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"description": "Only files under this folder", "type": "string"}},
                "additionalProperties": False,
            },
        },
    }
    executor = Executor(shop, "shop", tools)
    result = executor("list_files", {"path": "src/shop/routes"}, limit=0)
    on_disk = sorted(
        record.path for record in shop.files("shop", status="ok") if record.path.startswith("src/shop/routes/")
    )
    assert result.tool == "list_files" and [match["path"] for match in result.matches] == on_disk != []
    first = executor("list_files", {}, limit=2)
    assert first.truncated and len(first.matches) == 2 and first.total == len(shop.files("shop", status="ok"))
    with pytest.raises(ToolCallError, match="colour: Extra inputs are not permitted"):
        executor("list_files", {"colour": "red"})
    with pytest.raises(ToolCallError, match="no such tool"):
        Executor(shop, "shop")("list_files", {})


def test_each_description_is_its_arguments_docstring() -> None:
    for name, tool in TOOLS.items():
        assert tool.spec.description == tool.arguments.__doc__, name
        # pydantic puts a model's docstring in its schema's top-level `description`: not in `parameters`
        assert set(tool.spec.parameters) <= {"type", "properties", "required", "additionalProperties"}, name


def test_each_arguments_model_is_named_after_its_tool() -> None:
    for name, tool in TOOLS.items():
        assert tool.arguments.__name__ == "".join(part.title() for part in name.split("_")) + "Args"


def test_a_tool_needs_a_description_and_a_new_name() -> None:
    class UndescribedArgs(ToolArguments):
        path: str | None = None

    with pytest.raises(TypeError, match="UndescribedArgs needs a docstring"):
        ToolSpec.from_arguments("undescribed", UndescribedArgs)
    toys = Toolset("python")
    toys.tool(ListFilesArgs)(lambda ctx, args: [])
    with pytest.raises(ValueError, match="tool '<lambda>' is declared twice"):
        toys.tool(ListFilesArgs)(lambda ctx, args: [])
    again = Toolset("python")

    @again.tool(ListFilesArgs)
    def find_tests(ctx: ToolContext, args: ListFilesArgs) -> Matches:
        return []

    with pytest.raises(ValueError, match="tool 'find_tests' is declared twice"):
        registry(PYTHON_TOOLS, again)
