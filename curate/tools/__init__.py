"""The tools an assistant can call over a mined snapshot: their catalog and the executor that runs them.

- `context`: the snapshot a tool reads (`ToolContext`) and how it selects facts (`path_filter`, `fact_rows`)
- `toolset`: how a tool is declared (`Toolset.tool`), once: name, arguments model, runner
- `python`, `html`: the tools of each language, in catalog order
- `executor`: the catalog (`TOOLS`, `catalog()`), argument validation and `Executor` / `call_tool`
"""

from curate.tools.context import Matches, ToolContext, details, fact_rows, glob, path_filter, where
from curate.tools.executor import (
    DEFAULT_LIMIT,
    TOOLS,
    Executor,
    call_content,
    call_tool,
    catalog,
    error_content,
    parse_arguments,
    result_content,
)
from curate.tools.html import HTML_TOOLS
from curate.tools.python import MAX_LINE_CHARS, MAX_SOURCE_CHARS, PYTHON_TOOLS
from curate.tools.toolset import Page, PagedRunner, Runner, Tool, Toolset, paged, registry

__all__ = [
    "DEFAULT_LIMIT",
    "HTML_TOOLS",
    "MAX_LINE_CHARS",
    "MAX_SOURCE_CHARS",
    "PYTHON_TOOLS",
    "TOOLS",
    "Executor",
    "Matches",
    "Page",
    "PagedRunner",
    "Runner",
    "Tool",
    "ToolContext",
    "Toolset",
    "call_content",
    "call_tool",
    "catalog",
    "details",
    "error_content",
    "fact_rows",
    "glob",
    "paged",
    "parse_arguments",
    "path_filter",
    "registry",
    "result_content",
    "where",
]
