"""Hand-made conversations of several shapes, built from real verified examples: the whole passes,
and a broken one is rejected by the stage and at the turn that hold the fault."""

from __future__ import annotations

import copy
import json
from typing import Any

from curate.store import Store
from curate.tools import Executor, call_content
from curate.verify import Verifier
from schemas import shape_of
from schemas.example import Message
from tests.verify.conftest import Record, find, nonempty


def verdict_at(store: Store, record: Record) -> tuple[str | None, int | None, str]:
    result = Verifier(store, record["domain"]).verify(record)
    rejection = result.rejection
    return (rejection.stage, rejection.turn, rejection.reason) if rejection else (None, None, "")


def shaped(base: Record, messages: list[dict[str, Any]]) -> Record:
    record = copy.deepcopy(base)
    record["messages"] = messages
    record["shape"] = shape_of([Message.model_validate(message) for message in messages])
    record["id"] = "hand-made"
    return record


def parallel(first: Record, second: Record) -> Record:
    question = first["messages"][0]["content"].rstrip("?.") + ", and " + second["messages"][0]["content"]
    calls = [*first["messages"][1]["tool_calls"], *second["messages"][1]["tool_calls"]]
    answer = first["messages"][3]["content"] + "\n\n" + second["messages"][3]["content"]
    return shaped(
        first,
        [
            {"role": "user", "content": question},
            {"role": "assistant", "tool_calls": calls},
            first["messages"][2],
            second["messages"][2],
            {"role": "assistant", "content": answer},
        ],
    )


def follow_up(first: Record, second: Record) -> Record:
    return shaped(first, [*first["messages"], *second["messages"]])


def test_a_parallel_conversation_passes_and_a_swapped_result_fails_replay_at_its_turn(
    mined: Store, records: dict[str, Record]
) -> None:
    routes = find(records, "tool_call:routes", nonempty)
    commands = find(records, "tool_call:cli_commands", nonempty)
    record = parallel(routes, commands)
    assert record["shape"] == "parallel"
    assert verdict_at(mined, record) == (None, None, "")
    swapped = copy.deepcopy(record)
    swapped["messages"][3]["content"] = routes["messages"][2]["content"]
    stage, turn, _ = verdict_at(mined, swapped)
    assert (stage, turn) == ("replay", 3)


def test_a_follow_up_answered_from_the_wrong_turn_fails_grounding_at_that_answer(
    mined: Store, records: dict[str, Record]
) -> None:
    routes = find(records, "tool_call:routes", nonempty)
    commands = find(records, "tool_call:cli_commands", nonempty)
    record = follow_up(routes, commands)
    assert record["shape"] == "multi_turn"
    assert verdict_at(mined, record) == (None, None, "")
    wrong = copy.deepcopy(record)
    wrong["messages"][-1]["content"] = routes["messages"][3]["content"]
    stage, turn, _ = verdict_at(mined, wrong)
    assert (stage, turn) == ("grounding", 7)


def test_a_chained_call_with_an_invented_argument_fails_grounding_at_its_call(
    mined: Store, records: dict[str, Record]
) -> None:
    routes = find(records, "tool_call:routes", nonempty)
    commands = find(records, "tool_call:cli_commands", nonempty)
    invented = copy.deepcopy(commands["messages"][1])
    invented["tool_calls"][0]["function"]["arguments"] = {"name": "invented_command"}
    result = copy.deepcopy(commands["messages"][2])
    result["content"] = call_content(Executor(mined, "shop"), "find_cli_commands", {"name": "invented_command"}, 20)
    chain = [*routes["messages"][:3], invented, result, commands["messages"][3]]
    record = shaped(routes, chain)
    assert record["shape"] == "multi_step"
    stage, turn, reason = verdict_at(mined, record)
    assert (stage, turn) == ("grounding", 3), reason


def test_an_invalid_call_passes_only_as_a_recovery(mined: Store, records: dict[str, Record]) -> None:
    routes = find(records, "tool_call:routes", nonempty)
    call = copy.deepcopy(routes["messages"][1]["tool_calls"][0])
    call["id"] = "call_wrong"
    call["function"]["arguments"] = {**call["function"]["arguments"], "verb": "GET"}
    error = Verifier(mined, "shop").context.executor
    try:
        error(call["function"]["name"], call["function"]["arguments"])
    except Exception as failure:  # the executor's own error is what the tool turn must hold
        content = json.dumps(
            {"tool": call["function"]["name"], "error": failure.problem},  # type: ignore[attr-defined]
            separators=(",", ":"),
        )
    failed = [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_wrong", "content": content},
    ]
    record = shaped(routes, [routes["messages"][0], *failed, *routes["messages"][1:]])
    assert record["shape"] == "recovery"
    assert verdict_at(mined, record) == (None, None, "")
    uncorrected = shaped(routes, [routes["messages"][0], *failed, {"role": "assistant", "content": "Sorry."}])
    stage, turn, _ = verdict_at(mined, uncorrected)
    assert (stage, turn) == ("arguments", 1)
    lying = copy.deepcopy(record)
    lying["messages"][2]["content"] = content.replace('error":"', 'error":"nothing: ')
    assert verdict_at(mined, lying)[:2] == ("replay", 2)
