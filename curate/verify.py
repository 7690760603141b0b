"""The five verification stages every example passes, in order; the first failure rejects it.

1. schema     it parses as an `Example`; roles come in a valid order; every tool call is answered
              exactly once; every called tool is offered and is the catalog's tool.
2. arguments  each call's arguments are valid against the tool's JSON Schema, strictly: a bool is not
              an int, a JSON string is not an object, no extra keys, enums respected.
3. replay     the call is run again against the store and must give the recorded result byte for
              byte; when the source has been re-mined since, the example is stale.
4. grounding  every identifier, `path:line`, path, code block and number in a tool-call answer comes
              from the tool results (or the call's own arguments); a direct answer names nothing
              local to the domain's mined sources (public library names are fine).
5. length     the conversation, tools included, fits the token budget.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any, TypeVar

from pydantic import ValidationError

from curate.errors import CurateError, InputError
from curate.store import Store
from curate.tools import TOOLS, Executor, result_content
from schemas import VERIFICATION_STAGES, Example, Rejection, ToolResult

DEFAULT_MAX_TOKENS = 4096
BYTES_PER_TOKEN = 3
"""The length estimate without a tokenizer: one token per 3 UTF-8 bytes of the JSON conversation and
tools, rounded up. BPE tokenizers of code models (Qwen2.5's included) average more bytes than that per
token on English, code and JSON, so the estimate errs long: it rejects early rather than truncating."""

TokenCounter = Callable[[str], int]
T = TypeVar("T")


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


class StageFailure(Exception):
    def __init__(self, stage: str, reason: str, *, stale: bool = False) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason
        self.stale = stale


@dataclass(frozen=True)
class Verdict:
    example_id: str
    domain: str
    status: str
    """verified, stale, unverified (imported: nothing to replay against) or rejected."""
    checks: dict[str, str]
    tokens: int
    rejection: Rejection | None = None

    @property
    def passed(self) -> bool:
        return self.rejection is None


@dataclass
class Verifier:
    """Verifies examples of one domain against one store. Each distinct call is replayed once (the
    executor remembers its results): the store does not change while a verifier lives."""

    store: Store
    domain: str
    max_tokens: int = DEFAULT_MAX_TOKENS
    count_tokens: TokenCounter = estimate_tokens
    _executor: Executor | None = field(default=None, init=False)
    _local: dict[str, str] | None = field(default=None, init=False)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float), init=False)
    """Time spent in each stage, for benchmarks."""

    def verify(self, record: dict[str, Any]) -> Verdict:
        checks = dict.fromkeys(VERIFICATION_STAGES, "not run")
        example_id = str(record.get("id", "?")) if isinstance(record, dict) else "?"
        domain = str(record.get("domain", self.domain)) if isinstance(record, dict) else self.domain
        tokens, status = 0, "verified"
        try:
            example = self._timed("schema", checks, lambda: check_schema(record))
            self._timed("arguments", checks, lambda: check_arguments(example))
            if example.provenance.imported is not None:
                checks["replay"] = "skipped"
                status = "unverified"
            else:
                self._timed("replay", checks, lambda: self.check_replay(example))
            grounding = check_tool_grounding if example.kind == "tool_call" else self.check_direct_grounding
            self._timed("grounding", checks, lambda: grounding(example))
            tokens = self._timed("length", checks, lambda: self.check_length(example))
        except StageFailure as failure:
            checks[failure.stage] = "fail"
            rejection = Rejection(example_id=example_id, domain=domain, stage=failure.stage, reason=failure.reason)
            failed = "stale" if failure.stale else "rejected"
            return Verdict(example_id, domain, failed, checks, tokens, rejection)
        return Verdict(example_id, domain, status, checks, tokens)

    def _timed(self, stage: str, checks: dict[str, str], run: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            value = run()
        finally:
            self.seconds[stage] += time.perf_counter() - started
        checks[stage] = "pass"
        return value

    # -- stage 5 -------------------------------------------------------------------------------
    def check_length(self, example: Example) -> int:
        tokens = self.count_tokens(conversation_text(example))
        if tokens > self.max_tokens:
            raise StageFailure("length", f"{tokens} tokens, over the maximum of {self.max_tokens}")
        return tokens

    # -- stage 3 -------------------------------------------------------------------------------
    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = Executor(self.store, self.domain)
        return self._executor

    def check_replay(self, example: Example) -> None:
        limit = example.provenance.tool_limit
        results = tool_results(example)
        for call in example.calls:
            try:
                fresh = self.executor()(call.function.name, call.function.arguments, limit or 0)
            except CurateError as error:
                raise StageFailure("replay", f"the call fails now: {error}") from None
            if results.get(call.id) != result_content(fresh):
                raise StageFailure("replay", self._differs(example, call.function.name), stale=self._is_stale(example))

    def _is_stale(self, example: Example) -> bool:
        current = {source.name: source.revision for source in self.store.sources(self.domain)}
        recorded = {source.name: source.revision for source in example.provenance.sources}
        return bool(recorded) and recorded != current

    def _differs(self, example: Example, tool: str) -> str:
        if self._is_stale(example):
            return f"stale: {tool} gives a different result since the source was re-mined"
        return f"the recorded {tool} result differs from a fresh run of the same call"

    # -- stage 4 (direct answers) ----------------------------------------------------------------
    def local_names(self) -> dict[str, str]:
        """Names local to the domain's sources (not public library names), each with where it is."""
        if self._local is None:
            self._local = local_names(self.executor())
        return self._local

    def check_direct_grounding(self, example: Example) -> None:
        local = self.local_names()
        for token in mentioned(example.answer):
            if token in local:
                raise StageFailure(
                    "grounding", f"the direct answer names {token!r}, local to the sources ({local[token]})"
                )


# -- stage 1 ------------------------------------------------------------------------------------
def check_schema(record: Any) -> Example:
    try:
        example = Example.model_validate(record)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "record"
        raise StageFailure("schema", f"{where}: {problem['msg']}") from None
    messages = example.messages
    start = 1 if messages and messages[0].role == "system" else 0
    if len(messages) <= start or messages[start].role != "user":
        raise StageFailure("schema", "the conversation must open with a user turn (after an optional system turn)")
    if messages[-1].role != "assistant" or not messages[-1].content or messages[-1].tool_calls:
        raise StageFailure("schema", "the conversation must end with an assistant answer")
    offered = {tool.get("function", {}).get("name"): tool for tool in example.tools}
    pending: set[str] = set()
    answered: set[str] = set()
    previous = "user"
    for message in messages[start + 1 :]:
        if message.role in ("user", "system"):
            raise StageFailure("schema", f"unexpected {message.role} turn after the conversation started")
        if message.role == "tool":
            if previous not in ("assistant", "tool") or message.tool_call_id not in pending:
                raise StageFailure("schema", f"tool turn {message.tool_call_id!r} answers no pending call")
            pending.discard(str(message.tool_call_id))
            answered.add(str(message.tool_call_id))
        else:
            if pending:
                raise StageFailure("schema", f"calls {sorted(pending)} are never answered")
            for call in message.tool_calls or []:
                if call.id in answered or call.id in pending:
                    raise StageFailure("schema", f"tool call id {call.id!r} is used twice")
                if call.function.name not in TOOLS:
                    raise StageFailure("schema", f"tool {call.function.name!r} does not exist")
                if call.function.name not in offered:
                    raise StageFailure("schema", f"tool {call.function.name!r} is called but not offered")
                pending.add(call.id)
        previous = message.role
    for name, tool in offered.items():
        if name not in TOOLS or tool != TOOLS[name].spec.as_openai():
            raise StageFailure("schema", f"offered tool {name!r} is not the catalog's tool")
    has_calls = bool(example.calls)
    if has_calls != (example.kind == "tool_call"):
        raise StageFailure("schema", f"a {example.kind} example must {'' if not has_calls else 'not '}call a tool")
    return example


# -- stage 2 ------------------------------------------------------------------------------------
def check_arguments(example: Example) -> None:
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in example.tools}
    for call in example.calls:
        problem = schema_problem(call.function.arguments, offered[call.function.name], "arguments")
        if problem:
            raise StageFailure("arguments", f"{call.function.name}: {problem}")


JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
    "null": lambda value: value is None,
}


def schema_problem(value: Any, schema: dict[str, Any], where: str) -> str | None:
    """The first way `value` breaks `schema` (the JSON Schema subset tool specs use), or None."""
    expected = schema.get("type")
    if expected is not None and not JSON_TYPES[expected](value):
        return f"{where} must be {expected}, not {type(value).__name__} {json.dumps(value)}"
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


# -- stage 4 (tool-call answers) ----------------------------------------------------------------
FENCE = re.compile(r"```[^\n]*\n(.*?)\n```", re.S)
SPAN = re.compile(r"`([^`\n]+)`")
LOCATION = re.compile(r"^(.+):(\d+)$")
NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
PATHLIKE = re.compile(r"[\w./-]+\.(?:py|pyi|html?)\b")
IDENTIFIER_LIKE = re.compile(r"\b(?:[A-Za-z]\w*_\w+|[a-z]+[A-Z]\w*|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
HIT_LINE = re.compile(r"^(.+?):(\d+): (.*)$")


def tool_results(example: Example) -> dict[str, str]:
    return {str(m.tool_call_id): m.content or "" for m in example.messages if m.role == "tool"}


@dataclass
class Evidence:
    strings: set[str] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    locations: set[tuple[str, int]] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)

    def add(self, value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int):
            self.numbers.add(value)
        elif isinstance(value, str):
            self.strings.add(value)
            self.numbers.update(int(number) for number in NUMBER.findall(value))
        elif isinstance(value, list):
            self.numbers.add(len(value))
            for item in value:
                self.add(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.add(item)

    def contains(self, text: str) -> bool:
        return text in self.strings or any(text in value for value in self.strings)


def evidence_of(example: Example) -> Evidence:
    evidence = Evidence()
    for call in example.calls:
        evidence.add(call.function.arguments)
        for value in call.function.arguments.values():
            if isinstance(value, str):
                evidence.add(value.removeprefix("xpath:"))
                evidence.add("@" + value)
    for content in tool_results(example).values():
        try:
            result = ToolResult.model_validate_json(content)
        except ValidationError:
            raise StageFailure("grounding", "a tool turn does not hold a tool result") from None
        evidence.numbers.update({result.total, len(result.matches)})
        for match in result.matches:
            evidence.add(match)
            path, line = match.get("path"), match.get("line")
            if isinstance(path, str):
                evidence.paths.add(path)
                for key in ("line", "end_line"):
                    if isinstance(match.get(key), int):
                        evidence.locations.add((path, match[key]))
            if isinstance(path, str) and isinstance(line, int):
                evidence.strings.add(f"{path}:{line}")
    return evidence


def check_tool_grounding(example: Example) -> None:
    evidence = evidence_of(example)
    answer = example.answer
    for block in FENCE.findall(answer):
        if block not in evidence.strings:
            for line in block.splitlines():
                hit = HIT_LINE.match(line)
                if hit and (hit.group(1), int(hit.group(2))) in evidence.locations and evidence.contains(hit.group(3)):
                    continue
                if line.strip() and not evidence.contains(line):
                    raise StageFailure(
                        "grounding", f"code in the answer is not in the tool result: {line.strip()[:80]!r}"
                    )
    prose = FENCE.sub(" ", answer)
    for span in SPAN.findall(prose):
        location = LOCATION.match(span)
        if location and ("/" in location.group(1) or "." in location.group(1)):
            place = (location.group(1), int(location.group(2)))
            if place not in evidence.locations:
                raise StageFailure("grounding", f"{span} is not a location in the tool result")
        elif span not in evidence.strings:
            raise StageFailure("grounding", f"`{span}` is not in the tool result")
    bare = SPAN.sub(" ", prose)
    for path in PATHLIKE.findall(bare):
        if path not in evidence.paths and not evidence.contains(path):
            raise StageFailure("grounding", f"the answer names {path}, which the tool result does not contain")
    for name in IDENTIFIER_LIKE.findall(bare):
        if not evidence.contains(name):
            raise StageFailure("grounding", f"the answer names {name!r}, which the tool result does not contain")
    for number in NUMBER.findall(bare):
        if int(number) not in evidence.numbers:
            raise StageFailure("grounding", f"the number {number} in the answer is not in the tool result")


# -- stage 4 (direct answers) -------------------------------------------------------------------
TOKEN = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*|[\w.-]+/[\w./-]+")


def mentioned(text: str) -> set[str]:
    tokens = set(TOKEN.findall(text))
    return tokens | {part for token in tokens for part in token.split(".")}


def distinctive(name: str) -> bool:
    """Names that would betray a project if a direct answer used them: not plain words."""
    core = name.strip("_")
    if len(core) < 4 or "/" in name:
        return "/" in name
    return "_" in core or "." in core or sum(char.isupper() for char in core) >= 2 or any(c.isdigit() for c in core)


@cache
def public_modules() -> frozenset[str]:
    names = set(sys.stdlib_module_names) | set(metadata.packages_distributions())
    return frozenset(names)


@cache
def public_names() -> frozenset[str]:
    return frozenset(dir(builtins)) | frozenset(keyword.kwlist) | public_modules()


def local_names(executor: Executor) -> dict[str, str]:
    context = executor.context
    modules = {item.fact.path: item.fact.qualname for item in context.facts("module")}
    local: dict[str, str] = {}
    public = public_names()
    for item in context.facts("module", "class", "function", "fixture", "route", "cli_command", "test", "service"):
        fact = item.fact
        top = modules.get(fact.path, "").split(".")[0]
        if top in public_modules():
            continue
        where = f"{context.display_path(item)}:{fact.line}"
        for name in _names_of(fact.name, fact.qualname, fact.path):
            if name not in public and distinctive(name):
                local.setdefault(name, where)
    return local


def _names_of(*values: str) -> Iterable[str]:
    for value in values:
        yield value
        yield from value.split(".")


# -- stage 5 ------------------------------------------------------------------------------------
def conversation_text(example: Example) -> str:
    return json.dumps(
        {"messages": [m.model_dump(exclude_none=True) for m in example.messages], "tools": example.tools},
        ensure_ascii=False,
    )


def tokenizer_counter(path: str) -> TokenCounter:
    """Count with a real tokenizer: a `tokenizer.json` file, or a model folder holding one."""
    from pathlib import Path

    from tokenizers import Tokenizer

    location = Path(path)
    file = location / "tokenizer.json" if location.is_dir() else location
    if not file.is_file():
        raise InputError("no tokenizer.json here", path=str(location))
    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as error:
        raise InputError(f"not a tokenizer: {str(error).splitlines()[0]}", path=str(file)) from None
    return lambda text: len(tokenizer.encode(text).ids)
