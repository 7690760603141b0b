"""What `curate mine`'s worker processes run (`curate.pool`): a file's extraction, its facts laid out
as the store's `facts` columns (`curate.fact_columns`), so that the parent does no work per fact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from operator import itemgetter

from curate.columns import Columns
from curate.fact_columns import fact_columns
from sources.extract import extract_file
from sources.extraction import Extraction


@dataclass(frozen=True)
class ExtractedFile:
    """A file's extraction less its rows, the rows as `facts` columns, and how many facts of each kind."""

    extraction: Extraction
    facts: Columns
    kinds: dict[str, int]


def extract_file_columns(
    source: str, path: str, data: bytes, language: str, module: str, is_package: bool, max_bytes: int | None
) -> ExtractedFile:
    """`sources.extract.extract_file`, its facts laid out for the store, in source `source`."""
    extraction = extract_file(path, data, language, module, is_package, max_bytes)
    return ExtractedFile(
        replace(extraction, rows=[]),
        fact_columns(source, extraction.rows, "extract"),
        dict(Counter(map(itemgetter(0), extraction.rows))),
    )
