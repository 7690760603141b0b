"""Reports: what an audit finds in a set of examples, and the policy it is held to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReportRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Share(ReportRecord):
    value: str
    count: int
    share: float


class LengthStats(ReportRecord):
    counted_with: str
    minimum: int
    median: int
    p90: int
    p99: int
    maximum: int
    mean: float
    histogram: list[tuple[int, int, int]]
    """(from, to, examples): token counts in [from, to)."""


class RejectionCount(ReportRecord):
    stage: str
    reason: str
    count: int


class SplitRow(ReportRecord):
    value: str
    counts: list[int]
    """Examples in each of the table's splits, in the table's order."""
    total: int


class SplitTable(ReportRecord):
    """One dimension's values against the splits: how many examples of each value each split holds."""

    splits: list[str]
    """train, valid, test (each whether or not it holds examples), then any other split by name."""
    rows: list[SplitRow]
    """Sorted by total, then value, like the breakdowns."""


class Sample(ReportRecord):
    id: str
    question: str
    """The user's words, shortened to `SAMPLE_CHARS` characters."""


class AuditReport(ReportRecord):
    scope: str
    examples: int
    breakdowns: dict[str, list[Share]]
    """By domain, kind, intent, tool, template, split, source, license, shape (`schemas.SHAPES`) and
    calls (tool calls in the conversation: 0, 1, 2, 3+): sorted by count, then value."""
    pairs: int
    paired_share: float
    """Examples that belong to a matched pair whose other member is in the scope too."""
    broken_pairs: int
    empty_result_share: float
    """Of the tool-call examples, those whose tool found nothing."""
    lengths: LengthStats | None
    near_duplicate_clusters: int
    examples_in_clusters: int
    rejections: list[RejectionCount]
    secrets: dict[str, int] = Field(default_factory=dict)
    """Secrets redacted while mining the scope's sources, by kind (never the secrets)."""
    by_split: dict[str, SplitTable] = Field(default_factory=dict)
    """Domain, kind and language (of the tools called, else of the domain's files) against the splits."""
    samples: dict[str, dict[str, list[Sample]]] = Field(default_factory=dict)
    """A few examples of each value of domain, kind, language and shape: the first by id."""
    shared_turns: int = 0
    """Normalized user turns (case, spacing and punctuation aside) asked in more than one split: each
    lets the test measure a memorized phrasing."""
    shared_turn_samples: dict[str, list[str]] = Field(default_factory=dict)
    """A few of them (the first in order), each with the splits it is asked in."""
    warnings: list[str] = Field(default_factory=list)
    """What a reader should know whatever the policy: a domain or language with no test examples, a
    user turn asked in two splits."""
    violations: list[str] = Field(default_factory=list)


class Tolerance(ReportRecord):
    target: float = Field(ge=0, le=1)
    tolerance: float = Field(0.0, ge=0, le=1)


class AuditPolicy(ReportRecord):
    """`--policy FILE` (TOML): targets an audit must meet, or `curate audit` exits 1."""

    tool_call_share: Tolerance | None = None
    min_per_domain: int | None = Field(None, ge=0)
    max_intent_share: float | None = Field(None, gt=0, le=1)
    max_template_share: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_empty_result_share: float | None = Field(None, ge=0, le=1)
    min_paired_share: float | None = Field(None, ge=0, le=1)
    min_test_per_domain: int | None = Field(None, ge=0)
    """Test examples each domain in the scope must have (1: every domain is tested)."""
    min_test_per_language: int | None = Field(None, ge=0)
    """Test examples each language in the scope (python, html) must have."""
    max_shared_turns: int | None = Field(None, ge=0)
    """Normalized user turns that may be asked in more than one split (0: none may)."""
