"""The HTML extractor: file bytes in, facts out (lxml), accessibility findings among them."""

from __future__ import annotations

import posixpath

from sources.extraction import Extraction, ExtractionFailure, FactRow, Redact, dump_detail, guarded
from sources.html.a11y import CHECKED_TAGS, RULES, Checks
from sources.html.decode import decode_html
from sources.html.document import LIBXML_VERSION, HtmlParseError, parse_html
from sources.html.facts import FACT_TAGS, FactBuilder, elements, heading_level, role_of, tag_of
from sources.html.names import untemplated

WALKED_TAGS = tuple(dict.fromkeys((*FACT_TAGS, *CHECKED_TAGS)))
DOCUMENT_DEFAULTS = {"title": None, "lang": None, "elements": 0, "title_templated": False}
"""What validating the page's fact adds (`HtmlDocumentDetail`'s defaults): its row is built as the
other rows are, with no model (pydantic is a third of a worker's start, and pages need none)."""


def is_template(path: str, text: str) -> bool:
    return "templates" in posixpath.dirname(path).split("/") or "{%" in text or "{{" in text


def extract_html(path: str, data: bytes, max_bytes: int | None = None, redact: Redact | None = None) -> Extraction:
    """Facts of one HTML page or template. Never raises for a bad file: the reason is in the result.
    `redact` is applied to the decoded text before it is parsed."""
    return guarded(data, "html", max_bytes, _has_nul, lambda: _extract(path, data, redact))


def _has_nul(data: bytes) -> bool:
    """NUL bytes near the start, unless a UTF-16 BOM says they are half of each character."""
    return b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _extract(path: str, data: bytes, redact: Redact | None) -> Extraction:
    decoded = decode_html(data)
    # A lone CR ends a line for browsers and editors; libxml2 counts only LF. Store LF only.
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if redact is not None:
        text = redact(text)
    template = is_template(path, text)
    document_detail = {
        "encoding": decoded.encoding,
        "encoding_warning": decoded.warning,
        "libxml_version": LIBXML_VERSION,
        "is_template": template,
    }
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)

    def page(**more: object) -> FactRow:
        detail = {**DOCUMENT_DEFAULTS, **document_detail, **more}
        return ("html_document", posixpath.basename(path), path, path, 1, max(lines, 1), dump_detail(detail))

    if not text.strip():
        return Extraction(rows=[page()], text=text, lines=lines, positions="scan")
    try:
        document = parse_html(text)
    except HtmlParseError as error:
        raise ExtractionFailure("parse_error", f"{path}: {error}") from None
    builder = FactBuilder(path, document)
    checks = Checks(document, builder.names)
    # One walk over the elements some fact or some rule needs (most of a page's are neither).
    for element in elements(document, WALKED_TAGS):
        tag, role = tag_of(element), role_of(element)
        level = heading_level(element, tag, role) if role or tag[0] == "h" else None
        builder.add(element, tag, role, level)
        checks.add(element, tag, role, level)
    rows = builder.finish()
    for finding in checks.finish(template):
        rows.append(
            builder.make(
                "a11y_finding",
                finding.rule,
                finding.element,
                rule=finding.rule,
                impact=RULES[finding.rule],
                message=finding.message,
                tag=str(finding.element.tag).lower(),
            )
        )
    title = next(
        (
            " ".join("".join(str(part) for part in element.itertext()).split())
            for element in document.root.iter("title")
            if not any(str(a.tag).lower() == "svg" for a in element.iterancestors())
        ),
        None,
    )
    title, title_templated = untemplated(title) if title is not None else (None, False)
    head = page(
        title=title or None, title_templated=title_templated, lang=document.root.get("lang"), elements=document.count()
    )
    return Extraction(rows=[head, *rows], text=text, lines=lines, positions="scan")
