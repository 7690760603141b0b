"""The intent catalog: what users ask that needs the codebase, and how to answer it from real facts.

The intents are data (`data/intents/*.toml`, read once and checked by `catalog`); the call builders
(`calls`) and answer writers (`writers`) they name are code. `INTENTS` is the live catalog that
synthesis and verification read; `extra_intents(folder)` adds the intents of more files for a while.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from curate.intents.calls import BUILDERS, builder
from curate.intents.catalog import INTENTS_DIR, Catalog, load_catalog, shipped
from curate.intents.model import (
    MAX_SOURCE_LINES,
    UNSAFE,
    Answer,
    Call,
    Calls,
    DomainFacts,
    Intent,
    placeholders,
    usable,
)
from curate.intents.writers import WRITERS, writer

__all__ = [
    "BUILDERS",
    "CATALOG_VERSION",
    "INTENTS",
    "INTENTS_DIR",
    "MAX_SOURCE_LINES",
    "UNSAFE",
    "WRITERS",
    "Answer",
    "Call",
    "Calls",
    "Catalog",
    "DomainFacts",
    "Intent",
    "active_catalog",
    "builder",
    "extra_intents",
    "intents_for",
    "load_catalog",
    "placeholders",
    "usable",
    "writer",
]

CATALOG_VERSION = shipped().version
INTENTS: dict[str, Intent] = dict(shipped().intents)
"""The intents in use: the shipped ones, or with `extra_intents` those of more files too."""
_active: list[Catalog] = [shipped()]


def active_catalog() -> Catalog:
    """The catalog `INTENTS` holds now: its version is what examples record, its template words
    what verification lets a question use."""
    return _active[-1]


def intents_for(languages: Iterable[str], names: Iterable[str] | None = None) -> list[Intent]:
    wanted = set(names) if names is not None else None
    chosen = set(languages)
    return [
        intent for intent in INTENTS.values() if intent.language in chosen and (wanted is None or intent.name in wanted)
    ]


@contextmanager
def extra_intents(*folders: Path) -> Iterator[Catalog]:
    """The shipped intents and those of the files under `folders`, in `INTENTS` until the block ends.

    Writers and builders the files name must be registered first (`@writer("name")`). Examples
    synthesized meanwhile record this catalog's version (a hash of all its files), and verification
    lets questions use the words of its templates."""
    catalog = load_catalog(INTENTS_DIR, *folders)
    saved = dict(INTENTS)
    INTENTS.clear()
    INTENTS.update(catalog.intents)
    _active.append(catalog)
    try:
        yield catalog
    finally:
        _active.remove(catalog)
        INTENTS.clear()
        INTENTS.update(saved)
