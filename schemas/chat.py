"""A conversation `curate chat` had: the messages and tools in the export format, what happened at
every step, and how long each part took.

`messages` + `tools` are exactly an export row (`{"messages": [...], "tools": [...]}`), so a
transcript can be trained on, or saved as an example candidate and verified like any other.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ChatStatus = Literal["answered", "malformed_call", "empty_answer", "step_limit"]
"""How the conversation ended: an answer; a call the loop could not read; the model said nothing;
or the model was still calling tools when the step limit came."""
StepOutcome = Literal["call", "malformed_call", "answer", "empty_answer"]


class ChatRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CallTiming(ChatRecord):
    """One tool call the loop executed: its id, tool, how long the executor took, and its error (the
    tool turn then carries `{"error": ...}`)."""

    id: str
    name: str
    seconds: float
    total: int | None = None
    """Matches found (None when the call failed)."""
    error: str | None = None


class ChatStep(ChatRecord):
    """One model turn and the calls it asked for."""

    step: int
    outcome: StepOutcome
    model_seconds: float
    """The model's turn: generation locally, the whole request for an endpoint."""
    tokens: int | None = None
    """Tokens the model wrote, where known."""
    calls: list[CallTiming] = []
    raw: str | None = None
    """What the model wrote, kept when it could not be read as a call."""


class ChatTranscript(ChatRecord):
    domain: str
    model: str
    status: ChatStatus
    detail: str
    """What happened, in a sentence."""
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    steps: list[ChatStep]
    seconds: float
    """The whole query, end to end."""

    @property
    def question(self) -> str:
        return next(str(message.get("content") or "") for message in self.messages if message["role"] == "user")

    @property
    def answer(self) -> str | None:
        last = self.messages[-1] if self.messages else {}
        return str(last["content"]) if self.status == "answered" and last.get("role") == "assistant" else None
