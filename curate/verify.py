"""The six verification stages every example passes, in order; the first failure rejects it.

1. schema     it parses as an `Example`; roles come in a valid order; every tool call is answered
              exactly once; every called tool is offered and is the catalog's tool.
2. arguments  each call's arguments are valid against the tool's JSON Schema, strictly: a bool is not
              an int, a JSON string is not an object, no extra keys, enums respected.
3. replay     the call is run again against the store and must give the recorded result byte for
              byte; when the source has been re-mined since, the example is stale.
4. grounding  every identifier, `path:line`, path, code block and number in a tool-call answer comes
              from the tool results (or the call's own arguments); a direct answer names nothing
              local to the domain's mined sources (public library names are fine).
5. secrets    no message holds a secret (an API key, a token, a private key, a password...).
6. length     the conversation, tools included, fits the token budget.
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
from curate.intents import INTENTS
from curate.store import Store
from curate.tools import TOOLS, Executor, result_content
from schemas import VERIFICATION_STAGES, Example, Rejection, ToolResult
from sources.secrets import find_secrets

DEFAULT_MAX_TOKENS = 4096
BYTES_PER_TOKEN = 3
"""The length estimate without a tokenizer: one token per 3 UTF-8 bytes of the JSON conversation and
tools, rounded up. BPE tokenizers of code models (Qwen2.5's included) average more bytes than that per
token on English, code and JSON, so the estimate errs long: it rejects early rather than truncating."""

TokenCounter = Callable[[str], int]
TEMPLATE_WORDS = frozenset(
    word for intent in INTENTS.values() for t in intent.templates for word in re.findall(r"\w+", t)
)
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
            if example.kind == "direct":
                grounding = self.check_direct_grounding
            elif example.provenance.imported is not None:
                grounding = check_imported_grounding
            else:
                grounding = check_tool_grounding
            self._timed("grounding", checks, lambda: grounding(example))
            self._timed("secrets", checks, lambda: check_secrets(example))
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

    # -- stage 6 -------------------------------------------------------------------------------
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
                stale = self._is_stale(example)
                raise StageFailure("replay", self._differs(call.function.name, stale), stale=stale)

    def _is_stale(self, example: Example) -> bool:
        current = {source.name: source.revision for source in self.store.sources(self.domain)}
        recorded = {source.name: source.revision for source in example.provenance.sources}
        return bool(recorded) and recorded != current

    @staticmethod
    def _differs(tool: str, stale: bool) -> str:
        if stale:
            return f"stale: {tool} gives a different result since the source was re-mined"
        return f"the recorded {tool} result differs from a fresh run of the same call"

    # -- stage 4 (direct answers) ----------------------------------------------------------------
    def local_names(self) -> dict[str, str]:
        """Names local to the domain's sources (not public library names), each with where it is."""
        if self._local is None:
            mined = bool(self.store.sources(self.domain))
            # an imported domain that was never mined has no local names to leak
            self._local = local_names(self.executor()) if mined else {}
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
    if not all(isinstance(tool.get("function"), dict) for tool in example.tools):
        raise StageFailure("schema", "every offered tool needs a `function` object")
    offered = {tool["function"].get("name"): tool for tool in example.tools}
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
                if call.function.name not in TOOLS and example.provenance.imported is None:
                    raise StageFailure("schema", f"tool {call.function.name!r} does not exist")
                if call.function.name not in offered:
                    raise StageFailure("schema", f"tool {call.function.name!r} is called but not offered")
                pending.add(call.id)
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
SPAN = re.compile(r"``\s(.+?)\s``|`([^`\n]+)`")
LOCATION = re.compile(r"^(.+?\.[\w]+|.+/.+):(\d+)$")
NUMBER = re.compile(r"(?<![\w.])\d+(?!\w|\.\d)")
LINE_RANGE = re.compile(r"\blines (\d+)-(\d+)\b")
PATHLIKE = re.compile(r"[\w./-]+\.(?:py|pyi|html?)(?::\d+)?\b")
WORD = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*")
NUMBER_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|dozen)s?\b",
    re.I,
)
EMPTY_CLAIM = re.compile(r"^(?:there (?:is|are) no|no|none|nothing)\b|\bhas no headings\b", re.I)
RESULT_SHAPE = re.compile(r'\{"tool":"[^"]*","total":\d+,"truncated":(?:true|false),"matches":\[')
NOT_COUNTS = frozenset({"line", "end_line"})


def tool_results(example: Example) -> dict[str, str]:
    return {str(m.tool_call_id): m.content or "" for m in example.messages if m.role == "tool"}


def identifier_like(word: str) -> bool:
    """Names a model could invent: snake_case, dotted.names, CamelCase (two capitals and a small letter)."""
    core = word.strip("_")
    return "_" in core or "." in core or (sum(c.isupper() for c in core) >= 2 and any(c.islower() for c in core))


def flattened(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from flattened(item)
    elif isinstance(value, list):
        for item in value:
            yield from flattened(item)
    else:
        yield value


@dataclass
class Evidence:
    """What a tool-call answer may say: the results' values, counts and locations, and the arguments."""

    strings: set[str] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)
    locations: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    ranges: set[tuple[int, int]] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    hits: set[str] = field(default_factory=set)
    totals: list[int] = field(default_factory=list)
    arguments: set[str] = field(default_factory=set)

    def add_counts(self, match: dict[str, Any]) -> None:
        for key, value in match.items():
            if isinstance(value, list):
                self.counts.add(len(value))
                for item in value:
                    if isinstance(item, dict):
                        self.add_counts(item)
            elif isinstance(value, dict):
                self.add_counts(value)
            elif isinstance(value, int) and not isinstance(value, bool) and key not in NOT_COUNTS:
                self.counts.add(value)

    def contains(self, text: str) -> bool:
        return text in self.strings or text in self.arguments or any(text in value for value in self.strings)


def evidence_of(example: Example) -> Evidence:
    evidence = Evidence()
    for call in example.calls:
        for value in flattened(call.function.arguments):
            if isinstance(value, str):
                evidence.arguments.update({value, value.removeprefix("xpath:"), "@" + value})
    for content in tool_results(example).values():
        try:
            result = ToolResult.model_validate_json(content)
        except ValidationError:
            raise StageFailure("grounding", "a tool turn does not hold a tool result") from None
        evidence.totals.append(result.total)
        evidence.counts.update({result.total, len(result.matches)})
        for match in result.matches:
            values = {str(value) for value in flattened(match) if isinstance(value, str | int) and value is not True}
            evidence.strings.update(value for value in flattened(match) if isinstance(value, str))
            evidence.add_counts(match)
            path, line = match.get("path"), match.get("line")
            if not isinstance(path, str) or not isinstance(line, int):
                continue
            evidence.paths.add(path)
            evidence.strings.add(f"{path}:{line}")
            evidence.locations.setdefault((path, line), set()).update(values)
            if isinstance(match.get("end_line"), int):
                evidence.ranges.add((line, match["end_line"]))
            if isinstance(match.get("source"), str):
                evidence.sources.add(match["source"])
            if isinstance(match.get("text"), str):
                evidence.hits.add(f"{path}:{line}: {match['text']}")
    return evidence


def check_tool_grounding(example: Example) -> None:
    evidence = evidence_of(example)
    check_query(example, evidence)
    answer = example.answer
    for block in FENCE.findall(answer):
        if block not in evidence.sources and not all(line in evidence.hits for line in block.splitlines()):
            raise StageFailure("grounding", "a code block in the answer is not a source or hits the tool returned")
    prose = FENCE.sub(" ", answer)
    first_line = prose.strip().split("\n", 1)[0]
    found = sum(evidence.totals)
    if found and EMPTY_CLAIM.search(first_line):
        raise StageFailure("grounding", f"the answer says nothing was found, but the tool found {found}")
    if not found and not EMPTY_CLAIM.search(first_line):
        raise StageFailure("grounding", "the tool found nothing, but the answer does not say so")
    for line in prose.split("\n"):
        check_line(line, evidence)
    bare = SPAN.sub(" ", prose)
    for first, last in ((int(a), int(b)) for a, b in LINE_RANGE.findall(bare)):
        if (first, last) not in evidence.ranges:
            raise StageFailure("grounding", f"lines {first}-{last} are not a range in the tool result")
    bare = LINE_RANGE.sub(" ", bare)
    if word := NUMBER_WORDS.search(bare):
        raise StageFailure("grounding", f"the answer counts in words ({word.group(0)!r}); counts must be digits")
    mentioned_counts = {int(number) for number in NUMBER.findall(PATHLIKE.sub(" ", bare))}
    for number in sorted(mentioned_counts):
        if number not in evidence.counts:
            raise StageFailure("grounding", f"the number {number} in the answer is not a count in the tool result")
    for total in evidence.totals:
        if total > 1 and total not in mentioned_counts:
            raise StageFailure("grounding", f"the answer does not say how many were found ({total})")


def check_line(line: str, evidence: Evidence) -> None:
    """Backticked values on a line that names a location must belong to that location's match."""
    spans = [first or second for first, second in SPAN.findall(line)]
    here: set[str] = set()
    for span in spans:
        location = LOCATION.match(span)
        if location and "/" not in span.split(":")[0] and "." not in span.split(":")[0]:
            location = None
        if location:
            place = (location.group(1), int(location.group(2)))
            if place not in evidence.locations:
                raise StageFailure("grounding", f"{span} is not a location in the tool result")
            here |= evidence.locations[place]
    for span in spans:
        if span in evidence.arguments or (LOCATION.match(span) and span in evidence.strings):
            continue
        if here and span not in here:
            raise StageFailure("grounding", f"`{span}` does not belong to the match at that location")
        if span not in evidence.strings:
            raise StageFailure("grounding", f"`{span}` is not in the tool result")
    bare = SPAN.sub(" ", line)
    for token in PATHLIKE.findall(bare):
        path, _, number = token.partition(":")
        if path not in evidence.paths:
            raise StageFailure("grounding", f"the answer names {path}, which the tool result does not contain")
        if number and (path, int(number)) not in evidence.locations:
            raise StageFailure("grounding", f"{token} is not a location in the tool result")
    for word in WORD.findall(PATHLIKE.sub(" ", bare)):
        if identifier_like(word) and not evidence.contains(word):
            raise StageFailure("grounding", f"the answer names {word!r}, which the tool result does not contain")


def check_query(example: Example, evidence: Evidence) -> None:
    """The question must ask for what the call does: every free-text argument appears in it."""
    query = example.query.casefold()
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in example.tools}
    for call in example.calls:
        properties = offered.get(call.function.name, {}).get("properties", {})
        for name, value in call.function.arguments.items():
            schema = properties.get(name, {})
            if "enum" in schema or "enum" in schema.get("items", {}) or isinstance(value, bool | list):
                continue
            shown = str(value).removeprefix("xpath:") if isinstance(value, str) else str(value)
            if shown.casefold() not in query:
                raise StageFailure("grounding", f"the question does not ask for {name}={shown!r}")
    for word in WORD.findall(example.query):
        if identifier_like(word) and word not in TEMPLATE_WORDS and not any(word in v for v in evidence.arguments):
            raise StageFailure("grounding", f"the question names {word!r}, which the call does not use")


def check_imported_grounding(example: Example) -> None:
    """An imported tool-call answer. Results in our own shape (an export imported back) get the full
    check; results of any other shape are read as text: every backticked value and identifier-like
    word must occur in one, every number too."""
    contents = list(tool_results(example).values())
    if all(RESULT_SHAPE.match(content) for content in contents):
        check_tool_grounding(example)
        return
    arguments = {str(v) for call in example.calls for v in flattened(call.function.arguments)}
    numbers = {int(n) for content in contents for n in NUMBER.findall(content)}

    def present(text: str) -> bool:
        return any(text in content for content in contents) or text in arguments

    prose = FENCE.sub(" ", example.answer)
    for block in FENCE.findall(example.answer):
        for line in block.splitlines():
            if line.strip() and not present(line.strip()):
                raise StageFailure("grounding", f"code in the answer is not in the tool result: {line.strip()[:80]!r}")
    for first, second in SPAN.findall(prose):
        if not present(first or second):
            raise StageFailure("grounding", f"`{first or second}` is not in the tool result")
    bare = SPAN.sub(" ", prose)
    for word in WORD.findall(bare):
        if identifier_like(word) and not present(word):
            raise StageFailure("grounding", f"the answer names {word!r}, which the tool result does not contain")
    for number in NUMBER.findall(bare):
        if int(number) not in numbers and number not in arguments:
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


GENERIC_TOP_LEVELS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "scripts", "benchmarks", "src"})
"""Top-level names some distributions ship by accident (`tests`): a project's own folder of that name
is still local."""


@cache
def public_modules() -> frozenset[str]:
    names = set(sys.stdlib_module_names) | set(metadata.packages_distributions())
    return frozenset(names - GENERIC_TOP_LEVELS)


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


# -- stage 6 ------------------------------------------------------------------------------------
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


# -- stage 5 -----------------------------------------------------------------------------------
def check_secrets(example: Example) -> None:
    """No secret in any message: mined sources are redacted as they are read, so this catches what
    comes from elsewhere (an imported dataset, a teacher's wording, a card)."""
    for number, message in enumerate(example.messages, start=1):
        texts = [message.content or ""]
        texts += [json.dumps(call.function.arguments, ensure_ascii=False) for call in message.tool_calls or ()]
        for text in texts:
            found = find_secrets(text)
            if found:
                kinds = ", ".join(sorted({kind for kind, _ in found}))
                raise StageFailure("secrets", f"message {number} ({message.role}) holds a secret: {kinds}")
