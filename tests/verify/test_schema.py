"""Stages 1 and 2: a malformed conversation fails `schema`; arguments that break the tool's JSON Schema
fail `arguments`; garbage is rejected, never raised."""

from __future__ import annotations

import copy
import json

from curate.store import Store
from curate.verify import schema_problem
from tests.verify.conftest import Record, find, verdict


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


def test_garbage_records_are_rejected_not_raised(mined: Store) -> None:
    for garbage in ({}, {"id": "x", "domain": "shop"}, {"id": "x", "messages": "hello"}):
        stage, reason = verdict(mined, {"domain": "shop", **garbage})
        assert stage == "schema" and reason
