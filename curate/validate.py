"""`curate validate`: run the six verification stages again over what the store holds.

An example whose replay now differs because its source was re-mined becomes `stale`; one that fails
for any other reason becomes `rejected`. Each keeps its record, and its latest rejection says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curate.store import Store
from curate.verify import DEFAULT_MAX_TOKENS, TokenCounter, Verifier, estimate_tokens


@dataclass
class Validation:
    examples: int = 0
    status: Counter[str] = field(default_factory=Counter)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(domain, stage) -> examples that failed there."""

    @property
    def ok(self) -> bool:
        return not self.failed

    def stats(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "status": dict(sorted(self.status.items())),
            "failed": {f"{domain}/{stage}": count for (domain, stage), count in sorted(self.failed.items())},
        }


def validate(
    store: Store,
    *,
    run_id: str,
    domain: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
    on_progress: Callable[[int, int], None] | None = None,
) -> Validation:
    """Verify every stored example (of `domain`, or all); `on_progress(done, total)` after each one."""
    validation = Validation()
    domains = [domain] if domain is not None else sorted({str(item.record["domain"]) for item in store.examples()})
    total = len(store.example_ids(domain))
    for name in domains:
        stored = store.examples(domain=name)
        verifier = Verifier(store, name, max_tokens=max_tokens, count_tokens=count_tokens)
        updates = []
        rejections = []
        for item in stored:
            verdict = verifier.verify(item.record)
            updates.append((item.id, verdict.status, verdict.checks))
            validation.status[verdict.status] += 1
            if verdict.rejection is not None:
                rejections.append((verdict.rejection, item.record))
                validation.failed[(name, verdict.rejection.stage)] += 1
            if on_progress is not None:
                on_progress(validation.examples + len(updates), total)
        validation.examples += len(stored)
        store.update_checks(updates)
        store.record_example_rejections(rejections, run_id, replacing=[item.id for item in stored])
    store.record_run(run_id, "validate", validation.stats())
    return validation
