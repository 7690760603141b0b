"""What every verification stage shares: its signature, its failure, and the context it runs in.

A stage is a `Stage(name, check)`; `check(example, context)` raises `StageFailure(name, reason)` to
reject the example and returns None (or a `Passed` saying more) to pass it. Stages never see each
other: what they need from the store comes through the `Context`, which one verifier builds once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar, cast

from curate.store import Store
from curate.tools import Executor
from schemas import Example

TokenCounter = Callable[[str], int]
T = TypeVar("T")


class StageFailure(Exception):
    """A stage rejects an example: the stage's name and a reason a person can act on. `stale`: the
    recorded result no longer matches because the source was re-mined (not the example's fault)."""

    def __init__(self, stage: str, reason: str, *, stale: bool = False, turn: int | None = None) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason
        self.stale = stale
        self.turn = turn
        """The index in `messages` of the turn that failed, where the stage can tell."""


@dataclass(frozen=True)
class Passed:
    """What a stage that passes an example may say besides "pass"."""

    mark: str = "pass"
    """The stage's entry in the verdict's checks ("skipped" when there was nothing to check)."""
    status: str | None = None
    """A verdict status other than "verified" the example gets if no later stage rejects it."""
    tokens: int | None = None
    """The example's length in tokens, for the verdict."""


PASSED = Passed()


class Context:
    """What the stages of one verifier share: the store and domain, the executor that replays calls,
    the token budget, and whatever a stage derives from the store once (the store does not change
    while a verifier lives)."""

    def __init__(
        self,
        store: Store,
        domain: str,
        *,
        max_tokens: int,
        count_tokens: TokenCounter,
        executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.domain = domain
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens
        self._executor = executor
        self._derived: dict[Callable[[Context], object], object] = {}

    @property
    def executor(self) -> Executor:
        """The executor given, else one made on first use (which raises `InputError` when the store
        has no such domain). It remembers its results: each distinct call runs once."""
        if self._executor is None:
            self._executor = Executor(self.store, self.domain)
        return self._executor

    def derived(self, compute: Callable[[Context], T]) -> T:
        """`compute(self)`, computed on the first call and remembered after."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return cast(T, self._derived[compute])


@dataclass(frozen=True)
class Stage:
    """One verification stage: its name (recorded with each rejection) and its check."""

    name: str
    check: Callable[[Example, Context], Passed | None]


def tool_results(example: Example) -> dict[str, str]:
    """Each tool turn's content, by the id of the call it answers."""
    return {str(m.tool_call_id): m.content or "" for m in example.messages if m.role == "tool"}


def result_turns(example: Example) -> dict[str, int]:
    """The index in `messages` of each tool turn, by the id of the call it answers."""
    return {str(m.tool_call_id): index for index, m in enumerate(example.messages) if m.role == "tool"}


def call_turns(example: Example) -> dict[str, int]:
    """The index in `messages` of the assistant turn making each call, by the call's id."""
    return {call.id: index for index, m in enumerate(example.messages) for call in m.tool_calls or []}


@contextmanager
def at_turn(turn: int) -> Iterator[None]:
    """A failure raised inside without a turn is said to be at `turn`."""
    try:
        yield
    except StageFailure as failure:
        if failure.turn is None:
            failure.turn = turn
        raise
