"""The verifier: every stage runs in `STAGES` order, the first failure wins, and a new stage is one
entry in the list."""

from __future__ import annotations

import pytest

import curate.verify.verifier as verifier_module
from curate.store import Store
from curate.synth import Synthesizer
from curate.tools import Executor
from curate.verify import STAGES, Context, Stage, StageFailure, Verifier
from schemas import VERIFICATION_STAGES, Example, Rejection
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


def test_the_stages_run_in_the_recorded_order() -> None:
    assert tuple(stage.name for stage in STAGES) == VERIFICATION_STAGES


def out_of_scope(example: Example, context: Context) -> None:
    """A toy stage: this domain takes no questions about routes."""
    if example.intent == "routes":
        raise StageFailure("scope", f"{context.domain} takes no questions about routes")


def test_a_new_stage_is_one_entry_in_the_list(
    mined: Store, records: dict[str, Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verifier_module, "STAGES", [*STAGES, Stage("scope", out_of_scope)])
    outcome = Verifier(mined, "shop").verify(find(records, "tool_call:routes"))
    assert outcome.status == "rejected"
    assert outcome.rejection == Rejection(
        example_id=outcome.example_id, domain="shop", stage="scope", reason="shop takes no questions about routes"
    )
    assert outcome.checks == {**dict.fromkeys(VERIFICATION_STAGES, "pass"), "scope": "fail"}
    passing = Verifier(mined, "shop").verify(find(records, "tool_call:cli_commands"))
    assert (passing.status, passing.checks["scope"]) == ("verified", "pass")


def test_a_verifier_runs_the_stages_it_is_given(mined: Store, records: dict[str, Record]) -> None:
    first_two = Verifier(mined, "shop", stages=[*STAGES[:2], Stage("scope", out_of_scope)])
    record = find(records, "tool_call:routes")
    record["messages"][-1]["content"] = "There are 42 routes."
    outcome = first_two.verify(record)
    assert outcome.checks == {"schema": "pass", "arguments": "pass", "scope": "fail"}
    assert outcome.rejection is not None and outcome.rejection.stage == "scope"


def test_replay_runs_on_the_executor_it_is_given(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    made = Verifier(mined, "elsewhere").verify(record)
    assert made.rejection is not None
    assert (made.rejection.stage, made.rejection.reason) == (
        "replay",
        "the call fails now: no domain 'elsewhere' in the store (domains: shop, site)",
    )
    given = Verifier(mined, "elsewhere", executor=Executor(mined, "shop")).verify(record)
    assert given.passed
    synthesizer = Synthesizer(mined, "shop")
    assert synthesizer.verifier.context.executor is synthesizer.executor
