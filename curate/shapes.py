"""Conversation shapes from verified single tool calls: parallel, multi-step, multi-turn, clarification
and recovery conversations, each composed of real calls on real facts.

A `Block` is one single tool call synthesis has already verified (its question, call, result and
answer). The composers here grow blocks into the other shapes, running every new call through the
same executor, so every tool turn is a real result (or, in a recovery, the executor's real error)
and every answer is written from its own results. How the shapes are phrased is data
(`data/shapes.toml`, read by `curate.shape_phrases`); which calls chain into which is data too.
Synthesis verifies each composed conversation with the same six stages before it keeps it.
"""

from __future__ import annotations

import hashlib
import posixpath
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from curate.answers import Style
from curate.errors import ToolCallError
from curate.intents import INTENTS, MAX_SOURCE_LINES, Call, DomainFacts, Intent, usable
from curate.jsontext import dumps
from curate.shape_phrases import Phrasebook, phrasebook
from curate.tools import TOOLS, error_content, result_content
from curate.verify.grounding import WORD, identifier_like
from schemas import Card, ToolResult

BLOCKS_PER_SHAPE = {"parallel": 2, "multi_step": 1, "multi_turn": 2, "clarification": 1, "recovery": 1}
"""Single tool calls a conversation of each shape is made of (at most)."""
ARTICLE = re.compile(r"\b(?:a|an|the)\s*$", re.I)


@dataclass(frozen=True)
class Block:
    """A verified single tool call, as a piece for the other shapes."""

    intent: Intent
    call: Call
    number: int
    query: str
    style: Style
    result: ToolResult
    answer: str

    @property
    def template(self) -> str:
        return f"{self.intent.name}/q{self.number}/{self.style}"

    @property
    def found(self) -> bool:
        return self.result.total > 0


@dataclass
class Composed:
    """A conversation of one shape, before it becomes an example: its messages, the intents of its
    calls, what made it (for the example's template), and every result it shows."""

    shape: str
    messages: list[dict[str, Any]]
    intents: list[str]
    template: str
    results: list[ToolResult] = field(default_factory=list)
    parts: tuple[Block, ...] = ()
    """The single calls it was grown from."""

    @property
    def locations(self) -> list[str]:
        return sorted({f"{match['path']}:{match['line']}" for result in self.results for match in result.matches})


Run = Callable[[str, dict[str, Any]], ToolResult]
"""Runs one call against the domain's store (raising `ToolCallError` if it fails)."""


def call_id(tool: str, arguments: dict[str, Any]) -> str:
    return "call_" + hashlib.sha256(dumps([tool, arguments]).encode()).hexdigest()[:8]


def calling(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "tool_calls": [
            {"id": call_id(tool, arguments), "type": "function", "function": {"name": tool, "arguments": arguments}}
            for tool, arguments in calls
        ],
    }


def answered(tool: str, arguments: dict[str, Any], content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id(tool, arguments), "name": tool, "content": content}


def turn(block: Block) -> list[dict[str, Any]]:
    """A block's call, result and answer: what follows its question."""
    tool, arguments = block.intent.tool, block.call.arguments
    return [
        calling((tool, arguments)),
        answered(tool, arguments, result_content(block.result)),
        {"role": "assistant", "content": block.answer},
    ]


def stem(question: str) -> str:
    """A question without its closing punctuation, to go on with."""
    return question.rstrip().rstrip(".?!").rstrip()


def lowered(question: str) -> str:
    """The question with its first word lowercased, where that word is an ordinary word ('Which',
    not 'FastAPI')."""
    head = question.split(" ", 1)[0]
    if head[:1].isupper() and head[1:].islower():
        return question[:1].lower() + question[1:]
    return question


def closed(question: str) -> str:
    """The question ending with its own mark, or a full stop where it has none."""
    question = question.rstrip()
    return question if question.endswith((".", "?", "!")) else question + "."


def phrase(template: str, first: Block | str, second: Block | str | None = None) -> str:
    one = first.query if isinstance(first, Block) else first
    two = (second.query if isinstance(second, Block) else second) or ""
    return template.format(first=stem(one), First=closed(one), second=lowered(two), Second=two)


class Composer:
    """Grows verified single tool calls into the other shapes, running each new call through `run`."""

    def __init__(self, run: Run, facts: DomainFacts, cards: Sequence[Card], book: Phrasebook | None = None) -> None:
        self.run = run
        self.facts = facts
        self.cards = list(cards)
        self.book = book or phrasebook()
        self.folder_calls: dict[str, list[Call]] = {}

    def compose(self, shape: str, blocks: Sequence[Block], rng: random.Random) -> Composed | None:
        """One conversation of `shape` from the first block (and, for two-block shapes, the second);
        None where the blocks cannot make one."""
        if shape == "parallel":
            return self.parallel(blocks[0], blocks[1], rng) if len(blocks) > 1 else None
        if shape == "multi_turn":
            return self.multi_turn(blocks[0], blocks[1] if len(blocks) > 1 else None, rng)
        return {"multi_step": self.multi_step, "clarification": self.clarification, "recovery": self.recovery}[shape](
            blocks[0], rng
        )

    # -- parallel ---------------------------------------------------------------------------------
    def parallel(self, first: Block, second: Block, rng: random.Random) -> Composed | None:
        """Two independent questions in one: both calls in one assistant turn, both answers after."""
        if not (first.found and second.found) or first.intent.tool == second.intent.tool:
            return None
        number = rng.randrange(len(self.book.parallel.joins))
        calls = [(block.intent.tool, block.call.arguments) for block in (first, second)]
        messages = [
            {"role": "user", "content": phrase(self.book.parallel.joins[number], first, second)},
            calling(*calls),
            *(
                answered(tool, arguments, result_content(block.result))
                for (tool, arguments), block in zip(calls, (first, second), strict=True)
            ),
            {"role": "assistant", "content": f"{first.answer}\n\n{second.answer}"},
        ]
        return Composed(
            "parallel",
            messages,
            [first.intent.name, second.intent.name],
            f"parallel/j{number}/{first.template}+{second.template}",
            [first.result, second.result],
            (first, second),
        )

    # -- multi-step -------------------------------------------------------------------------------
    def multi_step(self, block: Block, rng: random.Random) -> Composed | None:
        """A question answered in two steps: the block's call, then a call built from its first match."""
        if not block.found:
            return None
        chains = [
            (number, chain)
            for number, chain in enumerate(self.book.multi_step)
            if block.intent.tool in chain.after
            and all(field in block.result.matches[0] for field in chain.arguments.values())
        ]
        rng.shuffle(chains)
        first = block.result.matches[0]
        for number, chain in chains:
            arguments = {name: first[field] for name, field in chain.arguments.items()}
            if not all(isinstance(value, str) and usable(value) for value in arguments.values()):
                continue
            later = self.found(chain.call, arguments)
            if later is None or (chain.call == "read_symbol" and not short_enough(later)):
                continue
            intent = INTENTS[chain.answer]
            ask = rng.randrange(len(chain.asks))
            tool, earlier = block.intent.tool, block.call.arguments
            messages = [
                {"role": "user", "content": phrase(chain.asks[ask], block)},
                calling((tool, earlier)),
                answered(tool, earlier, result_content(block.result)),
                calling((chain.call, arguments)),
                answered(chain.call, arguments, result_content(later)),
                {
                    "role": "assistant",
                    "content": f"{block.answer}\n\n{intent.answer(later, Call(arguments), block.style)}",
                },
            ]
            return Composed(
                "multi_step",
                messages,
                [block.intent.name, intent.name],
                f"multi_step/c{number}a{ask}/{block.template}",
                [block.result, later],
                (block,),
            )
        return None

    def found(self, tool: str, arguments: dict[str, Any]) -> ToolResult | None:
        """The call's result where it runs and finds something."""
        try:
            result = self.run(tool, arguments)
        except ToolCallError:
            return None
        return result if result.total > 0 else None

    # -- multi-turn -------------------------------------------------------------------------------
    def multi_turn(self, first: Block, second: Block | None, rng: random.Random) -> Composed | None:
        """A follow-up after the block's answer: narrowed to a folder of its matches where the intent
        asks by folder, else the second block's question, or a concept answered without a call."""
        if not first.found:
            return None
        opening = [{"role": "user", "content": first.query}, *turn(first)]
        narrowed = self.narrowed(first, rng)
        if narrowed is not None:
            number, folder, block = narrowed
            follow = self.book.multi_turn.narrow[number].format(path=folder)
            return Composed(
                "multi_turn",
                [*opening, {"role": "user", "content": follow}, *turn(block)],
                [first.intent.name, block.intent.name],
                f"multi_turn/n{number}/{first.template}+{block.template}",
                [first.result, block.result],
                (first,),
            )
        number = rng.randrange(len(self.book.multi_turn.next))
        card = self.cards[rng.randrange(len(self.cards))] if self.cards and rng.random() < 0.5 else None
        asked = rng.randrange(len(card.questions)) if card is not None else 0
        if card is not None and not names_nothing(card.questions[asked]):
            card = None  # a question that names code would ask the call to use it
        if card is not None:
            follow = phrase(self.book.multi_turn.next[number], first, card.questions[asked])
            return Composed(
                "multi_turn",
                [*opening, {"role": "user", "content": follow}, {"role": "assistant", "content": card.answer}],
                [first.intent.name, f"concept:{card.area}"],
                f"multi_turn/x{number}/{first.template}+card:{card.topic}/q{asked}",
                [first.result],
                (first,),
            )
        if second is None or not second.found or second.intent.name == first.intent.name:
            return None
        follow = phrase(self.book.multi_turn.next[number], first, second)
        return Composed(
            "multi_turn",
            [*opening, {"role": "user", "content": follow}, *turn(second)],
            [first.intent.name, second.intent.name],
            f"multi_turn/x{number}/{first.template}+{second.template}",
            [first.result, second.result],
            (first, second),
        )

    def narrowable(self, block: Block) -> bool:
        """The block asks over everything or a folder, and its intent also asks by folder."""
        return set(block.call.slots) <= {"path"} and bool(self.by_folder(block.intent))

    def narrowed(self, block: Block, rng: random.Random) -> tuple[int, str, Block] | None:
        """The block's call narrowed to a folder (or file) that holds some but not all of its matches,
        as the intent itself asks by folder."""
        if not self.narrowable(block):
            return None
        folders = {
            call.arguments["path"]: call
            for call in self.by_folder(block.intent)
            if {**block.call.arguments, "path": call.arguments["path"]} == call.arguments
        }
        shown = sorted(
            {
                folder
                for match in block.result.matches
                for folder in (str(match["path"]), *parents(str(match["path"])))
                if folder in folders
            }
        )
        rng.shuffle(shown)
        for folder in shown:
            call = folders[folder]
            result = self.found(block.intent.tool, call.arguments)
            if result is None or result.total >= block.result.total:
                continue
            number = rng.randrange(len(self.book.multi_turn.narrow))
            answer = block.intent.answer(result, call, block.style)
            return number, folder, Block(block.intent, call, block.number, "", block.style, result, answer)
        return None

    def by_folder(self, intent: Intent) -> list[Call]:
        """The intent's calls narrowed to one folder (none if it does not ask by folder)."""
        if intent.name not in self.folder_calls:
            self.folder_calls[intent.name] = [call for call in intent.calls(self.facts) if set(call.slots) == {"path"}]
        return self.folder_calls[intent.name]

    # -- clarification ----------------------------------------------------------------------------
    def clarification(self, block: Block, rng: random.Random) -> Composed | None:
        """An under-specified request (the block's template with its one slot made vague), a question
        back that names nothing, the user's answer, then the block's call."""
        if not block.found or len(block.call.slots) != 1:
            return None
        ((slot, value),) = block.call.slots.items()
        is_file = slot == "path" and bool(posixpath.splitext(value)[1])
        wording = self.book.clarification.slots.get("file" if is_file else slot)
        if wording is None:
            return None
        vague = made_vague(block.intent.templates[block.number], slot, wording.vague)
        if vague is None:
            return None
        ask = rng.randrange(len(wording.asks))
        reply = rng.randrange(len(self.book.clarification.replies))
        messages = [
            {"role": "user", "content": vague.format(project=self.facts.project)},
            {"role": "assistant", "content": wording.asks[ask]},
            {"role": "user", "content": self.book.clarification.replies[reply].format(value=value)},
            *turn(block),
        ]
        return Composed(
            "clarification",
            messages,
            [block.intent.name],
            f"clarification/a{ask}r{reply}/{block.template}",
            [block.result],
            (block,),
        )

    # -- recovery ---------------------------------------------------------------------------------
    def recovery(self, block: Block, rng: random.Random) -> Composed | None:
        """The block's call with one argument misnamed, the executor's real error, then the call again."""
        if not block.found:
            return None
        tool, arguments = block.intent.tool, block.call.arguments
        known = set(TOOLS[tool].spec.as_openai()["function"]["parameters"]["properties"])
        options = [
            (name, wrong)
            for name in arguments
            for wrong in self.book.recovery.wrong_names.get(name, [])[:1]
            if wrong not in known
        ]
        if not options:
            return None
        name, wrong = options[rng.randrange(len(options))]
        bad = {(wrong if key == name else key): value for key, value in arguments.items()}
        try:
            self.run(tool, bad)
        except ToolCallError as error:
            failure = error_content(error)
        else:  # the tool took the wrong name after all: no error to recover from
            return None
        messages = [
            {"role": "user", "content": block.query},
            calling((tool, bad)),
            answered(tool, bad, failure),
            *turn(block),
        ]
        return Composed(
            "recovery",
            messages,
            [block.intent.name],
            f"recovery/{name}-{wrong}/{block.template}",
            [block.result],
            (block,),
        )


def names_nothing(question: str) -> bool:
    """The question names no identifier (`json.dumps`, `BaseModel`), so it can follow a tool call
    as a question about a concept."""
    return not any(identifier_like(word) for word in WORD.findall(question))


def short_enough(result: ToolResult) -> bool:
    """A source a read_symbol answer can show whole (as its intent's examples do)."""
    return all(str(match.get("source", "")).count("\n") < MAX_SOURCE_LINES for match in result.matches)


def parents(path: str) -> list[str]:
    """Every folder above a path, nearest first."""
    found = []
    folder = posixpath.dirname(path)
    while folder:
        found.append(folder)
        folder = posixpath.dirname(folder)
    return found


def made_vague(template: str, slot: str, vague: str) -> str | None:
    """The template with its slot (and the marks around it) replaced by the vague words; None where
    that would not read (`the that route route`)."""
    placeholder = re.compile(r"[@`\"]?\{" + re.escape(slot) + r"\}[`\"/]?")
    found = placeholder.search(template)
    if found is None or ARTICLE.search(template[: found.start()]):
        return None
    noun = vague.rsplit(maxsplit=1)[-1]
    after = template[found.end() :].split()
    if after and after[0].strip("?.,!").casefold() == noun.casefold():
        return None
    return template[: found.start()] + vague + template[found.end() :]
