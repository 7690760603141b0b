"""The verifier: every stage runs in `STAGES` order, the first failure wins, and a new stage is one
entry in the list."""

from __future__ import annotations

from curate.store import Store
from curate.verify import Verifier
from tests.verify.conftest import Record, find, nonempty, verdict


def test_synthesized_examples_pass_every_stage(mined: Store, records: dict[str, Record]) -> None:
    for record in records.values():
        assert verdict(mined, record) == (None, ""), record["template"]
    outcome = Verifier(mined, "shop").verify(next(iter(records.values())))
    assert outcome.checks == dict.fromkeys(("schema", "arguments", "replay", "grounding", "secrets", "length"), "pass")


def test_stage_order_first_failure_wins(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes", nonempty)
    record["messages"][1]["tool_calls"][0]["function"]["arguments"]["verb"] = "GET"
    record["messages"][-1]["content"] = "There are 42 routes."
    outcome = Verifier(mined, "shop").verify(record)
    assert outcome.checks == {
        "schema": "pass",
        "arguments": "fail",
        "replay": "not run",
        "grounding": "not run",
        "secrets": "not run",
        "length": "not run",
    }
