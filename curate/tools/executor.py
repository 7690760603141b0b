"""The tool catalog and its executor: validate a call's arguments, run the tool over a stored snapshot.

Tool results become the `tool` turns of training examples, so they come only from stored facts and
stored file contents (the snapshot that was mined), sorted by path then line, in one shape:
`{"tool": NAME, "total": N, "truncated": bool, "matches": [...]}`, and for the tools bound to
frameworks (`coverage.TOOL_KINDS`) `"coverage": {"uses": [...], "reads": [...], "unread": [...]}` last:
what the tool searched, so that an answer claims no absence beyond it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from curate.errors import InputError, ToolCallError
from curate.store import Store
from curate.tools.context import ToolContext
from curate.tools.coverage import TOOL_KINDS, coverage, imported_names
from curate.tools.html import HTML_TOOLS
from curate.tools.python import PYTHON_TOOLS
from curate.tools.toolset import Tool, registry
from schemas import ToolArguments, ToolResult
from schemas.tool import Coverage

DEFAULT_LIMIT = 20
"""Matches per tool result, in training examples and for `curate tool call` alike, so a model is
trained on the results it will be given: enough to answer, short enough for a small model's context.
On 60 tool calls each synthesized from the shop, site and asyncio samples, 7 had more than 20
matches; at 50 the longest asyncio tool turn grows from about 1,100 to 2,800 tokens, two thirds of
the 4,096-token length limit."""

TOOLS: dict[str, Tool] = registry(PYTHON_TOOLS, HTML_TOOLS)
"""Every tool by name, in catalog order: the Python tools, then the HTML tools."""


def catalog(tools: Mapping[str, Tool] = TOOLS) -> list[dict[str, Any]]:
    """The `tools` list an OpenAI / mlx-lm chat request would carry."""
    return [tool.spec.as_openai() for tool in tools.values()]


def parse_arguments(name: str, arguments: dict[str, Any], tools: Mapping[str, Tool] = TOOLS) -> ToolArguments:
    tool = tools.get(name)
    if tool is None:
        raise ToolCallError(name, f"no such tool (known: {', '.join(sorted(tools))})")
    try:
        return tool.arguments.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ToolCallError(name, problems) from None


class Executor:
    """Runs tool calls against one domain's stored snapshot, reading what the tools need once.

    Use one for a batch of calls over a store that does not change meanwhile (synthesis, replay);
    `call_tool` makes a fresh one per call. `tools` is the catalog's by default.
    """

    def __init__(self, store: Store, domain: str, tools: Mapping[str, Tool] = TOOLS) -> None:
        sources = tuple(source.name for source in store.sources(domain))
        if not sources:
            known = ", ".join(store.domains()) or "none yet"
            raise InputError(f"no domain {domain!r} in the store (domains: {known})")
        self.context = ToolContext(store, domain, sources)
        self.tools = tools
        self._results: dict[str, ToolResult] = {}
        self._coverage: dict[str, Coverage] = {}

    def __call__(self, name: str, arguments: dict[str, Any], limit: int = DEFAULT_LIMIT) -> ToolResult:
        """Run one tool call. `limit=0` returns every match. A call made before gives the result it
        gave then: the tools are pure functions of a snapshot that does not change meanwhile."""
        if limit < 0:
            raise ToolCallError(name, "limit must be 0 (no limit) or more")
        key = json.dumps([name, arguments, limit], sort_keys=True)
        if key not in self._results:
            parsed = parse_arguments(name, arguments, self.tools)
            try:
                page = self.tools[name].run(self.context, parsed, limit)
            except ValueError as error:
                raise ToolCallError(name, str(error)) from None
            truncated = len(page.matches) < page.total
            kind = TOOL_KINDS.get(name)
            self._results[key] = ToolResult(
                tool=name,
                total=page.total,
                truncated=truncated,
                matches=page.matches,
                coverage=self.coverage(kind) if kind else None,
            )
        return self._results[key]

    def coverage(self, kind: str) -> Coverage:
        """What a tool finding facts of `kind` searches in this domain (read once per kind)."""
        if kind not in self._coverage:
            imported = imported_names(self.context.store.imports(self.context.domain))
            self._coverage[kind] = coverage(kind, imported)
        return self._coverage[kind]


def result_content(result: ToolResult) -> str:
    """A result as a `tool` turn carries it: compact JSON, keys in the model's order, `coverage` only
    where the tool has one. Replay compares these bytes."""
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def error_content(error: ToolCallError) -> str:
    """A failed call as a `tool` turn carries it (a recovery example's): `{"tool": NAME, "error":
    PROBLEM}`, the problem as `curate tool call` prints it after `tool NAME: `."""
    return json.dumps({"tool": error.tool, "error": error.problem}, ensure_ascii=False, separators=(",", ":"))


def call_content(executor: Executor, name: str, arguments: dict[str, Any], limit: int = DEFAULT_LIMIT) -> str:
    """What a `tool` turn answering this call holds: the result, or the error of a call that fails."""
    try:
        return result_content(executor(name, arguments, limit))
    except ToolCallError as error:
        return error_content(error)


def call_tool(
    store: Store, domain: str, name: str, arguments: dict[str, Any], limit: int = DEFAULT_LIMIT
) -> ToolResult:
    """Run one tool call against a domain's stored snapshot. `limit=0` returns every match."""
    if limit < 0:
        raise ToolCallError(name, "limit must be 0 (no limit) or more")
    parse_arguments(name, arguments)
    return Executor(store, domain)(name, arguments, limit)
