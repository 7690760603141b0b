"""One entry point for the worker processes: redact a file's secrets, then extract it by its language."""

from __future__ import annotations

from sources.extraction import Extraction, failed
from sources.html import extract_html
from sources.python import extract_python
from sources.secrets import redact_secrets

EXTRACTOR_VERSIONS = {"python": "py3", "html": "html2"}
"""Bump a language's version when the facts extracted from the same bytes change: its stored files
are then mined again."""


def extract_file(
    path: str, data: bytes, language: str, module: str, is_package: bool, max_bytes: int | None = None
) -> Extraction:
    """Facts of one file, from its bytes with every secret redacted first: nothing extracted or stored
    (facts, the file's text) can hold a secret; the findings come with the result. `max_bytes`
    replaces the language's size limit. Running out of memory is `too_large`."""
    try:
        redacted, secrets = redact_secrets(data, html=language == "html")
        if language == "html":
            extraction = extract_html(path, redacted, max_bytes)
        else:
            extraction = extract_python(path, redacted, module, is_package, max_bytes)
    except MemoryError:  # past the worker's memory bound (curate.pool): the file's size, not a crash
        return failed("too_large", "ran out of memory: the file needs more than a worker may hold")
    extraction.secrets = secrets
    return extraction
