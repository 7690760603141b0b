"""Stages 1 and 2: the record is a well-formed conversation, and every call's arguments fit its tool.

1. schema     it parses as an `Example`; roles come in a valid order; every tool call is answered
              exactly once; every called tool is offered and is the catalog's tool.
2. arguments  each call's arguments are valid against the tool's JSON Schema, strictly: a bool is not
              an int, a JSON string is not an object, no extra keys, enums respected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from curate.tools import TOOLS
from curate.verify.stage import Stage, StageFailure, at_turn, call_turns, tool_results
from schemas import Example, Message, ToolCall, is_error_result


def parse_example(record: Any) -> Example:
    """The record as an `Example`; a record that is not one fails the schema stage."""
    try:
        return Example.model_validate(record)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "record"
        raise StageFailure("schema", f"{where}: {problem['msg']}") from None


def check_schema(record: Any) -> Example:
    """Stage 1 on a raw record: parse it, then check the conversation."""
    example = parse_example(record)
    check_conversation(example)
    return example


def check_conversation(example: Example) -> None:
    messages = example.messages
    start = 1 if messages and messages[0].role == "system" else 0
    if len(messages) <= start or messages[start].role != "user":
        raise StageFailure("schema", "the conversation must open with a user turn (after an optional system turn)")
    if messages[-1].role != "assistant" or not messages[-1].content or messages[-1].tool_calls:
        raise StageFailure("schema", "the conversation must end with an assistant answer")
    if not all(isinstance(tool.get("function"), dict) for tool in example.tools):
        raise StageFailure("schema", "every offered tool needs a `function` object")
    offered = {tool["function"].get("name"): tool for tool in example.tools}
    pending: set[str] = set()
    answered: set[str] = set()
    previous = "user"
    for index, message in enumerate(messages[start + 1 :], start + 1):
        with at_turn(index):
            check_turn(example, message, previous, pending, answered, offered)
        previous = message.role
    for name, tool in offered.items():
        # imported datasets bring their own tools; everything else must offer the catalog's own
        if example.provenance.imported is None and (name not in TOOLS or tool != TOOLS[name].spec.as_openai()):
            raise StageFailure("schema", f"offered tool {name!r} is not the catalog's tool")
        if not isinstance(tool.get("function", {}).get("parameters"), dict):
            raise StageFailure("schema", f"offered tool {name!r} has no parameters schema")
    has_calls = bool(example.calls)
    if has_calls != (example.kind == "tool_call"):
        raise StageFailure("schema", f"a {example.kind} example must {'' if not has_calls else 'not '}call a tool")


def check_turn(
    example: Example,
    message: Message,
    previous: str,
    pending: set[str],
    answered: set[str],
    offered: dict[str, Any],
) -> None:
    """One turn after the first user turn, against the calls still waiting for their results."""
    if message.role == "system":
        raise StageFailure("schema", "unexpected system turn after the conversation started")
    if message.role == "user":
        # a later user turn follows an assistant's answer or question, never a call still waiting
        if pending or previous != "assistant":
            raise StageFailure("schema", "a user turn must follow the assistant's answer")
        return
    if message.role == "tool":
        if previous not in ("assistant", "tool") or message.tool_call_id not in pending:
            raise StageFailure("schema", f"tool turn {message.tool_call_id!r} answers no pending call")
        pending.discard(str(message.tool_call_id))
        answered.add(str(message.tool_call_id))
        return
    if pending:
        raise StageFailure("schema", f"calls {sorted(pending)} are never answered")
    for call in message.tool_calls or []:
        if call.id in answered or call.id in pending:
            raise StageFailure("schema", f"tool call id {call.id!r} is used twice")
        if call.function.name not in TOOLS and example.provenance.imported is None:
            raise StageFailure("schema", f"tool {call.function.name!r} does not exist")
        if call.function.name not in offered:
            raise StageFailure("schema", f"tool {call.function.name!r} is called but not offered")
        pending.add(call.id)


def check_arguments(example: Example) -> None:
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in example.tools}
    results = tool_results(example)
    where = call_turns(example)
    for call in example.calls:
        problem = schema_problem(call.function.arguments, offered[call.function.name], "arguments")
        if problem and not corrected(example, call, results):
            raise StageFailure("arguments", f"{call.function.name}: {problem}", turn=where[call.id])


def corrected(example: Example, call: ToolCall, results: dict[str, str]) -> bool:
    """A call with invalid arguments is part of a recovery: its result is the tool's error and a
    later call in the same user turn calls the same tool again (replay checks the error is real)."""
    if not is_error_result(results.get(call.id)):
        return False
    later = False
    for message in example.messages[call_turns(example)[call.id] + 1 :]:
        if message.role == "user":
            return False
        for other in message.tool_calls or []:
            later = later or other.function.name == call.function.name
    return later


JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
    "null": lambda value: value is None,
}


def schema_problem(value: Any, schema: Any, where: str) -> str | None:
    """The first way `value` breaks `schema` (the JSON Schema subset tool specs use), or None. A schema
    an imported row brings may itself be broken (a type that is no JSON type, a minimum that is no
    number): that is the row's problem too, never a crash."""
    broken = _broken(schema)
    if broken:
        return f"{where}: the tool's schema is broken here ({broken})"
    expected = schema.get("type")
    if expected is not None and not any(JSON_TYPES[name](value) for name in _types(expected)):
        shown = expected if isinstance(expected, str) else " or ".join(expected)
        return f"{where} must be {shown}, not {type(value).__name__} {json.dumps(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {schema['enum']}, not {json.dumps(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} must be at least {schema['minimum']}, not {value}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} must be at most {schema['maximum']}, not {value}"
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return f"{where} must have at least {schema['minLength']} characters"
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problem = schema_problem(item, schema["items"], f"{where}[{index}]")
            if problem:
                return problem
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                return f"{where}.{name} is required"
        for name, item in value.items():
            if name not in properties:
                if schema.get("additionalProperties") is False:
                    return f"{where}.{name} is not a parameter (known: {', '.join(sorted(properties))})"
                continue
            problem = schema_problem(item, properties[name], f"{where}.{name}")
            if problem:
                return problem
    return None


def _types(expected: Any) -> list[str]:
    return [expected] if isinstance(expected, str) else list(expected)


def _broken(schema: Any) -> str | None:
    """What makes this level of a schema unusable, or None."""
    if not isinstance(schema, dict):
        return "a schema must be an object"
    expected = schema.get("type")
    if expected is not None:
        names = _types(expected) if isinstance(expected, str | list) else [expected]
        unknown = [name for name in names if not isinstance(name, str) or name not in JSON_TYPES]
        if unknown or not names:
            return f"type {json.dumps(expected)} is no JSON type"
    for bound in ("minimum", "maximum", "minLength"):
        if bound in schema and (isinstance(schema[bound], bool) or not isinstance(schema[bound], int | float)):
            return f"{bound} {json.dumps(schema[bound])} is not a number"
    if "enum" in schema and not isinstance(schema["enum"], list):
        return "enum must be a list"
    if not isinstance(schema.get("properties", {}), dict) or not isinstance(schema.get("required", []), list):
        return "properties must be an object and required a list"
    return None


SCHEMA = Stage("schema", lambda example, _context: check_conversation(example))
"""The verifier parses each record with `parse_example` (timed as this stage) before it runs."""
ARGUMENTS = Stage("arguments", lambda example, _context: check_arguments(example))
