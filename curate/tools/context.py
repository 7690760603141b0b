"""The snapshot every tool reads, and how a tool selects from it: by path, by glob, by fact kind.

A tool sees one domain's stored facts and file contents (the snapshot that was mined), never the live
files, so that its results can be replayed. `fact_rows` is the shape most tools share: one row per
stored fact of a kind under `path=` that a predicate keeps, each row opening with `path` and `line`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from curate.store import Store, StoredFact
from schemas import Fact, FileRecord

GLOB_CHARS = frozenset("*?[")
PYTHON_LINE_END = re.compile(r"\r\n|\r|\n")

Matches = list[dict[str, Any]]
Flags = Mapping[str, bool]
"""True-or-false values a fact's detail must hold (`{"is_method": False}`)."""
Selection = tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]
"""The kinds and flags of a fact query, as the context caches it."""
Row = Callable[[Fact], dict[str, Any]]
"""The fields of one match after its `path` and `line`, read from a fact."""


@dataclass(frozen=True)
class ToolContext:
    """One domain's snapshot as the tools see it. Facts and file lists are read once per context:
    a context lives for one call, or for one verification run over a store nobody writes to."""

    store: Store
    domain: str
    sources: tuple[str, ...]
    _facts: dict[Selection, list[StoredFact]] = field(default_factory=dict, compare=False, repr=False)
    _files: dict[str, list[FileRecord]] = field(default_factory=dict, compare=False, repr=False)
    _located: dict[Selection, list[tuple[str, StoredFact]]] = field(default_factory=dict, compare=False, repr=False)
    _lines: dict[tuple[str, str, bool], list[str]] = field(default_factory=dict, compare=False, repr=False)

    def display_path(self, stored: StoredFact) -> str:
        """Paths are relative to the mined root; a domain of several sources prefixes the source."""
        return self.shown(stored.source, stored.fact.path)

    def shown(self, source: str, path: str) -> str:
        return f"{source}/{path}" if len(self.sources) > 1 else path

    def facts(self, *kinds: str, flags: Flags | None = None) -> list[StoredFact]:
        """Facts of these kinds; with `flags`, only those whose detail holds these true-or-false values
        (the store selects them: a call that wants the 2 dataclasses among 4,000 classes reads 2)."""
        key = (kinds, tuple(sorted((flags or {}).items())))
        if key not in self._facts:
            self._facts[key] = self.store.facts(domain=self.domain, kinds=kinds, flags=flags)
        return self._facts[key]

    def located(self, *kinds: str, flags: Flags | None = None) -> list[tuple[str, StoredFact]]:
        """Facts of these kinds (and `flags`), each with the path the tools show for it."""
        key = (kinds, tuple(sorted((flags or {}).items())))
        if key not in self._located:
            self._located[key] = [(self.display_path(item), item) for item in self.facts(*kinds, flags=flags)]
        return self._located[key]

    def lines(self, source: str, path: str, *, python: bool = False) -> list[str]:
        """A stored file's lines. Split on `\\n` only (a `\\r` stays at the end of its line), as text
        search counts them; or with `python`, where Python's tokenizer ends lines (`\\r\\n`, `\\r`,
        `\\n`, and not at the form feeds and other separators `str.splitlines` also breaks on)."""
        key = (source, path, python)
        if key not in self._lines:
            text = self.store.file_text(source, path) or ""
            self._lines[key] = PYTHON_LINE_END.split(text) if python else text.split("\n")
        return self._lines[key]

    def files(self, source: str) -> list[FileRecord]:
        """A source's files that were read and parsed."""
        if source not in self._files:
            self._files[source] = self.store.files(source, status="ok")
        return self._files[source]


def glob(value: str | None, pattern: str | None) -> bool:
    return pattern is None or (value is not None and fnmatch.fnmatchcase(value, pattern))


def path_filter(pattern: str | None) -> Callable[[str], bool]:
    """A predicate for `path=`: a glob, or a file or folder prefix. Never reaches outside the root."""
    if pattern is None:
        return lambda path: True
    cleaned = pattern.strip()
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    cleaned = cleaned.rstrip("/")
    if cleaned.startswith("/") or ".." in cleaned.split("/") or "\\" in cleaned:
        raise ValueError(f"path {pattern!r} must be relative to the project root, without '..'")
    if not cleaned:
        return lambda path: True
    if GLOB_CHARS & set(cleaned):
        return lambda path: fnmatch.fnmatchcase(path, cleaned) or fnmatch.fnmatchcase(path, cleaned + "/*")
    return lambda path: path == cleaned or path.startswith(cleaned + "/")


def where(ctx: ToolContext, path: str | None, *kinds: str, flags: Flags | None = None) -> list[tuple[str, StoredFact]]:
    """The facts of these kinds (and `flags`) with their shown paths, only those `path` selects."""
    located = ctx.located(*kinds, flags=flags)
    if path is None:
        return located
    wanted = path_filter(path)
    return [(shown, item) for shown, item in located if wanted(shown)]


def details(fact: Fact, *keys: str) -> dict[str, Any]:
    """These fields of the fact's detail, in this order."""
    return {key: fact.detail[key] for key in keys}


def fact_rows(
    ctx: ToolContext,
    kind: str,
    path: str | None,
    row: Row,
    keep: Callable[[Fact], bool] | None = None,
    *,
    flags: Flags | None = None,
) -> Matches:
    """One match per fact of `kind` (and `flags`) under `path` that `keep` accepts (all when it is
    None): `{"path": ..., "line": ..., **row(fact)}`, in the order the store gives them."""
    return [
        {"path": shown, "line": item.fact.line, **row(item.fact)}
        for shown, item in where(ctx, path, kind, flags=flags)
        if keep is None or keep(item.fact)
    ]
