"""Each verification stage can fail: mutations of real synthesized examples, each caught by the
right stage with a reason that says what is wrong."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.mine import mine
from curate.store import Store
from curate.synth import synthesize
from curate.verify import Verifier, schema_problem
from tests.conftest import REPO, SAMPLE

SITE = REPO / "data" / "samples" / "html" / "site"
Record = dict[str, Any]


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("verify") / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    mine(store, SITE, domain="site", jobs=1)
    yield store
    store.close()


@pytest.fixture(scope="module")
def records(mined: Store) -> dict[str, Record]:
    """One verified record per intent and kind, from a real synthesis over the shop sample."""
    chosen: dict[str, Record] = {}
    for domain in ("shop", "site"):
        for item in synthesize(mined, domain, 80, seed=5).examples:
            chosen.setdefault(f"{item.record['kind']}:{item.record['intent']}", item.record)
    return chosen


def find(records: dict[str, Record], key: str, test: Callable[[Record], bool] = lambda r: True) -> Record:
    record = copy.deepcopy(records[key])
    assert test(record), key
    return record


def nonempty(record: Record) -> bool:
    return json.loads(record["messages"][2]["content"])["total"] > 0


def verdict(store: Store, record: Record, **options: Any) -> tuple[str | None, str]:
    result = Verifier(store, record["domain"], **options).verify(record)
    return (result.rejection.stage, result.rejection.reason) if result.rejection else (None, "")


def test_synthesized_examples_pass_every_stage(mined: Store, records: dict[str, Record]) -> None:
    for record in records.values():
        assert verdict(mined, record) == (None, ""), record["template"]
    outcome = Verifier(mined, "shop").verify(next(iter(records.values())))
    assert outcome.checks == dict.fromkeys(("schema", "arguments", "replay", "grounding", "secrets", "length"), "pass")


def test_a_tampered_tool_result_fails_replay(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    result = json.loads(record["messages"][2]["content"])
    result["matches"][0]["line"] += 1
    record["messages"][2]["content"] = json.dumps(result, separators=(",", ":"))
    stage, reason = verdict(mined, record)
    assert stage == "replay"
    assert "differs from a fresh run" in reason


def test_reformatted_but_equal_json_still_fails_replay(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes", nonempty)
    record["messages"][2]["content"] = json.dumps(json.loads(record["messages"][2]["content"]), indent=1)
    assert verdict(mined, record)[0] == "replay"


def test_a_wrong_line_in_the_answer_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes", nonempty)
    match = json.loads(record["messages"][2]["content"])["matches"][0]
    right = f"`{match['path']}:{match['line']}`"
    assert right in record["messages"][-1]["content"]
    record["messages"][-1]["content"] = record["messages"][-1]["content"].replace(right, f"`{match['path']}:999`")
    stage, reason = verdict(mined, record)
    assert (stage, reason) == ("grounding", f"{match['path']}:999 is not a location in the tool result")


def test_an_answer_naming_a_file_the_result_lacks_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    record["messages"][-1]["content"] += "\n\nSee also src/shop/billing.py for more."
    stage, reason = verdict(mined, record)
    assert stage == "grounding"
    assert "src/shop/billing.py" in reason


def test_an_invented_identifier_or_count_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    invented = copy.deepcopy(record)
    invented["messages"][-1]["content"] += "\n\nIt also defines `purge_everything`."
    assert verdict(mined, invented) == ("grounding", "`purge_everything` is not in the tool result")
    miscounted = copy.deepcopy(record)
    miscounted["messages"][-1]["content"] = "There are 42 commands in this project."
    assert verdict(mined, miscounted) == ("grounding", "the number 42 in the answer is not a count in the tool result")


def test_string_encoded_arguments_fail_the_schema(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    function = record["messages"][1]["tool_calls"][0]["function"]
    function["arguments"] = json.dumps(function["arguments"])
    stage, reason = verdict(mined, record)
    assert stage == "schema"
    assert "arguments" in reason and "dictionary" in reason


def test_an_extra_argument_fails_arguments(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:async_functions")
    record["messages"][1]["tool_calls"][0]["function"]["arguments"]["recursive"] = True
    stage, reason = verdict(mined, record)
    assert stage == "arguments"
    assert reason.startswith("find_symbols: arguments.recursive is not a parameter")


def test_wrong_types_and_enums_fail_arguments(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:heading_outline")
    record["messages"][1]["tool_calls"][0]["function"]["arguments"]["max_level"] = True
    assert verdict(mined, record) == ("arguments", "html_outline: arguments.max_level must be integer, not bool true")
    record = find(records, "tool_call:async_functions")
    record["messages"][1]["tool_calls"][0]["function"]["arguments"]["kind"] = "coroutine"
    stage, reason = verdict(mined, record)
    assert stage == "arguments"
    assert "arguments.kind must be one of" in reason


def test_the_schema_checker_is_strict_about_json_types() -> None:
    integer = {"type": "integer", "minimum": 1}
    assert schema_problem(True, integer, "n") == "n must be integer, not bool true"
    assert schema_problem(1.5, integer, "n") == "n must be integer, not float 1.5"
    assert schema_problem(0, integer, "n") == "n must be at least 1, not 0"
    assert schema_problem(1, {"type": "boolean"}, "flag") == "flag must be boolean, not int 1"
    assert (
        schema_problem(["x", 3], {"type": "array", "items": {"type": "string"}}, "a")
        == "a[1] must be string, not int 3"
    )
    assert schema_problem(3, integer, "n") is None


def test_an_invented_tool_fails_the_schema(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    record["messages"][1]["tool_calls"][0]["function"]["name"] = "delete_routes"
    assert verdict(mined, record) == ("schema", "tool 'delete_routes' does not exist")


def test_a_tool_not_offered_or_altered_fails_the_schema(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    record["tools"] = [tool for tool in record["tools"] if tool["function"]["name"] != "find_routes"]
    assert verdict(mined, record) == ("schema", "tool 'find_routes' is called but not offered")
    record = find(records, "tool_call:routes")
    record["tools"][1]["function"]["description"] = "Deletes routes."
    assert verdict(mined, record)[0] == "schema"


def test_an_unanswered_or_twice_answered_call_fails_the_schema(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    del record["messages"][2]
    assert verdict(mined, record) == (
        "schema",
        "calls ['" + record["messages"][1]["tool_calls"][0]["id"] + "'] are never answered",
    )
    record = find(records, "tool_call:routes")
    record["messages"].insert(3, copy.deepcopy(record["messages"][2]))
    stage, reason = verdict(mined, record)
    assert stage == "schema" and "answers no pending call" in reason


def test_a_direct_answer_naming_project_code_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "direct:concept:python")
    record["messages"][-1]["content"] += " In this project, see `reprice_command`."
    stage, reason = verdict(mined, record)
    assert stage == "grounding"
    assert "'reprice_command', local to the sources (src/shop/admin.py:" in reason


def test_a_direct_answer_may_name_public_libraries(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "direct:concept:python")
    record["messages"][-1]["content"] += " See `asyncio.TaskGroup`, `functools.lru_cache` and `typer.Typer`."
    assert verdict(mined, record) == (None, "")


def test_an_over_long_example_fails_length(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes")
    stage, reason = verdict(mined, record, max_tokens=100)
    assert stage == "length"
    assert reason.endswith("tokens, over the maximum of 100")
    tokens = Verifier(mined, "shop", count_tokens=lambda text: 7).verify(record).tokens
    assert tokens == 7


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


def test_garbage_records_are_rejected_not_raised(mined: Store) -> None:
    for garbage in ({}, {"id": "x", "domain": "shop"}, {"id": "x", "messages": "hello"}):
        stage, reason = verdict(mined, {"domain": "shop", **garbage})
        assert stage == "schema" and reason


def test_a_missing_source_path_in_a_fresh_store_is_a_replay_failure(records: dict[str, Record], tmp_path: Path) -> None:
    with Store.open(tmp_path / "other.duckdb") as other:
        mine(other, SAMPLE, domain="shop", jobs=1, exclude=["src/shop/cli.py", "src/shop/admin.py"])
        record = find(records, "tool_call:cli_commands", nonempty)
        assert verdict(other, record)[0] == "replay"


def _cli_answer(records: dict[str, Record]) -> tuple[Record, list[dict[str, Any]]]:
    record = find(records, "tool_call:cli_commands", nonempty)
    return record, json.loads(record["messages"][2]["content"])["matches"]


def _with_answer(record: Record, answer: str) -> Record:
    changed = copy.deepcopy(record)
    changed["messages"][-1]["content"] = answer
    return changed


def test_hallucinations_a_careless_teacher_would_write_fail_grounding(mined: Store, records: dict[str, Record]) -> None:
    record, matches = _cli_answer(records)
    answer = record["messages"][-1]["content"]
    first, second = matches[0], matches[1]
    swapped = answer.replace(f"`{first['function']}`", "@@").replace(
        f"`{second['function']}`", f"`{first['function']}`"
    )
    swapped = swapped.replace("@@", f"`{second['function']}`")
    line_as_count = next(m["line"] for m in matches if m["line"] != len(matches))
    cases = {
        "says none": ("There are no commands in this project.", "the answer says nothing was found"),
        "counts in words": (re.sub(rf"\b{len(matches)}\b", "eight", answer, count=1), "counts in words"),
        "a line number as a count": (
            re.sub(rf"\b{len(matches)}\b", str(line_as_count), answer, count=1),
            f"the number {line_as_count} in the answer is not a count",
        ),
        "a number ending a sentence": (answer + "\n\nThat is 99.", "the number 99"),
        "values swapped between matches": (swapped, "does not belong to the match at that location"),
        "an invented CamelCase name": (answer + "\n\nSee also ShopRegistry.", "'ShopRegistry'"),
        "a real file the result lacks": (answer + " See src/shop/models.py too.", "src/shop/models.py"),
        "a bare wrong location": (answer + f" Start at {first['path']}:999.", f"{first['path']}:999 is not a location"),
    }
    for name, (text, reason) in cases.items():
        stage, found = verdict(mined, _with_answer(record, text))
        assert stage == "grounding" and reason in found, (name, found)


def test_a_cut_code_block_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:read_symbol", nonempty)
    answer = record["messages"][-1]["content"]
    lines = answer.split("\n")
    code_line = next(i for i, line in enumerate(lines) if line.startswith("    "))
    cut = "\n".join(lines[:code_line] + lines[code_line + 1 :])
    stage, reason = verdict(mined, _with_answer(record, cut))
    assert (stage, reason) == ("grounding", "a code block in the answer is not a source or hits the tool returned")


def test_a_question_that_drifted_from_its_call_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:imports")
    module = record["messages"][1]["tool_calls"][0]["function"]["arguments"]["module"]
    record["messages"][0]["content"] = record["messages"][0]["content"].replace(module, "tomllib")
    stage, reason = verdict(mined, record)
    assert (stage, reason) == ("grounding", f"the question does not ask for module={module!r}")
    record = find(records, "tool_call:async_functions")
    record["messages"][0]["content"] += " Especially the ones in ShopClient."
    assert verdict(mined, record) == ("grounding", "the question names 'ShopClient', which the call does not use")


def test_an_empty_result_must_be_said(mined: Store, records: dict[str, Record]) -> None:
    record = copy.deepcopy(
        next(
            r for r in records.values() if r["kind"] == "tool_call" and r["intent"] != "read_symbol" and not nonempty(r)
        )
    )
    stage, reason = verdict(mined, _with_answer(record, "Here they are."))
    assert (stage, reason) == ("grounding", "the tool found nothing, but the answer does not say so")
