"""How the conversation shapes are asked for and phrased: the `--shapes` shares, and the phrasebook
read from `data/shapes.toml` (joins, chain rules, follow-ups, clarifications, wrong argument names),
checked at load against the tool catalog and the intents."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curate.errors import InputError
from curate.intents import INTENTS
from curate.tools import TOOLS
from schemas import SHAPES

SHAPES_FILE = Path(__file__).resolve().parent.parent / "data" / "shapes.toml"
COMPOSED = tuple(shape for shape in SHAPES if shape != "single")
"""The shapes synthesis composes from single tool calls."""
DEFAULT_SHARE = 0.1
"""The share of examples of each shape `--shapes all` (or a shape named without a share) asks for."""


class Phrasing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parallel(Phrasing):
    joins: list[str] = Field(min_length=1)


class Chain(Phrasing):
    """A later step: after a call to one of `after`, call `call` with arguments taken from the first
    match (`arguments`: argument name -> match field), answered by intent `answer`'s writer."""

    after: list[str] = Field(min_length=1)
    call: str
    arguments: dict[str, str] = Field(min_length=1)
    answer: str
    asks: list[str] = Field(min_length=1)


class MultiTurn(Phrasing):
    narrow: list[str] = Field(min_length=1)
    next: list[str] = Field(min_length=1)


class Slot(Phrasing):
    vague: str
    asks: list[str] = Field(min_length=1)


class Clarification(Phrasing):
    replies: list[str] = Field(min_length=1)
    slots: dict[str, Slot]


class Recovery(Phrasing):
    wrong_names: dict[str, list[str]]


class Phrasebook(Phrasing):
    parallel: Parallel
    multi_step: list[Chain]
    multi_turn: MultiTurn
    clarification: Clarification
    recovery: Recovery


@functools.cache
def phrasebook(path: Path = SHAPES_FILE) -> Phrasebook:
    """The shapes' phrasings, read once; a bad file is an error naming it."""
    try:
        book = Phrasebook.model_validate(tomllib.loads(path.read_text("utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"cannot read the shapes' phrasings: {error}", path=str(path)) from None
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise InputError(f"bad shapes file: {where}: {problem['msg']}", path=str(path)) from None
    for chain in book.multi_step:
        for tool in (*chain.after, chain.call):
            if tool not in TOOLS:
                raise InputError(f"multi_step names an unknown tool {tool!r}", path=str(path))
        intent = INTENTS.get(chain.answer)
        if intent is None or intent.tool != chain.call:
            raise InputError(f"multi_step answer {chain.answer!r} is not an intent of {chain.call}", path=str(path))
    return book


def parse_shares(text: str | None) -> dict[str, float]:
    """`--shapes`: `all`, or a comma list of shape names, each with an optional `=share` (default
    `DEFAULT_SHARE`). Single is what is left, so it takes no share."""
    if not text:
        return {}
    if text.strip() == "all":
        return dict.fromkeys(COMPOSED, DEFAULT_SHARE)
    shares: dict[str, float] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, share = item.partition("=")
        name = name.strip()
        if name == "single":
            raise InputError("--shapes: single is what the other shapes leave; give it no share")
        if name not in COMPOSED:
            raise InputError(f"--shapes: unknown shape {name!r} (known: all, {', '.join(COMPOSED)})")
        try:
            value = float(share) if share else DEFAULT_SHARE
        except ValueError:
            raise InputError(f"--shapes: {item!r}: the share must be a number between 0 and 1") from None
        if not 0 <= value <= 1:
            raise InputError(f"--shapes: {item!r}: the share must be between 0 and 1")
        shares[name] = value
    return shares
