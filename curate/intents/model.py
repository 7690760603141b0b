"""What an intent is: query templates, a builder of tool calls from a domain's facts, an answer writer.

A template may be used for a call only when its placeholders name every slot the call fills (so the
question says everything the arguments say); `{project}` is always free.
"""

from __future__ import annotations

import posixpath
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curate.answers import Style
from curate.tools import ToolContext
from schemas import Fact, ToolResult

MAX_SOURCE_LINES = 60
"""read_symbol examples show symbols up to this long; longer ones would only fail the length stage."""
UNSAFE = frozenset("*?[`\n")


@dataclass(frozen=True)
class Call:
    arguments: dict[str, Any]
    slots: dict[str, str] = field(default_factory=dict)
    expect_match: bool = False
    """Built from a name the facts hold, so the tool must find it: an empty result is a bug to report."""


def usable(value: str) -> bool:
    """A fact's value can fill a slot when the tools will read it literally (no glob characters) and
    the question can quote it (no backticks or line breaks)."""
    return bool(value.strip()) and not UNSAFE & set(value)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class DomainFacts:
    """The facts of one domain as intents need them: by kind, with the paths the tools show."""

    def __init__(self, context: ToolContext, project: str) -> None:
        self.context = context
        self.project = project

    def of(self, *kinds: str) -> list[tuple[str, Fact]]:
        return [(shown, item.fact) for shown, item in self.context.located(*kinds)]

    def folders(self, *kinds: str) -> list[str]:
        """The folders that hold facts of these kinds (each file's folder), sorted."""
        return sorted({posixpath.dirname(path) for path, _ in self.of(*kinds)} - {""})

    def files(self, *kinds: str) -> list[str]:
        return sorted({path for path, _ in self.of(*kinds)})


Calls = Callable[[DomainFacts], list[Call]]
Answer = Callable[[ToolResult, Call, Style], str]


@dataclass(frozen=True)
class Intent:
    name: str
    tool: str
    language: str
    templates: tuple[str, ...]
    calls: Calls
    answer: Answer

    def phrasings(self, call: Call) -> list[tuple[int, str]]:
        """(template number, template) for the templates that fit the call's slots exactly."""
        wanted = set(call.slots)
        return [
            (number, template)
            for number, template in enumerate(self.templates)
            if placeholders(template) - {"project"} == wanted
        ]
