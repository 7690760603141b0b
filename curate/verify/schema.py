"""Stages 1 and 2: the record is a well-formed conversation, and every call's arguments fit its tool.

1. schema     it parses as an `Example`; roles come in a valid order; every tool call is answered
              exactly once; every called tool is offered and is the catalog's tool.
2. arguments  each call's arguments are valid against the tool's JSON Schema, checked by the `jsonschema`
              library under the draft the schema declares (2020-12 by default): a bool is not an int, a
              JSON string is not an object, `additionalProperties`, enums, `pattern`, `anyOf`,
              `maxLength`, `$ref` respected. A broken schema fails the row, never the run.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from jsonschema import ValidationError as SchemaViolation
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from pydantic import ValidationError
from referencing.exceptions import Unresolvable

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


def schema_problem(value: Any, schema: Any, where: str) -> str | None:
    """The most relevant way `value` breaks `schema`, or None, as `where.path: what`: the `jsonschema`
    library checks it under the draft the schema declares in `$schema` (2020-12 when it declares none).
    A schema an imported row brings may itself be broken (a type that is no JSON type, a minimum that
    is no number, a `$ref` to nowhere): that is the row's problem too, never a crash."""
    validator = _validator(schema)
    if isinstance(validator, str):
        return f"{where}: the tool's schema is broken here ({validator})"
    try:
        error = best_match(validator.iter_errors(value))
    except Unresolvable as unresolved:
        return f"{where}: the tool's schema is broken here (a $ref that resolves nowhere: {_short(str(unresolved))})"
    except (RecursionError, re.error, ValueError, TypeError) as broken:  # a $ref cycle, a pattern Python cannot compile
        return f"{where}: the tool's schema is broken here ({type(broken).__name__}: {_short(str(broken))})"
    return None if error is None else _readable(error, where)


_VALIDATORS: dict[str, Any] = {}


def _validator(schema: Any) -> Any:
    """A validator for `schema` (cached by the schema's JSON), or what makes the schema unusable."""
    if not isinstance(schema, dict):
        return "a schema must be an object"
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError) as error:
        return f"not JSON: {error}"
    if key not in _VALIDATORS:
        if len(_VALIDATORS) > 4096:  # an import of many distinct tools: keep memory bounded
            _VALIDATORS.clear()
        cls = validator_for(schema, default=Draft202012Validator)
        try:
            cls.check_schema(schema)
            _VALIDATORS[key] = cls(schema)
        except SchemaError as error:
            _VALIDATORS[key] = _schema_fault(error)
        except (Unresolvable, RecursionError) as error:  # a metaschema it cannot follow
            _VALIDATORS[key] = f"{type(error).__name__}: {_short(str(error))}"
    return _VALIDATORS[key]


def _schema_fault(error: SchemaError) -> str:
    """Where in the schema, and what is wrong there."""
    parts = list(error.absolute_path)
    is_type = error.validator in ("type", "anyOf") and bool(parts) and parts[-1] == "type"
    path = _path(parts[:-1] if is_type else parts).lstrip(".")
    where = f"at {path}: " if path else ""
    if is_type:
        return f"{where}type {json.dumps(error.instance)} is no JSON type"
    if error.validator == "type" and isinstance(error.validator_value, str):
        return f"{where}{json.dumps(error.instance)} is not {_article(error.validator_value)}"
    return f"{where}{_short(error.message)}"


def _article(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _readable(error: SchemaViolation, where: str) -> str:
    """One line a person can act on: the path into the arguments, then what is wrong there."""
    path = where + _path(error.absolute_path)
    value, expected = error.instance, error.validator_value
    shown = _short(json.dumps(value, ensure_ascii=False), 80)
    if error.validator == "type":
        names = expected if isinstance(expected, str) else " or ".join(expected)
        return f"{path} must be {names}, not {type(value).__name__} {shown}"
    if error.validator == "enum":
        return f"{path} must be one of {expected}, not {shown}"
    exclusive = error.schema.get("exclusiveMinimum") is True or error.schema.get("exclusiveMaximum") is True
    if error.validator == "minimum" and not exclusive:  # (draft 4 writes an exclusive bound as a flag)
        return f"{path} must be at least {expected}, not {shown}"
    if error.validator == "maximum" and not exclusive:
        return f"{path} must be at most {expected}, not {shown}"
    if error.validator == "required":
        missing = next((name for name in expected if name not in value), "?")
        return f"{path}.{missing} is required"
    if error.validator == "additionalProperties" and expected is False and isinstance(value, dict):
        known = error.schema.get("properties", {})
        extra = next(name for name in sorted(value) if name not in known and not _patterned(error.schema, name))
        return f"{path}.{extra} is not a parameter (known: {', '.join(sorted(known))})"
    return f"{path}: {_short(error.message)}"


def _path(parts: Any) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _patterned(schema: dict[str, Any], name: str) -> bool:
    return any(re.search(pattern, name) for pattern in schema.get("patternProperties", {}))


SCHEMA = Stage("schema", lambda example, _context: check_conversation(example))
"""The verifier parses each record with `parse_example` (timed as this stage) before it runs."""
ARGUMENTS = Stage("arguments", lambda example, _context: check_arguments(example))
