"""Knowledge cards: the source of direct answers (questions a model should answer without a tool)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Card(BaseModel):
    """One topic: paraphrases of a conceptual question and one correct, self-contained answer.

    `pairs_with` names the intents whose codebase question is this card's twin ("Find all async
    functions in this codebase" / "What is an async function?"), for matched pairs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    topic: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    area: str
    pairs_with: list[str] = Field(default_factory=list)
    questions: list[str] = Field(min_length=3, max_length=6)
    answer: str = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _distinct(cls, questions: list[str]) -> list[str]:
        stripped = [question.strip() for question in questions]
        if any(not question for question in stripped):
            raise ValueError("a question is empty")
        if len(set(stripped)) != len(stripped):
            raise ValueError("questions repeat")
        return stripped

    @field_validator("answer")
    @classmethod
    def _trimmed(cls, answer: str) -> str:
        return answer.strip()
