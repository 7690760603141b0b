"""The verifier: runs the stages in `STAGES` order on each record; the first failure rejects it.

Every record gets a `Verdict` (never an exception): its status, each stage's mark ("pass", "fail",
"skipped", "not run"), its length in tokens, and for a rejected record the `Rejection` (stage and
reason) that the store records. A new stage is a module with a `Stage` and one entry in `STAGES`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from curate.store import Store
from curate.tools import Executor
from curate.verify.grounding import GROUNDING
from curate.verify.length import DEFAULT_MAX_TOKENS, LENGTH, estimate_tokens
from curate.verify.replay import REPLAY
from curate.verify.schema import ARGUMENTS, SCHEMA, parse_example
from curate.verify.secrets import SECRETS
from curate.verify.stage import PASSED, Context, Passed, Stage, StageFailure, TokenCounter
from schemas import Example, Rejection

STAGES: list[Stage] = [SCHEMA, ARGUMENTS, REPLAY, GROUNDING, SECRETS, LENGTH]
"""The stages in the order they run; their names are `schemas.VERIFICATION_STAGES`."""


@dataclass(frozen=True)
class Verdict:
    example_id: str
    domain: str
    status: str
    """verified, stale, unverified (imported: nothing to replay against) or rejected."""
    checks: dict[str, str]
    tokens: int
    rejection: Rejection | None = None

    @property
    def passed(self) -> bool:
        return self.rejection is None


@dataclass
class Verifier:
    """Verifies examples of one domain against one store. Each distinct call is replayed once (the
    executor remembers its results): the store does not change while a verifier lives."""

    store: Store
    domain: str
    max_tokens: int = DEFAULT_MAX_TOKENS
    count_tokens: TokenCounter = estimate_tokens
    executor: Executor | None = None
    """The executor replays run on (synthesis passes its own, whose results it already holds); None:
    one is made when a stage first needs it."""
    stages: Sequence[Stage] = field(default_factory=lambda: list(STAGES))
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float), init=False)
    """Time spent in each stage, for benchmarks."""
    context: Context = field(init=False)

    def __post_init__(self) -> None:
        self.context = Context(
            self.store,
            self.domain,
            max_tokens=self.max_tokens,
            count_tokens=self.count_tokens,
            executor=self.executor,
        )

    def verify(self, record: dict[str, Any]) -> Verdict:
        checks = dict.fromkeys((stage.name for stage in self.stages), "not run")
        example_id = str(record.get("id", "?")) if isinstance(record, dict) else "?"
        domain = str(record.get("domain", self.domain)) if isinstance(record, dict) else self.domain
        tokens, status = 0, "verified"
        try:
            example = self._parse(record)
            for stage in self.stages:
                passed = self._run(stage, example)
                checks[stage.name] = passed.mark
                status = passed.status or status
                tokens = tokens if passed.tokens is None else passed.tokens
        except StageFailure as failure:
            checks[failure.stage] = "fail"
            rejection = Rejection(
                example_id=example_id, domain=domain, stage=failure.stage, reason=failure.reason, turn=failure.turn
            )
            failed = "stale" if failure.stale else "rejected"
            return Verdict(example_id, domain, failed, checks, tokens, rejection)
        return Verdict(example_id, domain, status, checks, tokens)

    def _parse(self, record: Any) -> Example:
        started = time.perf_counter()
        try:
            return parse_example(record)
        finally:
            self.seconds["schema"] += time.perf_counter() - started

    def _run(self, stage: Stage, example: Example) -> Passed:
        started = time.perf_counter()
        try:
            return stage.check(example, self.context) or PASSED
        finally:
            self.seconds[stage.name] += time.perf_counter() - started
