"""One entry point for the worker processes: extract a file by its language."""

from __future__ import annotations

from sources.extraction import Extraction
from sources.html import extract_html
from sources.python import extract_python

EXTRACTOR_VERSIONS = {"python": "py1", "html": "html1"}
"""Bump a language's version when the facts extracted from the same bytes change: its stored files
are then mined again."""


def extract_file(path: str, data: bytes, language: str, module: str, is_package: bool) -> Extraction:
    if language == "html":
        return extract_html(path, data)
    return extract_python(path, data, module, is_package)
