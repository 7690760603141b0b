"""What extracting one file gives, whatever its language."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Fact


@dataclass
class Extraction:
    """What extracting one file gave: facts, or the reason there are none."""

    facts: list[Fact] = field(default_factory=list)
    status: str = "ok"
    reason: str | None = None
    error: str | None = None
    text: str | None = None
    lines: int = 0
    positions: str | None = None


class ExtractionFailure(Exception):
    def __init__(self, reason: str, error: str) -> None:
        super().__init__(error)
        self.reason = reason
        self.error = error
