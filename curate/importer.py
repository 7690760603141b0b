"""`curate import FILE --domain D`: bring an existing dataset (hand-made examples, another tool's
output) into the store, validated by the stages that apply (schema, arguments, grounding against its
own tool results, length) and marked `unverified`: there is no mined snapshot to replay its calls on.

Formats, one JSON object a line:

- `mlx`: mlx-lm's chat/tools rows, `{"messages": [...], "tools": [...]}`, arguments as objects;
- `openai`: the same, but tool-call `arguments` may be JSON strings (as the OpenAI API sends them);
- `sharegpt`: `{"conversations": [{"from": "human"|"gpt"|"system"|"function_call"|"observation",
  "value": ...}], "tools": "[...]"}` (LLaMA-Factory's layout; a `function_call` value is
  `{"name", "arguments"}`, or a list of them for parallel calls, whose results may be one observation
  joined as LLaMA-Factory joins them; the row's `system` is the system prompt);
- `hermes`: `{"conversations": [...]}` with the tools inside `<tools>...</tools>` in the system turn,
  calls as `<tool_call>{...}</tool_call>` in `gpt` turns (text beside them is the turn's content) and
  results as `<tool_response>` blocks in `tool` turns; a system prompt before the tool instructions
  `curate export --format hermes` writes is kept.

A bad row (not JSON, not the format, failing a stage) is reported with its line number and recorded;
the good rows import all the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from curate.errors import InputError
from curate.formats import HERMES_INTRO, RESULTS_SEPARATOR
from curate.store import Store, StoredExample
from curate.synth import example_id
from curate.verify import DEFAULT_MAX_TOKENS, TokenCounter, Verifier, estimate_tokens
from schemas import Message, Rejection, shape_of

ImportFormat = Literal["mlx", "openai", "sharegpt", "hermes"]
GENERATOR = "curate.import"
TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
TOOL_RESPONSE = re.compile(r"<tool_response>\s*(.*?)\s*</tool_response>", re.S)
TOOLS_BLOCK = re.compile(r"<tools>\s*(.*?)\s*</tools>", re.S)


class RowError(ValueError):
    """This row cannot be read in the chosen format."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(line, why) for every row that did not import."""


def _call(name: Any, arguments: Any, index: int) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise RowError("a tool call without a name")
    return {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": arguments}}


def _decoded(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            raise RowError("tool-call arguments are a string that is not JSON") from None
    return arguments


def _tools(value: Any) -> list[dict[str, Any]]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise RowError("tools is a string that is not JSON") from None
    if not isinstance(value, list):
        raise RowError("tools must be a list")
    tools = [
        tool if isinstance(tool, dict) and "function" in tool else {"type": "function", "function": tool}
        for tool in value
    ]
    for tool in tools:
        function = tool["function"]
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise RowError("a tool without a function name")
        if not isinstance(function.get("parameters", {}), dict):
            raise RowError(f"tool {function['name']!r}: parameters must be an object")
    return tools


def from_mlx(row: dict[str, Any], *, decode: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    messages = row.get("messages")
    if not isinstance(messages, list):
        raise RowError("no messages list")
    if decode:
        messages = [dict(message) if isinstance(message, dict) else message for message in messages]
        for message in messages:
            if isinstance(message, dict) and isinstance(message.get("tool_calls"), list):
                message["tool_calls"] = [
                    {**call, "function": {**call["function"], "arguments": _decoded(call["function"].get("arguments"))}}
                    if isinstance(call, dict) and isinstance(call.get("function"), dict)
                    else call
                    for call in message["tool_calls"]
                ]
    return messages, _tools(row.get("tools"))


ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


class Conversation:
    """Messages built turn by turn from a ShareGPT-style row; calls are answered in order."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.made = 0

    def calls(self, payloads: list[str], what: str, content: str | None = None) -> None:
        made: list[dict[str, Any]] = []
        for payload in payloads:
            try:
                call = json.loads(payload)
            except json.JSONDecodeError:
                raise RowError(f"a {what} that is not JSON") from None
            for one in call if isinstance(call, list) else [call]:  # LLaMA-Factory writes parallel calls as a list
                if not isinstance(one, dict):
                    raise RowError(f"a {what} that is not an object")
                self.made += 1
                made.append(_call(one.get("name"), _decoded(one.get("arguments", {})), self.made))
        self.pending.extend(made)
        message: dict[str, Any] = {"role": "assistant", "tool_calls": made}
        if content:
            message = {"role": "assistant", "content": content, "tool_calls": made}
        self.messages.append(message)

    def results(self, value: str) -> None:
        """One observation: the results of the calls still waiting, joined as LLaMA-Factory joins the
        results of parallel calls when there are as many parts as calls, else one result."""
        parts = value.split(RESULTS_SEPARATOR)
        for part in parts if len(self.pending) > 1 and len(parts) == len(self.pending) else [value]:
            self.result(part)

    def result(self, content: str) -> None:
        if not self.pending:
            raise RowError("a tool result with no call before it")
        call = self.pending.pop(0)
        self.messages.append(
            {"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"], "content": content}
        )

    def say(self, speaker: Any, value: str) -> None:
        if speaker not in ROLES:
            raise RowError(f"unknown speaker {speaker!r}")
        self.messages.append({"role": ROLES[speaker], "content": value})


def turns_of(row: dict[str, Any]) -> list[tuple[Any, str]]:
    turns = row.get("conversations")
    if not isinstance(turns, list):
        raise RowError("no conversations list")
    if not all(isinstance(turn, dict) and isinstance(turn.get("value"), str) for turn in turns):
        raise RowError("a turn without a string value")
    return [(turn.get("from"), turn["value"]) for turn in turns]


def from_sharegpt(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    conversation = Conversation()
    system = row.get("system")
    if system is not None and not isinstance(system, str):
        raise RowError("system must be a string")
    if system:
        conversation.say("system", system)
    for speaker, value in turns_of(row):
        if speaker == "function_call":
            conversation.calls([value], "function_call value")
        elif speaker in ("observation", "tool"):
            conversation.results(value)
        else:
            conversation.say(speaker, value)
    return conversation.messages, _tools(row.get("tools"))


def from_hermes(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    conversation = Conversation()
    tools: list[dict[str, Any]] = []
    for speaker, value in turns_of(row):
        # the instructions may name the tags before the block itself ("inside <tools></tools> tags")
        blocks = [block for block in TOOLS_BLOCK.findall(value) if block] if speaker == "system" else []
        if blocks:
            try:
                tools = _tools(json.loads(blocks[-1]))
            except json.JSONDecodeError:
                raise RowError("the <tools> block is not JSON") from None
            # a system prompt of its own comes before the tool instructions curate's export writes
            own = value.split(HERMES_INTRO, 1)[0].rstrip("\n") if HERMES_INTRO in value else ""
            if own:
                conversation.say("system", own)
        elif speaker == "gpt" and TOOL_CALL.search(value):
            conversation.calls(TOOL_CALL.findall(value), "<tool_call>", TOOL_CALL.sub("", value).strip() or None)
        elif speaker == "tool":
            for found in TOOL_RESPONSE.findall(value) or [value]:
                conversation.result(found)
        else:
            conversation.say(speaker, value)
    return conversation.messages, tools


READERS: dict[str, Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]] = {
    "mlx": from_mlx,
    "openai": lambda row: from_mlx(row, decode=True),
    "sharegpt": from_sharegpt,
    "hermes": from_hermes,
}


def import_file(
    store: Store,
    path: Path,
    domain: str,
    *,
    format: ImportFormat = "mlx",
    run_id: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> ImportReport:
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    reader = READERS[format]
    verifier = Verifier(store, domain, max_tokens=max_tokens, count_tokens=count_tokens)
    report = ImportReport()
    good: list[StoredExample] = []
    rejected: list[tuple[Rejection, dict[str, Any]]] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            report.rows += 1
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise RowError("not a JSON object")
                messages, tools = reader(row)
                json.dumps([messages, tools], ensure_ascii=False).encode("utf-8")
            except json.JSONDecodeError as error:
                report.bad.append((number, f"not JSON: {error.msg} at column {error.colno}"))
                continue
            except RecursionError:
                report.bad.append((number, "nested too deeply to read"))
                continue
            except UnicodeEncodeError:
                report.bad.append((number, "holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text"))
                continue
            except (RowError, AttributeError, TypeError, KeyError) as error:
                report.bad.append((number, f"not {format}: {error}"))
                continue
            except ValueError as error:  # e.g. an integer past Python's 4,300-digit limit
                report.bad.append((number, f"not JSON: {error}"))
                continue
            record = {
                "id": example_id(domain, messages, tools),
                "domain": domain,
                "kind": "tool_call" if any(isinstance(m, dict) and m.get("tool_calls") for m in messages) else "direct",
                "intent": str(row.get("intent") or row.get("category") or "imported"),
                "template": f"imported:{format}",
                "messages": messages,
                "tools": tools,
                "provenance": {
                    "generator": GENERATOR,
                    "generator_version": "1",
                    "seed": 0,
                    "imported": path.name,
                    "locations": [f"{path.name}:{number}"],
                },
                "catalog_version": "imported",
                "shape": read_shape(messages),
            }
            try:
                verdict = verifier.verify(record)
            except RecursionError:
                report.bad.append((number, "nested too deeply to verify"))
                continue
            if verdict.rejection is not None:
                rejected.append((verdict.rejection, record))
                report.bad.append((number, f"{verdict.rejection.stage}: {verdict.rejection.reason}"))
                continue
            good.append(StoredExample(record, verdict.status, verdict.checks, verdict.tokens))
    report.imported = store.save_examples(good, run_id)
    report.already = len(good) - report.imported
    store.record_example_rejections(rejected, run_id)
    store.record_run(run_id, "import", {"file": str(path), "rows": report.rows, "imported": report.imported})
    return report


def read_shape(messages: list[Any]) -> str:
    """The conversation's shape, read from its turns; "single" where the turns are not messages (the
    schema stage then says what is wrong with them)."""
    try:
        return shape_of([Message.model_validate(message) for message in messages])
    except (ValidationError, TypeError):
        return "single"
