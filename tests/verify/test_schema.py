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


def test_the_jsonschema_library_catches_what_the_old_subset_let_through() -> None:
    def arguments(value: object, parameter: dict[str, object], **more: object) -> str | None:
        return schema_problem({"a": value}, {"type": "object", "properties": {"a": parameter}, **more}, "arguments")

    assert arguments("abc", {"type": "string", "pattern": "^[0-9]+$"}) == "arguments.a: 'abc' does not match '^[0-9]+$'"
    assert arguments("abcdef", {"type": "string", "maxLength": 3}) == "arguments.a: 'abcdef' is too long"
    assert (
        arguments(3.5, {"anyOf": [{"type": "string"}, {"type": "integer"}]})
        == "arguments.a: 3.5 is not valid under any of the given schemas"
    )
    defs = {"$defs": {"name": {"type": "string"}}}
    assert arguments(3, {"$ref": "#/$defs/name"}, **defs) == "arguments.a must be string, not int 3"
    assert arguments("x", {"$ref": "#/$defs/name"}, **defs) is None
    assert arguments(None, {"type": ["string", "null"]}) is None


def test_the_draft_a_schema_declares_is_the_one_checked() -> None:
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 4, "exclusiveMaximum": True}
    assert schema_problem(4, draft4, "n") == "n: 4 is greater than or equal to the maximum of 4"
    # in 2020-12 exclusiveMaximum is a number: the same schema is broken there
    draft2020 = {key: value for key, value in draft4.items() if key != "$schema"}
    assert schema_problem(4, draft2020, "n") == (
        "n: the tool's schema is broken here (at exclusiveMaximum: true is not a number)"
    )


def test_a_broken_schema_is_a_problem_never_a_crash() -> None:
    broken = {
        "a $ref to nowhere": {"$ref": "#/$defs/missing"},
        "a remote $ref": {"$ref": "https://example.com/schema.json"},
        "a pattern that is no regex": {"type": "string", "pattern": "["},
        "an enum that is no list": {"enum": "x"},
        "a schema that is no object": ["string"],
    }
    for what, schema in broken.items():
        problem = schema_problem("x", schema, "q")
        assert problem is not None and problem.startswith("q: the tool's schema is broken here ("), what
