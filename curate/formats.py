"""Conversations as the rows other trainers read: Hermes function calling and LLaMA-Factory's ShareGPT.

Both take whole conversations (their trainers mask by role, so every assistant turn trains) and keep
every shape: several user turns, several calls in one turn, a system prompt.

- `hermes`: `{"conversations": [{"from": "system", "value": SYSTEM + intro + "<tools>[...]</tools>" +
  call format}, {"from": "human", ...}, {"from": "gpt", "value": "<tool_call>\\n{"name": ..., "arguments":
  {...}}\\n</tool_call>"} (one block per call, text before them when the turn has some), {"from": "tool",
  "value": "<tool_response>\\n...\\n</tool_response>"} (one block per result, a turn's results together),
  ...]}`. A result is the tool turn's content as it is, the way Hermes' and Qwen's chat templates render it.
- `sharegpt`: LLaMA-Factory's layout, `{"conversations": [...], "system": "...", "tools": "[...]"}` with
  `from` in human, gpt, function_call, observation; human/observation and gpt/function_call alternate.
  A `function_call` value is `{"name", "arguments"}`, or a list of them for parallel calls; the results
  of parallel calls are one `observation` joined the way LLaMA-Factory joins them
  (`RESULTS_SEPARATOR`); `tools` is the functions' JSON as a string. A function_call turn holds no
  text, so an assistant turn's text beside its calls is left out and counted (`dropped_text`).

`curate.importer` reads both back to the same messages (a test exports and imports every shape).
"""

from __future__ import annotations

import json
from typing import Any

HERMES_INTRO = (
    "You are a function calling AI model. The functions you may call are listed inside <tools></tools> "
    "XML tags: call one or more of them when they help answer the user, and never guess their arguments' "
    "values. The functions:\n<tools>\n"
)
HERMES_OUTRO = (
    "\n</tools>\nFor each call, return a JSON object with the function's name and arguments inside "
    '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-dict>}\n'
    "</tool_call>"
)
RESULTS_SEPARATOR = "\n</tool_response>\n<tool_response>\n"
"""How LLaMA-Factory joins the results of parallel calls into one observation (its chat templates
wrap an observation in one <tool_response> block)."""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _call(call: dict[str, Any]) -> dict[str, Any]:
    return {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}


def _system(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    if messages and messages[0].get("role") == "system":
        return str(messages[0].get("content") or ""), messages[1:]
    return None, messages


def hermes_row(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
    system, rest = _system(messages)
    turns: list[dict[str, str]] = []
    if tools:
        prefix = f"{system}\n\n" if system else ""
        turns.append({"from": "system", "value": prefix + HERMES_INTRO + _json(tools) + HERMES_OUTRO})
    elif system is not None:
        turns.append({"from": "system", "value": system})
    previous = None
    for message in rest:
        role = message["role"]
        if role == "tool":
            block = f"<tool_response>\n{message.get('content') or ''}\n</tool_response>"
            if previous == "tool":
                turns[-1]["value"] += "\n" + block
            else:
                turns.append({"from": "tool", "value": block})
        elif role == "assistant":
            parts = [message["content"]] if message.get("content") else []
            parts += [f"<tool_call>\n{_json(_call(call))}\n</tool_call>" for call in message.get("tool_calls") or []]
            turns.append({"from": "gpt", "value": "\n".join(parts)})
        else:
            turns.append({"from": "human" if role == "user" else "system", "value": message.get("content") or ""})
        previous = role
    return {"conversations": turns}


def sharegpt_row(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """The row, and how many assistant turns lost their text beside their calls."""
    system, rest = _system(messages)
    turns: list[dict[str, str]] = []
    dropped = 0
    results: list[str] = []

    def flush() -> None:
        if results:
            turns.append({"from": "observation", "value": RESULTS_SEPARATOR.join(results)})
            results.clear()

    for message in rest:
        role = message["role"]
        if role == "tool":
            results.append(message.get("content") or "")
            continue
        flush()
        calls = message.get("tool_calls") or []
        if role == "assistant" and calls:
            dropped += bool(message.get("content"))
            value = [_call(call) for call in calls]
            turns.append({"from": "function_call", "value": _json(value[0] if len(value) == 1 else value)})
        else:
            speaker = {"user": "human", "assistant": "gpt"}.get(role, "system")
            turns.append({"from": speaker, "value": message.get("content") or ""})
    flush()
    functions = [tool.get("function", tool) for tool in tools]
    return {"conversations": turns, "system": system or "", "tools": _json(functions) if functions else ""}, dropped


def dataset_info(mix: str, files: list[str]) -> dict[str, Any]:
    """LLaMA-Factory's `dataset_info.json` for the split files (`dataset: MIX_train` in its config)."""
    return {
        f"{mix}_{name.removesuffix('.jsonl')}": {
            "file_name": name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "observation_tag": "observation",
                "function_tag": "function_call",
                "system_tag": "system",
            },
        }
        for name in files
    }
