"""Training examples: a conversation in the OpenAI / mlx-lm chat format, plus where it came from.

`messages` + `tools` is exactly what mlx-lm's `tools`/`chat` dataset format reads. A tool call's
`arguments` is an object, never a JSON string: Qwen2.5's chat template applies `tojson` to it, so a
string would reach the model double-encoded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

ExampleKind = Literal["tool_call", "direct"]
Shape = Literal["single", "parallel", "multi_step", "multi_turn", "clarification", "recovery"]
SHAPES: tuple[Shape, ...] = ("single", "parallel", "multi_step", "multi_turn", "clarification", "recovery")
"""What a conversation does, read from its turns by `shape_of`: one call or none (single), several
independent calls in one assistant turn (parallel), a call that uses an earlier call's result
(multi_step), a second user turn (multi_turn), a question back before the call (clarification), a
call that failed and was corrected (recovery)."""
ExampleStatus = Literal["verified", "stale", "unverified", "rejected"]
VERIFICATION_STAGES = ("schema", "arguments", "replay", "grounding", "secrets", "length")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class FunctionCall(Record):
    name: StrictStr
    arguments: dict[str, Any]


class ToolCall(Record):
    id: StrictStr
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(Record):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _fields_fit_role(self) -> Message:
        if self.tool_calls is not None and self.role != "assistant":
            raise ValueError(f"a {self.role} message cannot carry tool_calls")
        if self.role == "tool" and (self.tool_call_id is None or self.content is None):
            raise ValueError("a tool message needs tool_call_id and content")
        if self.role != "tool" and self.tool_call_id is not None:
            raise ValueError(f"a {self.role} message cannot carry tool_call_id")
        if self.role in ("system", "user") and not self.content:
            raise ValueError(f"a {self.role} message needs content")
        if self.role == "assistant" and not self.content and not self.tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        return self


class SourceRevision(Record):
    name: str
    revision: str
    license: str | None = None
    """The source's license (SPDX id) when curate could tell it."""


class Provenance(Record):
    """Everything needed to regenerate, replay or trace an example."""

    generator: str
    generator_version: str
    seed: int
    sources: list[SourceRevision] = Field(default_factory=list)
    """The mined sources (and their revisions) a tool-call example's result came from."""
    locations: list[str] = Field(default_factory=list)
    """`path:line` of every match the answer used, sorted."""
    tool_limit: int | None = None
    """The page size the tool call ran with: replay must use the same."""
    card: str | None = None
    teacher: str | None = None
    imported: str | None = None


class Example(Record):
    id: str
    domain: str
    kind: ExampleKind
    intent: str
    template: str
    pair_id: str | None = None
    messages: list[Message]
    tools: list[dict[str, Any]]
    provenance: Provenance
    catalog_version: str
    shape: Shape = "single"

    @property
    def query(self) -> str:
        """The user's question (the first user turn)."""
        return next(message.content or "" for message in self.messages if message.role == "user")

    @property
    def answer(self) -> str:
        """The assistant's final answer."""
        return self.messages[-1].content or ""

    @property
    def calls(self) -> list[ToolCall]:
        return [call for message in self.messages for call in message.tool_calls or []]

    @model_validator(mode="after")
    def _shape_fits_turns(self) -> Example:
        found = shape_of(self.messages)
        if self.shape != found:
            raise ValueError(f"the conversation's shape is {found}, not {self.shape}")
        return self


def is_error_result(content: str | None) -> bool:
    """A tool turn that reports a failed call: our `{"tool": ..., "error": ...}`, or another
    dataset's text that opens with "error"."""
    text = (content or "").lstrip()
    if text.startswith("{"):
        return '"error":' in text[:200] and '"matches":' not in text[:200]
    return text[:6].casefold() == "error:" or text[:5].casefold() == "error"


def turns(messages: list[Message]) -> list[list[Message]]:
    """The conversation cut at each user turn: each part opens with its user turn (a system turn
    before the first user turn is left out)."""
    parts: list[list[Message]] = []
    for message in messages:
        if message.role == "user":
            parts.append([message])
        elif parts:
            parts[-1].append(message)
    return parts


def shape_of(messages: list[Message]) -> Shape:
    """The conversation's shape (see `SHAPES`); where it has several, the first of: clarification,
    recovery, multi_turn, parallel, multi_step."""
    parts = turns(messages)
    calling = [[m for m in part if m.tool_calls] for part in parts]
    if len(parts) > 1 and not calling[0] and any(calling[1:]):
        first = parts[0][-1]
        if first.role == "assistant" and (first.content or "").rstrip().endswith("?"):
            return "clarification"
    for part in parts:
        seen_error = False
        for message in part:
            if message.role == "tool" and is_error_result(message.content):
                seen_error = True
            elif seen_error and message.tool_calls:
                return "recovery"
    if len(parts) > 1:
        return "multi_turn"
    if any(len(m.tool_calls or []) > 1 for part in calling for m in part):
        return "parallel"
    if any(len(part) > 1 for part in calling):
        return "multi_step"
    return "single"


class Rejection(Record):
    """An example that failed a verification stage, with the stage and a reason a person can act on."""

    example_id: str
    domain: str
    stage: str
    reason: str
    turn: int | None = None
    """The index in `messages` of the turn that failed, where the stage can tell."""
