"""Scoring a model's answers: did it call a tool when it should, and the right one, the right way?

Every output is one of three outcomes:

- `call`: a tool call the model's own tool parser reads;
- `malformed_call`: the model meant to call (a `<tool_call>` block, a fenced or bare JSON object with a
  name and arguments) but its parser cannot read it. It never counts as a correct abstention, which
  is the flaw of scoring irrelevance by "no parsable call" (as BFCL does);
- `no_call`: a direct answer.

Execution match runs the predicted call and the expected one through the tool executor (a callable
that curate passes in) and compares results, so different but equivalent arguments count as right.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["call", "malformed_call", "no_call"]
Execute = Callable[[str, str, dict[str, Any]], str]
"""(where, tool name, arguments) -> the result: `where` names the codebase a prompt is about."""
FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)
BARE = re.compile(r"^\s*(\{.*\})\s*$", re.S)


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Parsed:
    outcome: Outcome
    calls: list[Call] = field(default_factory=list)


def _looks_like_call(text: str) -> bool:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return "name" in text and "arguments" in text
    return isinstance(value, dict) and ("name" in value or "function" in value)


def classify(
    text: str,
    parser: Callable[[str, Any], Any],
    start: str = "<tool_call>",
    end: str = "</tool_call>",
    tools: Any = None,
) -> Parsed:
    """Sort one model output into call / malformed_call / no_call, with the parsed calls."""
    if start in text:
        calls: list[Call] = []
        for segment in text.split(start)[1:]:
            body = segment.split(end, 1)[0] if end in segment else segment
            try:
                found = parser(body, tools)
            except Exception:  # any parser failure is a malformed call, whatever it raises
                return Parsed("malformed_call")
            for item in found if isinstance(found, list) else [found]:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    return Parsed("malformed_call")
                arguments = item.get("arguments", {})
                if isinstance(arguments, str):
                    try:
                        arguments = json.loads(arguments)
                    except json.JSONDecodeError:
                        return Parsed("malformed_call")
                if not isinstance(arguments, dict):
                    return Parsed("malformed_call")
                calls.append(Call(item["name"], arguments))
        return Parsed("call", calls) if calls else Parsed("malformed_call")
    for pattern in (FENCED, BARE):
        match = pattern.search(text)
        if match and _looks_like_call(match.group(1)):
            return Parsed("malformed_call")
    return Parsed("no_call")


@dataclass(frozen=True)
class Case:
    """One test prompt: what was expected, what came out, and how long it took."""

    expected: Call | None
    """None: the model should answer directly."""
    output: Parsed
    seconds: float = 0.0
    tokens: int = 0
    where: str = ""
    groups: dict[str, str] = field(default_factory=dict)
    """What the prompt belongs to, by dimension (`language`: python; `domain`: shop; `shape`: single)."""


@dataclass(frozen=True)
class Scores:
    cases: int
    accuracy: float
    """The call/no-call decision; a malformed call is wrong whatever was expected."""
    call_precision: float
    call_recall: float
    call_f1: float
    irrelevance_accuracy: float
    """Of the prompts that need no tool: answered directly."""
    tool_name_accuracy: float
    """Of the prompts that need a tool: the first valid call names the expected tool."""
    argument_exact_match: float
    execution_match: float | None
    """Of the prompts that need a tool: the first call returns what the expected call returns."""
    outcomes: dict[str, int]
    latency_mean: float
    latency_p50: float
    latency_p95: float
    tokens_per_second: float


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _quantile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))] if ordered else 0.0


def score(cases: Sequence[Case], execute: Execute | None = None) -> Scores:
    needs_call = [case for case in cases if case.expected is not None]
    no_tool = [case for case in cases if case.expected is None]
    right = sum(
        1
        for case in cases
        if (case.expected is None and case.output.outcome == "no_call")
        or (case.expected is not None and case.output.outcome == "call")
    )
    predicted_calls = sum(1 for case in cases if case.output.outcome == "call")
    true_calls = sum(1 for case in needs_call if case.output.outcome == "call")
    precision, recall = _ratio(true_calls, predicted_calls), _ratio(true_calls, len(needs_call))
    names = arguments = executed = 0
    for case in needs_call:
        if case.output.outcome != "call" or case.expected is None:
            continue
        first = case.output.calls[0]
        names += first.name == case.expected.name
        arguments += first.name == case.expected.name and first.arguments == case.expected.arguments
        if execute is not None:
            executed += _same_result(execute, case.where, first, case.expected)
    seconds = [case.seconds for case in cases]
    total_seconds = sum(seconds)
    outcomes = {
        name: sum(1 for case in cases if case.output.outcome == name) for name in ("call", "malformed_call", "no_call")
    }
    return Scores(
        cases=len(cases),
        accuracy=_ratio(right, len(cases)),
        call_precision=precision,
        call_recall=recall,
        call_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        irrelevance_accuracy=_ratio(sum(1 for case in no_tool if case.output.outcome == "no_call"), len(no_tool)),
        tool_name_accuracy=_ratio(names, len(needs_call)),
        argument_exact_match=_ratio(arguments, len(needs_call)),
        execution_match=_ratio(executed, len(needs_call)) if execute is not None else None,
        outcomes=outcomes,
        latency_mean=statistics.fmean(seconds) if seconds else 0.0,
        latency_p50=_quantile(seconds, 0.5),
        latency_p95=_quantile(seconds, 0.95),
        tokens_per_second=sum(case.tokens for case in cases) / total_seconds if total_seconds else 0.0,
    )


def by_group(cases: Sequence[Case], dimension: str, execute: Execute | None = None) -> dict[str, Scores]:
    """The scores of the cases of each value of a dimension (`language`: {"html": ..., "python": ...})."""
    grouped: dict[str, list[Case]] = {}
    for case in cases:
        if dimension in case.groups:
            grouped.setdefault(case.groups[dimension], []).append(case)
    return {value: score(grouped[value], execute) for value in sorted(grouped)}


def _same_result(execute: Execute, where: str, predicted: Call, expected: Call) -> bool:
    if predicted.name == expected.name and predicted.arguments == expected.arguments:
        return True
    try:
        return execute(where, predicted.name, predicted.arguments) == execute(where, expected.name, expected.arguments)
    except Exception:  # a predicted call the executor rejects returns nothing like the expected result
        return False


@dataclass(frozen=True)
class Prompt:
    """A conversation up to the turn to predict, its tools, and the call expected there (None: none)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    expected: Call | None
    where: str = ""
    groups: dict[str, str] = field(default_factory=dict)
    reference: dict[str, Any] | None = None
    """The expected assistant turn itself: with no fixed token limit, the model may write as many
    tokens as it holds, and a few more."""


FIT_MARGIN = 16
"""Tokens a model may write beyond the expected turn's length when the limit fits each prompt."""


def token_limit(tokenizer: Any, prompt: Prompt, rendered: str, max_tokens: int | None) -> int:
    """`max_tokens`, or (None) the length of the prompt's expected turn as the chat template renders
    it plus FIT_MARGIN, so neither a call nor an answer is cut before it can be read."""
    if max_tokens is not None:
        return max_tokens
    if prompt.reference is None:
        raise ValueError("a prompt without its expected turn needs a fixed max_tokens")
    whole = tokenizer.apply_chat_template([*prompt.messages, prompt.reference], tools=prompt.tools, tokenize=False)
    turn = whole[len(rendered) :] if whole.startswith(rendered) else whole
    return len(tokenizer.encode(turn)) + FIT_MARGIN


def evaluate_model(
    model_path: str,
    prompts: Sequence[Prompt],
    *,
    adapter_path: str | None = None,
    execute: Execute | None = None,
    max_tokens: int | None = 256,
) -> tuple[Scores, list[str], list[Case]]:
    """Generate greedily for every prompt with mlx-lm (at most `max_tokens`, or with None as many as
    the expected turn holds and a few more), classify with the model's own tool parser, score; also
    returns the raw outputs and the cases (to score by group)."""
    import time

    from train import quiet_transformers

    quiet_transformers()
    from mlx_lm import generate
    from mlx_lm.utils import load

    loaded: Any = load(model_path, adapter_path=adapter_path)
    model, tokenizer = loaded[0], loaded[1]
    parser = tokenizer.tool_parser or (lambda text, tools: json.loads(text))
    start = tokenizer.tool_call_start or "<tool_call>"
    end = tokenizer.tool_call_end or "</tool_call>"
    cases, outputs = [], []
    for prompt in prompts:
        rendered = tokenizer.apply_chat_template(
            prompt.messages, tools=prompt.tools, add_generation_prompt=True, tokenize=False
        )
        limit = token_limit(tokenizer, prompt, rendered, max_tokens)
        began = time.perf_counter()
        text = generate(model, tokenizer, prompt=rendered, max_tokens=limit)
        seconds = time.perf_counter() - began
        outputs.append(text)
        parsed = classify(text, parser, start, end, prompt.tools)
        tokens = len(tokenizer.encode(text))
        cases.append(Case(prompt.expected, parsed, seconds, tokens, prompt.where, prompt.groups))
    return score(cases, execute), outputs, cases
