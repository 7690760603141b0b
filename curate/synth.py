"""Synthesis: grounded tool-call examples from a domain's facts, direct answers from knowledge cards.

Every tool result in an example is a real run of the tool against the store, every answer is written
from that result, and every example passes the six verification stages before it is kept; a
candidate that fails is recorded in the rejections with its stage and reason. The same store, seed
and arguments give byte-identical examples.

A result that found nothing is an answer only about what the tool searched: a candidate whose tool
found nothing in a domain that uses a framework the tool does not read is skipped (its result proves
nothing), and candidates that find something come first, those that find nothing filling in up to
`max_empty_share` of the tool calls (the audit policy's limit). Skipped candidates are counted by
reason in the stats.

Over 500 lines because one `Synthesizer` holds what every step shares (the verifier, the executor,
the seed's random stream, the pool of verified single calls the other shapes grow from, the pairs
already stored); how those shapes are composed lives in `curate.shapes`, how they are phrased in
`curate.shape_phrases`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from curate.answers import STYLES
from curate.cards import cards_for, load_cards
from curate.errors import CheckFailed, InputError
from curate.intents import INTENTS, Call, DomainFacts, Intent, active_catalog, intents_for
from curate.jsontext import dumps
from curate.shape_phrases import COMPOSED
from curate.shapes import BLOCKS_PER_SHAPE, Block, Composed, Composer, call_id
from curate.store import Store, StoredExample
from curate.store.examples import result_totals
from curate.tools import DEFAULT_LIMIT, TOOLS, Executor, result_content
from curate.tools.coverage import either
from curate.verify import DEFAULT_MAX_TOKENS, TokenCounter, Verdict, Verifier, estimate_tokens
from schemas import Card, Example, Message, Rejection, ToolResult, shape_of

GENERATOR = "curate.synth"
GENERATOR_VERSION = "1"
DEFAULT_TOOL_RATIO = 0.76
DEFAULT_MAX_EMPTY_SHARE = 0.2
"""At most this share of the tool-call examples find nothing (the audit policy's default limit)."""
BARE_SHARE = 0.25
"""Of the direct examples, this share is offered no tools at all; the rest are offered the domain's
tools (half of those paired with a tool-call example of the same topic where a card allows)."""


class Rewriter:
    """What a teacher model offers synthesis: new wordings, which must pass the same six stages."""

    name: str = "teacher"

    def paraphrase(self, query: str) -> str:
        raise NotImplementedError

    def rephrase(self, answer: str) -> str:
        raise NotImplementedError


@dataclass
class Synthesis:
    domain: str
    examples: list[StoredExample] = field(default_factory=list)
    rejections: list[tuple[Rejection, dict[str, Any]]] = field(default_factory=list)
    candidates: Counter[str] = field(default_factory=Counter)
    """Distinct candidate tool-call questions per intent (what the facts allow)."""
    teacher_kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Candidates never written, by reason (an empty result that proves nothing, one over the share)."""

    def counts(self) -> Counter[str]:
        return Counter(str(item.record["kind"]) for item in self.examples)

    def empty_results(self) -> int:
        """Tool-call examples whose every tool result found nothing."""
        return sum(1 for item in self.examples if item.record["kind"] == "tool_call" and found_nothing(item.record))

    def empty_result_share(self) -> float:
        tool_calls = self.counts()["tool_call"]
        return self.empty_results() / tool_calls if tool_calls else 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "examples": len(self.examples),
            "tool_call": self.counts()["tool_call"],
            "direct": self.counts()["direct"],
            "paired": sum(1 for item in self.examples if item.record.get("pair_id")) // 2,
            "shapes": dict(sorted(Counter(str(item.record.get("shape", "single")) for item in self.examples).items())),
            "empty_results": self.empty_results(),
            "empty_result_share": round(self.empty_result_share(), 4),
            "rejected": dict(sorted(Counter(rejection.stage for rejection, _ in self.rejections).items())),
            "skipped": dict(sorted(self.skipped.items())),
            "teacher_kept": self.teacher_kept,
        }


def found_nothing(record: dict[str, Any]) -> bool:
    """Every tool result of the conversation found nothing (as the audit counts it)."""
    totals = result_totals(record)
    return bool(totals) and all(total == 0 for total in totals)


def example_id(domain: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
    return hashlib.sha256(dumps({"domain": domain, "messages": messages, "tools": tools}).encode()).hexdigest()[:16]


def domain_languages(executor: Executor) -> set[str]:
    """The languages of a domain's parsed files."""
    context = executor.context
    return {record.language for source in context.sources for record in context.files(source)}


def offered_tools(languages: set[str]) -> list[dict[str, Any]]:
    """The tools a domain's examples offer, in catalog order: those its languages' intents call, and
    `search_text`. `curate chat` offers the same, so a model is asked as it was trained."""
    used = {intent.tool for intent in intents_for(languages)} | {"search_text"}
    return [tool.spec.as_openai() for name, tool in TOOLS.items() if name in used]


def source_revisions(store: Store, domain: str) -> list[dict[str, Any]]:
    """The domain's sources as a tool-call example's provenance records them."""
    return [
        {"name": source.name, "revision": source.revision, **({"license": source.license} if source.license else {})}
        for source in store.sources(domain)
    ]


def to_record(example: Example) -> dict[str, Any]:
    return example.model_dump(mode="json", exclude_none=True)


class Synthesizer:
    def __init__(
        self,
        store: Store,
        domain: str,
        *,
        seed: int = 0,
        intents: Sequence[str] | None = None,
        cards: Sequence[Card] | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        count_tokens: TokenCounter = estimate_tokens,
        tool_limit: int = DEFAULT_LIMIT,
        teacher: Rewriter | None = None,
        max_empty_share: float = DEFAULT_MAX_EMPTY_SHARE,
        distractors: int | None = None,
        system: str | None = None,
    ) -> None:
        unknown = sorted(set(intents or ()) - set(INTENTS))
        if unknown:
            raise InputError(f"unknown intents {', '.join(unknown)} (known: {', '.join(sorted(INTENTS))})")
        self.store = store
        self.domain = domain
        self.seed = seed
        self.executor = Executor(store, domain)
        self.verifier = Verifier(
            store, domain, max_tokens=max_tokens, count_tokens=count_tokens, executor=self.executor
        )
        if not 0 <= max_empty_share <= 1:
            raise InputError("the share of empty results must be between 0 and 1")
        if distractors is not None and distractors < 0:
            raise InputError("--distractors must be 0 or more")
        if system is not None and not system.strip():
            raise InputError("--system must not be empty")
        self.tool_limit = tool_limit
        self.teacher = teacher
        self.distractors = distractors
        self.system = system
        self.max_empty_share = max_empty_share
        context = self.executor.context
        self.languages = domain_languages(self.executor)
        self.intents = intents_for(self.languages, intents)
        self.cards = cards_for(list(cards) if cards is not None else load_cards(), self.languages)
        self.tools = offered_tools(self.languages)
        self.sources = source_revisions(store, domain)
        self.facts = DomainFacts(context, domain)
        self.composer = Composer(
            lambda tool, arguments: self.executor(tool, arguments, self.tool_limit), self.facts, self.cards
        )
        self.stored = {item.id: item.record.get("pair_id") for item in store.light_examples(domain=domain)}
        """Examples of this domain already in the store, with their pair ids."""

    # -- the whole run ---------------------------------------------------------------------------
    def run(
        self, n: int, tool_ratio: float = DEFAULT_TOOL_RATIO, shapes: Mapping[str, float] | None = None
    ) -> Synthesis:
        """`n` examples, `tool_ratio` of them calling a tool; of all `n`, `shapes[shape]` are
        conversations of that shape (each calls a tool), the other tool calls single ones."""
        if n < 1:
            raise InputError("--n must be at least 1")
        if not 0 <= tool_ratio <= 1:
            raise InputError("--tool-ratio must be between 0 and 1")
        wanted_tool = round(n * tool_ratio)
        wanted_direct = n - wanted_tool
        quotas = {shape: round(n * share) for shape, share in (shapes or {}).items() if round(n * share) > 0}
        if sum(quotas.values()) > wanted_tool:
            raise InputError(
                f"--shapes ask for {sum(quotas.values())} conversations, more than the {wanted_tool} tool-call "
                f"examples of {n} at --tool-ratio {tool_ratio:g} (every shape but single calls a tool)"
            )
        wanted_single = wanted_tool - sum(quotas.values())
        # twice the single calls the composed conversations are made of: not every call fits every shape
        # (a chain needs a result to chain from), and with only as many a shape-heavy run falls short
        spare = 2 * sum(BLOCKS_PER_SHAPE[shape] * count for shape, count in quotas.items())
        rng = random.Random(self.seed)
        synthesis = Synthesis(self.domain)
        pool = self.tool_calls(wanted_single + spare, rng, synthesis)
        composed, used = self.composed(quotas, pool, rng, synthesis)
        singles = [self.teach(kept, synthesis) for kept in self.singles(wanted_single, pool, used)]
        tool_examples = [*singles, *composed]
        direct_examples = self.directs(wanted_direct, singles, rng, synthesis)
        problems = []
        if len(singles) < wanted_single:
            problems.append(self.tool_deficit(wanted_single, len(singles), synthesis))
        for shape, count in quotas.items():
            got = sum(1 for item in composed if item.record["shape"] == shape)
            if got < count:
                problems.append(self.shape_deficit(shape, count, got, pool, synthesis))
        if len(direct_examples) < wanted_direct:
            problems.append(
                f"{len(direct_examples)} of {wanted_direct} direct examples: {len(self.cards)} cards for "
                f"{'/'.join(sorted(self.languages)) or 'no language'} give "
                f"{sum(len(card.questions) for card in self.cards)} questions"
            )
        if problems:
            raise CheckFailed(f"domain {self.domain!r} cannot give {n} examples: " + "; ".join(problems))
        synthesis.examples = [*tool_examples, *direct_examples]
        return synthesis

    def singles(self, wanted: int, pool: list[tuple[StoredExample, Block]], used: set[int]) -> list[StoredExample]:
        """The single tool calls: those no other shape used first, in the order they were made,
        those that find nothing within the share; then, if too few, some the other shapes used."""
        chosen: list[StoredExample] = []
        empty = 0
        for index, (kept, block) in enumerate(pool):
            if len(chosen) == wanted:
                return chosen
            if index in used:
                continue
            if not block.found:
                if empty + 1 > self.max_empty_share * wanted:
                    continue
                empty += 1
            chosen.append(kept)
        for index in sorted(used):
            if len(chosen) == wanted:
                break
            chosen.append(pool[index][0])
        return chosen

    def composed(
        self,
        quotas: Mapping[str, int],
        pool: list[tuple[StoredExample, Block]],
        rng: random.Random,
        synthesis: Synthesis,
    ) -> tuple[list[StoredExample], set[int]]:
        """The conversations of each composed shape, grown from the pool's single calls (those not
        yet used first), each verified; and the pool indexes they used."""
        made: list[StoredExample] = []
        used: set[int] = set()
        ids: set[str] = set()
        found = [index for index, (_, block) in enumerate(pool) if block.found]
        where = {id(block): index for index, (_, block) in enumerate(pool)}
        for shape in COMPOSED:
            wanted = quotas.get(shape, 0)
            got = 0
            order = [index for index in found if index not in used] + [index for index in found if index in used]
            if shape == "multi_turn":  # narrowed follow-ups and other follow-ups take turns
                narrow = [index for index in order if self.composer.narrowable(pool[index][1])]
                other = [index for index in order if not self.composer.narrowable(pool[index][1])]
                order = [index for pair in itertools.zip_longest(narrow, other) for index in pair if index is not None]
            for position, index in enumerate(order):
                if got == wanted:
                    break
                partners = [pool[other][1] for other in (order[position + 1 :] + order[:position])[:20]]
                conversation = self.composer.compose(shape, [pool[index][1], *partners], rng)
                if conversation is None:
                    continue
                kept = self.keep(self.composed_example(conversation), synthesis)
                if kept is None or kept.id in ids:
                    continue
                ids.add(kept.id)
                made.append(kept)
                got += 1
                used.update(where[id(part)] for part in conversation.parts if id(part) in where)
        return made, used

    def composed_example(self, conversation: Composed) -> Example:
        return self.example(
            conversation.messages,
            kind="tool_call",
            intent="+".join(conversation.intents),
            template=conversation.template,
            provenance={"sources": self.sources, "locations": conversation.locations, "tool_limit": self.tool_limit},
        )

    def shape_deficit(
        self, shape: str, wanted: int, got: int, pool: list[tuple[StoredExample, Block]], synthesis: Synthesis
    ) -> str:
        rejected = Counter(
            rejection.stage for rejection, record in synthesis.rejections if record.get("shape") == shape
        )
        failed = f"; {sum(rejected.values())} failed verification ({dict(rejected)})" if rejected else ""
        found = sum(1 for _, block in pool if block.found)
        return (
            f"{got} of {wanted} {shape} conversations: grown from {found} verified single calls that find "
            f"something{failed}"
        )

    def tool_deficit(self, wanted: int, got: int, synthesis: Synthesis) -> str:
        per_intent = ", ".join(f"{name} {count}" for name, count in sorted(synthesis.candidates.items()))
        rejected = Counter(
            rejection.stage for rejection, record in synthesis.rejections if record.get("kind") == "tool_call"
        )
        rejections = f"; {sum(rejected.values())} candidates failed verification ({dict(rejected)})" if rejected else ""
        skipped = (
            "; skipped: " + "; ".join(f"{count} {reason}" for reason, count in sorted(synthesis.skipped.items()))
            if synthesis.skipped
            else ""
        )
        return (
            f"{got} of {wanted} tool-call examples: the facts allow {sum(synthesis.candidates.values())} "
            f"distinct questions ({per_intent or 'no intent applies'}){rejections}{skipped}"
        )

    # -- tool calls ------------------------------------------------------------------------------
    def tool_calls(self, wanted: int, rng: random.Random, synthesis: Synthesis) -> list[tuple[StoredExample, Block]]:
        """Up to `wanted` verified single tool calls, intents taking turns, those that find nothing
        within the share; each with its pieces (a `Block`) for the other shapes."""
        queues: list[tuple[Intent, list[tuple[Call, int, str]]]] = []
        for intent in self.intents:
            candidates = [
                (call, number, template)
                for call in intent.calls(self.facts)
                for number, template in intent.phrasings(call)
            ]
            rng.shuffle(candidates)
            synthesis.candidates[intent.name] = len(candidates)
            queues.append((intent, candidates))
        rng.shuffle(queues)
        accepted: list[tuple[StoredExample, Block]] = []
        waiting: deque[tuple[Intent, Call, int, str]] = deque()
        """Candidates that find nothing, written only while the share of empty results allows."""
        empty = 0
        seen: set[str] = set()

        def room() -> bool:
            return len(accepted) < wanted and empty + 1 <= self.max_empty_share * (len(accepted) + 1)

        def fill() -> None:
            nonlocal empty
            while waiting and room():
                example, block = self.tool_example(*waiting.popleft(), rng)
                kept = self.keep(example, synthesis)
                if kept is not None:
                    accepted.append((kept, block))
                    empty += 1

        while len(accepted) < wanted and any(candidates for _, candidates in queues):
            for intent, candidates in queues:
                if len(accepted) >= wanted or not candidates:
                    continue
                call, number, template = candidates.pop()
                query = template.format(project=self.domain, **call.slots)
                if query in seen:
                    continue
                seen.add(query)
                result = self.executor(intent.tool, call.arguments, self.tool_limit)
                if result.total == 0 and not call.expect_match:
                    if not self.proves_nothing(result, synthesis):
                        waiting.append((intent, call, number, query))
                    continue
                example, block = self.tool_example(intent, call, number, query, rng, result)
                if call.expect_match and example.calls and self.found_nothing(example):
                    reason = f"{intent.tool} found nothing for {json.dumps(call.arguments)}, a name the facts hold"
                    rejection = Rejection(example_id=example.id, domain=self.domain, stage="synthesis", reason=reason)
                    synthesis.rejections.append((rejection, to_record(example)))
                    continue
                kept = self.keep(example, synthesis)
                if kept is not None:
                    accepted.append((kept, block))
                    fill()
        fill()
        if waiting:
            synthesis.skipped[f"empty results over the {self.max_empty_share:.0%} share"] += len(waiting)
        return accepted

    @staticmethod
    def proves_nothing(result: ToolResult, synthesis: Synthesis) -> bool:
        """An empty result in a domain that uses frameworks the tool does not read: skipped, counted."""
        if result.coverage is None or not result.coverage.unread:
            return False
        unread = either(result.coverage.unread).replace(" or ", " and ")
        synthesis.skipped[f"empty results of {result.tool} in a domain using {unread}, which it does not read"] += 1
        return True

    def tool_example(
        self, intent: Intent, call: Call, number: int, query: str, rng: random.Random, result: ToolResult | None = None
    ) -> tuple[Example, Block]:
        """A single tool call: the question, the call, its result (run now unless given), the answer."""
        if result is None:
            result = self.executor(intent.tool, call.arguments, self.tool_limit)
        style = rng.choice(STYLES)
        block = Block(intent, call, number, query, style, result, intent.answer(result, call, style))
        ident = call_id(intent.tool, call.arguments)
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": query},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": ident, "type": "function", "function": {"name": intent.tool, "arguments": call.arguments}}
                ],
            },
            {"role": "tool", "tool_call_id": ident, "name": intent.tool, "content": result_content(result)},
            {"role": "assistant", "content": block.answer},
        ]
        locations = sorted({f"{match['path']}:{match['line']}" for match in result.matches})
        example = self.example(
            messages,
            kind="tool_call",
            intent=intent.name,
            template=block.template,
            provenance={"sources": self.sources, "locations": locations, "tool_limit": self.tool_limit},
        )
        return example, block

    def example(
        self,
        messages: list[dict[str, Any]],
        *,
        kind: str,
        intent: str,
        template: str,
        provenance: dict[str, Any],
        tools: list[dict[str, Any]] | None = None,
    ) -> Example:
        if self.system is not None and messages[0]["role"] != "system":
            messages = [{"role": "system", "content": self.system}, *messages]
        offered = self.offered(messages) if tools is None else tools
        return Example.model_validate(
            {
                "id": example_id(self.domain, messages, offered),
                "domain": self.domain,
                "kind": kind,
                "intent": intent,
                "template": template,
                "messages": messages,
                "shape": shape_of([Message.model_validate(message) for message in messages]),
                "tools": offered,
                "provenance": {
                    "generator": GENERATOR,
                    "generator_version": GENERATOR_VERSION,
                    "seed": self.seed,
                    **provenance,
                },
                "catalog_version": active_catalog().version,
            }
        )

    def offered(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tools an example offers: every tool of the domain, or (with `distractors`) those its
        calls use and that many others, drawn by the seed and the question, in catalog order. A direct
        answer offers one tool more than its distractors, as many as a one-call example, so the number
        of tools offered never tells a model whether to call."""
        if self.distractors is None:
            return self.tools
        needed = {call["function"]["name"] for message in messages for call in message.get("tool_calls", [])}
        others = [tool for tool in self.tools if tool["function"]["name"] not in needed]
        question = next(str(message["content"]) for message in messages if message["role"] == "user")
        wanted = self.distractors + (0 if needed else 1)
        drawn = random.Random(f"{self.seed}:{question}").sample(others, min(wanted, len(others)))
        chosen = needed | {tool["function"]["name"] for tool in drawn}
        return [tool for tool in self.tools if tool["function"]["name"] in chosen]

    @staticmethod
    def found_nothing(example: Example) -> bool:
        return all(json.loads(m.content or "{}").get("total") == 0 for m in example.messages if m.role == "tool")

    def keep(self, example: Example, synthesis: Synthesis) -> StoredExample | None:
        record = to_record(example)
        verdict: Verdict = self.verifier.verify(record)
        if verdict.rejection is not None:
            synthesis.rejections.append((verdict.rejection, record))
            return None
        return StoredExample(record, verdict.status, verdict.checks, verdict.tokens)

    def teach(self, kept: StoredExample, synthesis: Synthesis) -> StoredExample:
        """Offer the teacher's wording; keep it only if it passes every stage."""
        if self.teacher is None:
            return kept
        example = Example.model_validate(kept.record)
        messages = [message.model_dump(mode="json", exclude_none=True) for message in example.messages]
        first = next(index for index, message in enumerate(messages) if message["role"] == "user")
        messages[first]["content"] = self.teacher.paraphrase(example.query)
        if example.kind == "tool_call":
            messages[-1]["content"] = self.teacher.rephrase(example.answer)
        provenance = example.provenance.model_dump(mode="json", exclude_none=True)
        for key in ("generator", "generator_version", "seed"):  # `example()` sets these again
            del provenance[key]
        taught = self.example(
            messages,
            kind=example.kind,
            intent=example.intent,
            template=example.template + "/teacher",
            provenance={**provenance, "teacher": self.teacher.name},
            tools=example.tools,
        )
        better = self.keep(taught, synthesis)
        if better is None:
            return kept
        synthesis.teacher_kept += 1
        return better

    # -- direct answers --------------------------------------------------------------------------
    def directs(
        self, wanted: int, tool_examples: list[StoredExample], rng: random.Random, synthesis: Synthesis
    ) -> list[StoredExample]:
        questions = [(card, number) for card in self.cards for number in range(len(card.questions))]
        rng.shuffle(questions)
        bare = math.floor(wanted * BARE_SHARE)
        offered = wanted - bare
        pairable = [item for item in tool_examples if not item.record.get("pair_id")]
        accepted: list[StoredExample] = []
        used: set[tuple[str, int]] = set()

        def take(accept: Callable[[Card], bool]) -> tuple[Card, int] | None:
            for card, number in questions:
                if (card.topic, number) not in used and accept(card):
                    used.add((card.topic, number))
                    return card, number
            return None

        pairs = math.ceil(offered / 2)
        for partner in pairable:
            if pairs == 0:
                break
            intent = str(partner.record["intent"])
            chosen = take(lambda card, intent=intent: intent in card.pairs_with)  # type: ignore[misc]
            if chosen is None:
                continue
            direct = self.keep(self.direct_example(*chosen, bare=False), synthesis)
            if direct is None:
                continue
            pair_id = "pair_" + hashlib.sha256(f"{partner.id}:{direct.id}".encode()).hexdigest()[:12]
            accepted.append(direct)
            # an example already stored keeps the pair it has: pairing it again would break both pairs
            if any(self.stored.get(item.id, pair_id) != pair_id for item in (partner, direct)):
                continue
            partner.record["pair_id"] = pair_id
            direct.record["pair_id"] = pair_id
            pairs -= 1
        for no_tools, count in ((False, offered - len(accepted)), (True, bare)):
            target = len(accepted) + count
            while len(accepted) < target:
                chosen = take(lambda card: True)
                if chosen is None:
                    break
                direct = self.keep(self.direct_example(*chosen, bare=no_tools), synthesis)
                if direct is not None:
                    accepted.append(self.teach(direct, synthesis))
        return accepted

    def direct_example(self, card: Card, number: int, *, bare: bool) -> Example:
        """A card's question answered directly, offered the domain's tools (or, `bare`, none)."""
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": card.questions[number]},
            {"role": "assistant", "content": card.answer},
        ]
        return self.example(
            messages,
            kind="direct",
            intent=f"concept:{card.area}",
            template=f"card:{card.topic}/q{number}/{'no-tools' if bare else 'tools'}",
            provenance={"card": card.topic},
            tools=[] if bare else None,
        )


def synthesize(
    store: Store,
    domain: str,
    n: int,
    *,
    tool_ratio: float = DEFAULT_TOOL_RATIO,
    shapes: Mapping[str, float] | None = None,
    **options: Any,
) -> Synthesis:
    return Synthesizer(store, domain, **options).run(n, tool_ratio, shapes)


def run_synth(
    store: Store,
    domain: str,
    n: int,
    *,
    run_id: str,
    tool_ratio: float = DEFAULT_TOOL_RATIO,
    shapes: Mapping[str, float] | None = None,
    **options: Any,
) -> tuple[Synthesis, int]:
    """Synthesize and store: the examples (only new ids are added) and every rejected candidate.
    Returns the synthesis and how many examples were new. Nothing is stored when the quota cannot be met."""
    synthesis = synthesize(store, domain, n, tool_ratio=tool_ratio, shapes=shapes, **options)
    added = store.save_examples(synthesis.examples, run_id)
    store.record_example_rejections(synthesis.rejections, run_id)
    store.record_run(run_id, "synth", {**synthesis.stats(), "new": added})
    return synthesis, added
