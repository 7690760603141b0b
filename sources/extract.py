"""One entry point for the worker processes: extract a file by its language, its secrets redacted
from its decoded text before anything reads it. (Each language's extractor version is in `versions`.)"""

from __future__ import annotations

from sources.extraction import Extraction, failed
from sources.html import extract_html
from sources.secrets import SecretFinding
from sources.spellings import redact_text


def extract_file(
    path: str, data: bytes, language: str, module: str, is_package: bool, max_bytes: int | None = None
) -> Extraction:
    """Facts of one file, from its text with every secret redacted first: the text is decoded as its
    extractor decodes it (a declared `# coding:`, a `<meta charset>`, a byte-order mark) and scanned
    as decoded, in HTML also with its character references resolved, so nothing extracted or stored
    (facts, the file's text, a failure's message) can hold a secret in any of these spellings; the
    findings come with the result. `max_bytes` replaces the language's size limit. Running out of
    memory is `too_large`."""
    html = language == "html"
    found: list[SecretFinding] = []

    def redact(text: str) -> str:
        redacted, findings = redact_text(text, html=html)
        found.extend(findings)
        return redacted

    try:
        if html:
            extraction = extract_html(path, data, max_bytes, redact)
        else:
            # Imported when a Python file comes: libcst is half of a worker's start, which a mine of
            # pages never needs.
            from sources.python import extract_python

            extraction = extract_python(path, data, module, is_package, max_bytes, redact=redact)
    except MemoryError:  # past the worker's memory bound (curate.pool): the file's size, not a crash
        return failed("too_large", "ran out of memory: the file needs more than a worker may hold")
    if extraction.error is not None:  # a decoding error quotes what it could not decode
        extraction.error = redact_text(extraction.error)[0]
    extraction.secrets = found
    return extraction
