"""Stage 4 for direct answers: the answer names nothing local to the domain's mined sources.

A direct answer is written without a tool, so a project's own names in it (a function, a class, a
path) would teach a model to invent them; public names (the standard library, installed
distributions, builtins, keywords) and plain words are fine.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata

from curate.tools import Executor
from curate.verify.stage import Context, StageFailure, at_turn
from schemas import Example


def check_direct_grounding(example: Example, context: Context) -> None:
    for index, message in enumerate(example.messages):
        if message.role == "assistant" and message.content:
            with at_turn(index):
                check_general_text(message.content, context)


def check_general_text(text: str, context: Context) -> None:
    """A text written without a tool names nothing local to the domain's sources."""
    local = context.derived(domain_local_names)
    for token in mentioned(text):
        if token in local:
            raise StageFailure("grounding", f"the direct answer names {token!r}, local to the sources ({local[token]})")


def domain_local_names(context: Context) -> dict[str, str]:
    """Names local to the domain's sources (not public library names), each with where it is."""
    mined = bool(context.store.sources(context.domain))
    # an imported domain that was never mined has no local names to leak
    return local_names(context.executor) if mined else {}


TOKEN = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*|[\w.-]+/[\w./-]+")


def mentioned(text: str) -> set[str]:
    tokens = set(TOKEN.findall(text))
    return tokens | {part for token in tokens for part in token.split(".")}


def distinctive(name: str) -> bool:
    """Names that would betray a project if a direct answer used them: not plain words."""
    core = name.strip("_")
    if len(core) < 4 or "/" in name:
        return "/" in name
    return "_" in core or "." in core or sum(char.isupper() for char in core) >= 2 or any(c.isdigit() for c in core)


GENERIC_TOP_LEVELS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "scripts", "benchmarks", "src"})
"""Top-level names some distributions ship by accident (`tests`): a project's own folder of that name
is still local."""


@cache
def public_modules() -> frozenset[str]:
    names = set(sys.stdlib_module_names) | set(metadata.packages_distributions())
    return frozenset(names - GENERIC_TOP_LEVELS)


@cache
def public_names() -> frozenset[str]:
    return frozenset(dir(builtins)) | frozenset(keyword.kwlist) | public_modules()


def local_names(executor: Executor) -> dict[str, str]:
    context = executor.context
    modules = {item.fact.path: item.fact.qualname for item in context.facts("module")}
    local: dict[str, str] = {}
    public = public_names()
    for item in context.facts("module", "class", "function", "fixture", "route", "cli_command", "test", "service"):
        fact = item.fact
        top = modules.get(fact.path, "").split(".")[0]
        if top in public_modules():
            continue
        where = f"{context.display_path(item)}:{fact.line}"
        for name in _names_of(fact.name, fact.qualname, fact.path):
            if name not in public and distinctive(name):
                local.setdefault(name, where)
    return local


def _names_of(*values: str) -> Iterable[str]:
    for value in values:
        yield value
        yield from value.split(".")
