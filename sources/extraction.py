"""What extracting one file gives, whatever its language, and the guard every language's driver runs in.

Facts travel from the worker processes as rows (plain tuples, `detail` already JSON): pickling
and encoding hundreds of thousands of pydantic objects in the one parent process would cost more
than the parsing the workers do in parallel.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sources.files import size_limit, too_large

if TYPE_CHECKING:
    from schemas import Fact

Redact = Callable[[str], str]
"""What a driver applies to a file's text right after decoding it, before anything reads it (the
worker's secret redaction: the decoded text is what is scanned, whatever the file's encoding)."""

FactRow = tuple[str, str, str, str, int, int, str]
"""(kind, name, qualname, path, line, end_line, detail as JSON)."""


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def dump_detail(detail: dict[str, Any]) -> str:
    return _ENCODER.encode(detail)


def to_rows(facts: Iterable[Fact]) -> list[FactRow]:
    return [
        (fact.kind, fact.name, fact.qualname, fact.path, fact.line, fact.end_line, dump_detail(fact.detail))
        for fact in facts
    ]


def from_row(row: FactRow) -> Fact:
    """The validated fact behind a row."""
    # Imported here: the workers make rows, and an HTML worker never needs pydantic's models.
    from schemas import Fact

    kind, name, qualname, path, line, end_line, detail = row
    return Fact.model_validate(
        {
            "kind": kind,
            "name": name,
            "qualname": qualname,
            "path": path,
            "line": line,
            "end_line": end_line,
            "detail": json.loads(detail),
        }
    )


@dataclass
class Extraction:
    """What extracting one file gave: fact rows, or the reason there are none."""

    rows: list[FactRow] = field(default_factory=list)
    status: str = "ok"
    reason: str | None = None
    error: str | None = None
    text: str | None = None
    lines: int = 0
    secrets: list[tuple[str, int]] = field(default_factory=list)
    """(kind, line) of each secret redacted from the file before extraction."""
    positions: str | None = None

    @property
    def facts(self) -> list[Fact]:
        return [from_row(row) for row in self.rows]


class ExtractionFailure(Exception):
    def __init__(self, reason: str, error: str) -> None:
        super().__init__(error)
        self.reason = reason
        self.error = error


def failed(reason: str, error: str) -> Extraction:
    return Extraction(status="failed", reason=reason, error=error)


def guarded(
    data: bytes,
    language: str,
    max_bytes: int | None,
    is_binary: Callable[[bytes], bool],
    extract: Callable[[], Extraction],
) -> Extraction:
    """What the drivers share around their own work: a file over the size limit (`max_bytes`, else its
    language's) or one that looks binary is refused before any decoding; a failure the driver raises,
    and a recursion that runs too deep, come back as a failed extraction with its reason. Never
    raises for a bad file."""
    try:
        limit = size_limit(language, max_bytes)
        if len(data) > limit:
            raise ExtractionFailure("too_large", too_large(len(data), language, limit))
        if is_binary(data):
            raise ExtractionFailure("binary", "contains NUL bytes")
        return extract()
    except ExtractionFailure as failure:
        return failed(failure.reason, failure.error)
    except RecursionError:
        return failed("too_deeply_nested", "nesting exceeds the recursion limit")
