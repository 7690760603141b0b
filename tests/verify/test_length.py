"""Stage 6: a conversation over the token budget fails `length`; the verdict carries the count."""

from __future__ import annotations

from curate.store import Store
from curate.verify import Verifier
from tests.verify.conftest import Record, find, verdict


def test_an_over_long_example_fails_length(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    stage, reason = verdict(mined, record, max_tokens=100)
    assert stage == "length"
    assert reason.endswith("tokens, over the maximum of 100")
    tokens = Verifier(mined, "shop", count_tokens=lambda text: 7).verify(record).tokens
    assert tokens == 7
