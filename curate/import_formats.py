"""The row formats `curate import` reads, each a function from one row (a dict) to OpenAI-style
`messages` and `tools`, and `detect`, which names the format most of a file's rows fit.

- `mlx`: mlx-lm's chat/tools rows, `{"messages": [...], "tools": [...]}`, arguments as objects.
- `openai`: the same as the OpenAI API writes it: arguments as JSON strings, content as a list of text
  parts, the legacy `functions` / `function_call` / `role: "function"` form, calls without ids and
  results without `tool_call_id` (answered in order), `messages` as JSON text (curate's Parquet).
- `sharegpt`: LLaMA-Factory's `{"conversations": [{"from": "human"|"gpt"|"system"|"function_call"|
  "observation", "value": ...}], "system": "...", "tools": "[...]"}`; a `function_call` value is
  `{"name", "arguments"}`, or a list of them for parallel calls, whose results may be one observation
  joined as LLaMA-Factory joins them; the row's `system` is the system prompt.
- `hermes`: NousResearch's function calling, `{"conversations": [...]}` with the tools in `<tools>` in
  the system turn, calls as `<tool_call>` blocks in `gpt` turns and results as `<tool_response>` blocks
  in `tool` turns. A block is JSON, or else a Python literal (`{'name': ..., 'arguments': {...}}`, as
  many Hermes rows are written). A system prompt before the tool instructions curate's export writes
  is kept.
- `glaive`: `{"system": "SYSTEM: ... {function} {function}", "chat": "USER: ... ASSISTANT: <functioncall>
  {...} FUNCTION RESPONSE: ... ASSISTANT: ..."}`; the text before the functions is the system prompt.
- `xlam`: Salesforce's xLAM / APIGen, `{"query": "...", "tools": "[...]", "answers": "[{"name",
  "arguments"}]"}`: a user turn and one assistant turn with the calls. The row holds no results and no
  answer, and the importer says so for each such row (see `curate.importer`).
- `alpaca`: `{"instruction", "input", "output"}` (and LLaMA-Factory's `system` and `history`): direct
  answers.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from curate.formats import HERMES_INTRO, RESULTS_SEPARATOR

Messages = list[dict[str, Any]]
Reader = Callable[[dict[str, Any]], tuple[Messages, Messages]]
TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
TOOL_RESPONSE = re.compile(r"<tool_response>\s*(.*?)\s*</tool_response>", re.S)
TOOLS_BLOCK = re.compile(r"<tools>\s*(.*?)\s*</tools>", re.S)
GLAIVE_TURN = re.compile(r"(?:^|\n)[ \t]*(USER|ASSISTANT|FUNCTION RESPONSE):[ \t]?")
GLAIVE_END = "<|endoftext|>"


class RowError(ValueError):
    """This row cannot be read in the chosen format."""


def loads(text: str, what: str) -> Any:
    """JSON, or else a Python literal (single quotes, True/None), as some datasets write their calls."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # any way a literal fails to parse
        raise RowError(f"{what} that is neither JSON nor a Python literal") from None


def _call(name: Any, arguments: Any, ident: str) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise RowError("a tool call without a name")
    return {"id": ident, "type": "function", "function": {"name": name, "arguments": arguments}}


def _decoded(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            raise RowError("tool-call arguments are a string that is not JSON") from None
    return arguments


def _text(content: Any) -> Any:
    """A message's content as text: OpenAI's list of parts joined, anything else as it is."""
    if isinstance(content, list) and all(isinstance(part, dict) for part in content):
        if any(part.get("type") not in ("text", None) for part in content):
            raise RowError("a message with parts that are not text")
        return "".join(str(part.get("text") or "") for part in content)
    return content


def tools_of(value: Any) -> list[dict[str, Any]]:
    """A row's tools as OpenAI tool specs: a list of them or of bare functions, or that list as JSON text."""
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = loads(value, "tools is a string")
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


def from_mlx(row: dict[str, Any]) -> tuple[Messages, Messages]:
    """mlx-lm's rows as they are: what is not an `Example`'s message fails the schema stage, and says why."""
    messages = row.get("messages")
    if not isinstance(messages, list):
        raise RowError("no messages list")
    return messages, tools_of(row.get("tools"))


ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


class Conversation:
    """Messages built turn by turn; a result answers the call it names, or else the oldest one waiting."""

    def __init__(self) -> None:
        self.messages: Messages = []
        self.pending: Messages = []
        self.made = 0

    def call(self, name: Any, arguments: Any, ident: Any = None) -> dict[str, Any]:
        self.made += 1
        made = _call(name, _decoded(arguments), ident if isinstance(ident, str) and ident else f"call_{self.made}")
        self.pending.append(made)
        return made

    def say_calls(self, made: Messages, content: Any = None) -> None:
        message: dict[str, Any] = {"role": "assistant", "tool_calls": made}
        if content:
            message = {"role": "assistant", "content": content, "tool_calls": made}
        self.messages.append(message)

    def calls(self, payloads: list[str], what: str, content: str | None = None) -> None:
        made: Messages = []
        for payload in payloads:
            call = loads(payload, f"a {what}")
            for one in call if isinstance(call, list) else [call]:  # LLaMA-Factory writes parallel calls as a list
                if not isinstance(one, dict):
                    raise RowError(f"a {what} that is not an object")
                made.append(self.call(one.get("name"), one.get("arguments", {})))
        self.say_calls(made, content)

    def results(self, value: str) -> None:
        """One observation: the results of the calls still waiting, joined as LLaMA-Factory joins the
        results of parallel calls when there are as many parts as calls, else one result."""
        parts = value.split(RESULTS_SEPARATOR)
        for part in parts if len(self.pending) > 1 and len(parts) == len(self.pending) else [value]:
            self.result(part)

    def result(self, content: Any, ident: Any = None, name: Any = None) -> None:
        """The result of the call `ident` names (the schema stage rejects an id no call has), or else
        of the oldest call still waiting."""
        named = [call for call in self.pending if call["id"] == ident]
        if ident is None and not self.pending:
            raise RowError("a tool result with no call before it")
        call = named[0] if named else self.pending[0] if ident is None else None
        if call is not None:
            self.pending.remove(call)
            ident, name = call["id"], name or call["function"]["name"]
        message = {"role": "tool", "tool_call_id": ident, "name": name, "content": content}
        self.messages.append({key: value for key, value in message.items() if value is not None or key == "content"})

    def say(self, speaker: Any, value: Any) -> None:
        if speaker not in ROLES:
            raise RowError(f"unknown speaker {speaker!r}")
        self.messages.append({"role": ROLES[speaker], "content": value})


OPENAI_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id", "name", "function_call"})
REASONING_KEYS = ("reasoning_content", "reasoning")
"""Where chat APIs put a reasoning model's thinking; `Message` has no place for it (see `curate.importer`)."""


def from_openai(row: dict[str, Any]) -> tuple[Messages, Messages]:
    messages = row.get("messages")
    if isinstance(messages, str):  # curate's own Parquet, and other tables that keep messages as JSON text
        messages = loads(messages, "messages is a string")
    if not isinstance(messages, list):
        raise RowError("no messages list")
    conversation = Conversation()
    for message in messages:
        if not isinstance(message, dict):
            raise RowError("a message that is not an object")
        extra = {
            key: value
            for key, value in message.items()
            if key not in OPENAI_KEYS and value is not None and value != []  # Arrow fills absent keys with null
        }
        role, content = message.get("role"), _text(message.get("content"))
        if role in ("tool", "function"):
            conversation.result(content, message.get("tool_call_id"), message.get("name"))
            conversation.messages[-1].update(extra)
            continue
        calls = message.get("tool_calls") or []
        if message.get("function_call"):  # the legacy form: one call, no id
            calls = [*calls, {"function": message["function_call"]}]
        if role == "assistant" and calls:
            if not isinstance(calls, list):
                raise RowError("tool_calls must be a list")
            made = []
            for call in calls:
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict):
                    raise RowError("a tool call without a function object")
                made.append(conversation.call(function.get("name"), function.get("arguments", {}), call.get("id")))
            conversation.say_calls(made, content)
        else:
            kept = {
                key: value
                for key, value in message.items()
                if key in OPENAI_KEYS and key != "function_call" and value is not None and value != []
            }
            conversation.messages.append({**kept, "content": content} if "content" in kept else kept)
        conversation.messages[-1].update(extra)
    tools = row.get("tools") or [{"type": "function", "function": f} for f in row.get("functions") or []]
    return conversation.messages, tools_of(tools)


def turns_of(row: dict[str, Any]) -> list[tuple[Any, str]]:
    turns = row.get("conversations")
    if not isinstance(turns, list):
        raise RowError("no conversations list")
    if not all(isinstance(turn, dict) and isinstance(turn.get("value"), str) for turn in turns):
        raise RowError("a turn without a string value")
    return [(turn.get("from"), turn["value"]) for turn in turns]


def from_sharegpt(row: dict[str, Any]) -> tuple[Messages, Messages]:
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
    return conversation.messages, tools_of(row.get("tools"))


def from_hermes(row: dict[str, Any]) -> tuple[Messages, Messages]:
    conversation = Conversation()
    tools: Messages = []
    for speaker, value in turns_of(row):
        # the instructions may name the tags before the block itself ("inside <tools></tools> tags")
        blocks = [block for block in TOOLS_BLOCK.findall(value) if block] if speaker == "system" else []
        if blocks:
            tools = tools_of(loads(blocks[-1], "a <tools> block"))
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


def _functions(text: str) -> tuple[str, list[Any]]:
    """Glaive's system text: the prompt, then functions written one after another as JSON objects."""
    start = text.find("{")
    if start < 0:
        return text.strip(), []
    decoder, functions, index = json.JSONDecoder(), [], start
    while index < len(text):
        try:
            function, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            raise RowError("the system's functions are not JSON") from None
        functions.append(function)
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
    return text[:start].strip(), functions


def from_glaive(row: dict[str, Any]) -> tuple[Messages, Messages]:
    system, chat = row.get("system", ""), row.get("chat")
    if not isinstance(system, str) or not isinstance(chat, str):
        raise RowError("system and chat must be strings")
    prompt, functions = _functions(system.strip().removeprefix("SYSTEM:").strip())
    conversation = Conversation()
    if prompt:
        conversation.say("system", prompt)
    parts = GLAIVE_TURN.split(chat)
    if parts[0].strip():
        raise RowError("text before the first USER: or ASSISTANT:")
    for marker, text in zip(parts[1::2], parts[2::2], strict=True):
        value = text.replace(GLAIVE_END, "").strip()
        if marker == "USER":
            conversation.say("user", value)
        elif marker == "FUNCTION RESPONSE":
            conversation.result(value)
        elif "<functioncall>" in value:
            before, payload = value.split("<functioncall>", 1)
            conversation.calls([payload.strip()], "<functioncall>", before.strip() or None)
        else:
            conversation.say("assistant", value)
    return conversation.messages, tools_of(functions)


XLAM_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array"}


def _xlam_parameters(parameters: Any) -> Any:
    """xLAM writes parameters as `{name: {"type": "str, optional", "description", "default"}}`: as JSON
    Schema, each typed where the type is a plain one and required unless optional or defaulted."""
    if not isinstance(parameters, dict) or parameters.get("type") == "object" or not parameters:
        return parameters or {"type": "object", "properties": {}}
    properties: dict[str, Any] = {}
    required = []
    for name, spec in parameters.items():
        if not isinstance(spec, dict):
            raise RowError(f"parameter {name!r} is not an object")
        written = str(spec.get("type", ""))
        base = written.split(",", maxsplit=1)[0].strip().split("[")[0].casefold()
        kept = {key: value for key, value in spec.items() if key in ("description", "enum")}
        properties[name] = {"type": XLAM_TYPES[base], **kept} if base in XLAM_TYPES else kept
        if "optional" not in written and "default" not in spec:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def from_xlam(row: dict[str, Any]) -> tuple[Messages, Messages]:
    query, tools, answers = row.get("query"), row.get("tools"), row.get("answers")
    if not isinstance(query, str) or not query:
        raise RowError("no query")
    answers = loads(answers, "answers is a string") if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not answers:
        raise RowError("answers must be a non-empty list of calls")
    functions = loads(tools, "tools is a string") if isinstance(tools, str) else tools
    if not isinstance(functions, list):
        raise RowError("tools must be a list")
    functions = [
        {**function, "parameters": _xlam_parameters(function.get("parameters"))}
        if isinstance(function, dict)
        else function
        for function in functions
    ]
    conversation = Conversation()
    conversation.say("user", query)
    if not all(isinstance(answer, dict) for answer in answers):
        raise RowError("an answer that is not an object")
    conversation.say_calls([conversation.call(answer.get("name"), answer.get("arguments", {})) for answer in answers])
    return conversation.messages, tools_of(functions)


def from_alpaca(row: dict[str, Any]) -> tuple[Messages, Messages]:
    instruction, extra, output = row.get("instruction"), row.get("input") or "", row.get("output")
    if not isinstance(instruction, str) or not isinstance(output, str) or not isinstance(extra, str):
        raise RowError("instruction, input and output must be strings")
    conversation = Conversation()
    if row.get("system"):
        conversation.say("system", row["system"])
    history = row.get("history") or []
    if not isinstance(history, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in history):
        raise RowError("history must be a list of [question, answer] pairs")
    for question, answer in history:
        conversation.say("user", question)
        conversation.say("assistant", answer)
    conversation.say("user", f"{instruction}\n\n{extra}" if extra else instruction)
    conversation.say("assistant", output)
    return conversation.messages, []


READERS: dict[str, Reader] = {
    "mlx": from_mlx,
    "openai": from_openai,
    "sharegpt": from_sharegpt,
    "hermes": from_hermes,
    "glaive": from_glaive,
    "xlam": from_xlam,
    "alpaca": from_alpaca,
}
FORMATS = ("auto", *READERS)
SHAREGPT_SPEAKERS = frozenset({"function_call", "observation"})


def fits(row: Any) -> set[str]:
    """The formats a row looks like, from its keys (and, for conversations, its speakers and tags)."""
    if not isinstance(row, dict):
        return set()
    found = set()
    if "messages" in row:
        found.add("openai")
    if isinstance(row.get("conversations"), list):
        turns = [turn for turn in row["conversations"] if isinstance(turn, dict)]
        speakers = {turn.get("from") for turn in turns}
        tagged = any("<tool_call>" in str(turn.get("value")) or "<tools>" in str(turn.get("value")) for turn in turns)
        if tagged or "tool" in speakers:
            found.add("hermes")
        elif speakers & SHAREGPT_SPEAKERS or "tools" in row or "system" in row:
            found.add("sharegpt")
        else:
            found |= {"sharegpt", "hermes"}
    if "chat" in row and "system" in row:
        found.add("glaive")
    if "query" in row and "answers" in row:
        found.add("xlam")
    if "instruction" in row and "output" in row:
        found.add("alpaca")
    return found


def detect(rows: Iterable[Any]) -> tuple[str | None, str]:
    """The format most of these rows fit, and a line that says how many fit it; None where none fits."""
    votes: Counter[str] = Counter()
    seen = 0
    for row in rows:
        seen += 1
        votes.update(fits(row))
    if not votes:
        return None, f"none of the {seen} rows looked at is in a format curate reads ({', '.join(READERS)})"
    order = list(READERS)
    chosen = max(votes, key=lambda name: (votes[name], -order.index(name)))
    return chosen, f"auto: read as {chosen} ({votes[chosen]} of the first {seen} rows look like it)"
