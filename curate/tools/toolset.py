"""How a tool is declared: once, as a runner decorated with its arguments model, in a language's toolset.

The tool's name is the runner's name, its description the arguments model's docstring, its parameters
the model's fields. A toolset keeps its tools in the order they are declared, which is the catalog's
order (and so part of every training example's bytes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from curate.tools.context import Matches, ToolContext
from schemas import ToolArguments, ToolSpec

Arguments = TypeVar("Arguments", bound=ToolArguments)


@dataclass(frozen=True)
class Page:
    total: int
    matches: Matches
    """Sorted by path then line, at most `limit` of them (all when the limit is 0)."""


Runner = Callable[[ToolContext, Any], Matches]
PagedRunner = Callable[[ToolContext, Any, int], Page]
MatchesOf = Callable[[ToolContext, Arguments], Matches]
"""A runner that returns every match of a call with these arguments."""
PageOf = Callable[[ToolContext, Arguments, int], Page]
"""A runner that pages its own results."""


def paged(runner: Runner) -> PagedRunner:
    def run(ctx: ToolContext, args: Any, limit: int) -> Page:
        matches = sorted(runner(ctx, args), key=lambda match: (match["path"], match["line"]))
        return Page(len(matches), matches[:limit] if limit else matches)

    return run


@dataclass(frozen=True)
class Tool:
    name: str
    arguments: type[ToolArguments]
    run: PagedRunner
    languages: frozenset[str]
    """The languages of the domains it answers about (an intent's language must be one of them)."""

    @functools.cached_property
    def spec(self) -> ToolSpec:
        """Made when first asked for: a tool call needs no JSON Schema, and making one builds the
        arguments model's validator and serializer too."""
        return ToolSpec.from_arguments(self.name, self.arguments)


class Toolset:
    """The tools of one language, in the order they are declared."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.tools: list[Tool] = []

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.tools)

    def tool(
        self, arguments: type[Arguments], *, also: tuple[str, ...] = ()
    ) -> Callable[[MatchesOf[Arguments]], MatchesOf[Arguments]]:
        """Declare the decorated runner as a tool (serving this language and those `also` names). It
        returns every match; the executor sorts them by path then line and keeps the first `limit`."""

        def declare(runner: MatchesOf[Arguments]) -> MatchesOf[Arguments]:
            self.add(runner.__name__, arguments, paged(runner), also)
            return runner

        return declare

    def paged_tool(
        self, arguments: type[Arguments], *, also: tuple[str, ...] = ()
    ) -> Callable[[PageOf[Arguments]], PageOf[Arguments]]:
        """Declare the decorated runner as a tool that pages its own results (it is given `limit`)."""

        def declare(runner: PageOf[Arguments]) -> PageOf[Arguments]:
            self.add(runner.__name__, arguments, runner, also)
            return runner

        return declare

    def add(self, name: str, arguments: type[ToolArguments], run: PagedRunner, also: tuple[str, ...] = ()) -> Tool:
        if any(tool.name == name for tool in self.tools):
            raise ValueError(f"tool {name!r} is declared twice")
        tool = Tool(name, arguments, run, frozenset({self.language, *also}))
        self.tools.append(tool)
        return tool


def registry(*toolsets: Toolset) -> dict[str, Tool]:
    """The tools of these toolsets by name, in toolset then declaration order."""
    tools: dict[str, Tool] = {}
    for toolset in toolsets:
        for tool in toolset:
            if tool.name in tools:
                raise ValueError(f"tool {tool.name!r} is declared twice")
            tools[tool.name] = tool
    return tools
