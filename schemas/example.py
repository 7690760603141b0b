"""Training examples: a conversation in the OpenAI / mlx-lm chat format, plus where it came from.

`messages` + `tools` is exactly what mlx-lm's `tools`/`chat` dataset format reads. A tool call's
`arguments` is an object, never a JSON string: Qwen2.5's chat template applies `tojson` to it, so a
string would reach the model double-encoded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

ExampleKind = Literal["tool_call", "direct"]
ExampleStatus = Literal["verified", "stale", "unverified", "rejected"]
VERIFICATION_STAGES = ("schema", "arguments", "replay", "grounding", "secrets", "length")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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


class Rejection(Record):
    """An example that failed a verification stage, with the stage and a reason a person can act on."""

    example_id: str
    domain: str
    stage: str
    reason: str
