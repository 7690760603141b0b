"""Synthesis of every conversation shape from real facts: the svcs sdist (a project no one here wrote)
through the command line, and the shop sample for each composer on its own. Every tool turn of every
shape replays through `curate tool call`; every conversation passes the six stages."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.errors import CheckFailed, InputError
from curate.mine import mine
from curate.shape_phrases import COMPOSED, parse_shares, phrasebook
from curate.shapes import Block, made_vague
from curate.store import Store, StoredExample
from curate.synth import Synthesis, Synthesizer, synthesize
from curate.verify import Verifier
from curate.verify.grounding import check_question_back
from schemas import Example
from tests.conftest import SAMPLE
from tests.sdists import unpacked


@pytest.fixture(scope="module")
def svcs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("svcs")
    db = root / "s.duckdb"
    assert main(["--db", str(db), "mine", str(unpacked("svcs", root)), "--domain", "svcs", "--jobs", "2"]) == 0
    return db


@pytest.fixture(scope="module")
def svcs_400(svcs: Path) -> list[dict[str, Any]]:
    assert main(["--db", str(svcs), "synth", "--domain", "svcs", "--n", "400", "--shapes", "all", "--seed", "3"]) == 0
    with Store.open(svcs, read_only=True) as store:
        return [item.record for item in store.examples(domain="svcs")]


def test_all_shapes_come_in_the_asked_shares_and_every_one_verifies(
    svcs: Path, svcs_400: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    shapes = Counter(record["shape"] for record in svcs_400)
    assert len(svcs_400) == 400
    assert shapes == {"single": 200, **dict.fromkeys(COMPOSED, 40)}  # each composed shape 10%, at least 5%
    kinds = Counter(record["kind"] for record in svcs_400)
    assert kinds == {"tool_call": 304, "direct": 96}  # the reference balance: every composed shape calls
    assert all(record["kind"] == "tool_call" for record in svcs_400 if record["shape"] != "single")
    capsys.readouterr()
    assert main(["--db", str(svcs), "validate", "--domain", "svcs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == {"verified": 400}


def test_the_same_seed_gives_the_same_conversations(svcs: Path, svcs_400: list[dict[str, Any]]) -> None:
    with Store.open(svcs, read_only=True) as store:
        again = synthesize(store, "svcs", 400, shapes=parse_shares("all"), seed=3)
    assert sorted(item.id for item in again.examples) == sorted(record["id"] for record in svcs_400)
    stored = {record["id"]: record for record in svcs_400}
    assert all(
        json.dumps(item.record["messages"]) == json.dumps(stored[item.id]["messages"]) for item in again.examples
    )


def test_every_tool_turn_of_every_shape_replays_through_curate_tool_call(
    svcs: Path, svcs_400: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    per_shape: dict[str, list[dict[str, Any]]] = {}
    for record in svcs_400:
        if record["kind"] == "tool_call":
            per_shape.setdefault(record["shape"], []).append(record)
    replayed = Counter[str]()
    for shape, records in per_shape.items():
        for record in records[:3]:
            example = Example.model_validate(record)
            contents = {m.tool_call_id: m.content for m in example.messages if m.role == "tool"}
            for call in example.calls:
                capsys.readouterr()
                code = main(
                    [
                        "--db",
                        str(svcs),
                        "tool",
                        "call",
                        call.function.name,
                        "--domain",
                        "svcs",
                        "--args",
                        json.dumps(call.function.arguments),
                        "--limit",
                        str(example.provenance.tool_limit),
                    ]
                )
                out, err = capsys.readouterr()
                recorded = json.loads(contents[call.id] or "")
                if "error" in recorded:
                    assert code == 2 and err == f"curate: error: tool {recorded['tool']}: {recorded['error']}\n"
                else:
                    assert code == 0 and json.loads(out) == recorded
                replayed[shape] += 1
    assert set(replayed) == {"single", *COMPOSED}
    assert replayed["parallel"] == replayed["multi_step"] == replayed["recovery"] == 6


def test_each_shape_reads_as_its_name_says(svcs_400: list[dict[str, Any]]) -> None:
    by_shape: dict[str, list[Example]] = {}
    for record in svcs_400:
        by_shape.setdefault(record["shape"], []).append(Example.model_validate(record))
    for example in by_shape["parallel"]:
        (calls,) = [m.tool_calls for m in example.messages if m.tool_calls]
        assert len(calls or []) == 2 and calls and calls[0].function.name != calls[1].function.name
    for example in by_shape["multi_step"]:
        first, second = example.calls
        assert second.function.name in {"read_symbol", "html_outline", "find_forms"}
        result = json.loads(next(m.content for m in example.messages if m.tool_call_id == first.id) or "")
        assert set(map(str, second.function.arguments.values())) <= {str(v) for v in result["matches"][0].values()}
    for example in by_shape["clarification"]:
        vague, back, reply = (m.content or "" for m in example.messages[:3])
        assert back.endswith("?") and not example.messages[1].tool_calls
        given = [v for v in example.calls[0].function.arguments.values() if isinstance(v, str) and v in reply]
        assert given and not any(value in vague for value in given)  # the reply gives what the request left out
    for example in by_shape["recovery"]:
        wrong, right = example.calls
        assert wrong.function.name == right.function.name and wrong.function.arguments != right.function.arguments
        error = json.loads(next(m.content for m in example.messages if m.tool_call_id == wrong.id) or "")
        assert set(error) == {"tool", "error"} and "Extra inputs are not permitted" in error["error"]
    for example in by_shape["multi_turn"]:
        assert sum(m.role == "user" for m in example.messages) == 2


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("shop") / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    yield store
    store.close()


def pool(store: Store) -> tuple[Synthesizer, list[tuple[StoredExample, Block]]]:
    synthesizer = Synthesizer(store, "shop", seed=5, distractors=2)  # rows short enough for two turns
    return synthesizer, synthesizer.tool_calls(60, random.Random(5), Synthesis("shop"))


def verified(synthesizer: Synthesizer, composed: Any) -> Example | None:
    """The composed conversation as an example that passes every stage; None if it is only too long
    (two lists of twenty matches can be), and a failure for any other stage."""
    example = synthesizer.composed_example(composed)
    verdict = synthesizer.verifier.verify(example.model_dump(mode="json", exclude_none=True))
    if verdict.rejection is not None and verdict.rejection.stage == "length":
        return None
    assert verdict.rejection is None, (verdict.rejection, example.messages)
    return example


def test_a_follow_up_narrows_the_answer_to_a_folder_of_its_matches(shop: Store) -> None:
    synthesizer, made = pool(shop)
    composer = synthesizer.composer
    narrowed = [
        found
        for _, block in made
        if block.found and composer.narrowable(block)
        for found in [composer.multi_turn(block, None, random.Random(1))]
        if found is not None and found.template.startswith("multi_turn/n")
    ]
    examples = [example for composed in narrowed if (example := verified(synthesizer, composed)) is not None]
    assert examples
    for example in examples:
        _, second = (m for m in example.messages if m.role == "user")
        narrower = example.calls[1].function.arguments
        assert (
            narrower["path"] in (second.content or "")
            and {**example.calls[0].function.arguments, **narrower} == narrower
        )
        totals = [json.loads(m.content or "")["total"] for m in example.messages if m.role == "tool"]
        assert 0 < totals[1] < totals[0]


def test_every_composer_gives_conversations_that_verify(shop: Store) -> None:
    synthesizer, made = pool(shop)
    blocks = [block for _, block in made if block.found]
    found: Counter[str] = Counter()
    for shape in COMPOSED:
        for index, block in enumerate(blocks):
            composed = synthesizer.composer.compose(shape, [block, *blocks[index + 1 :]], random.Random(index))
            example = verified(synthesizer, composed) if composed is not None else None
            if example is not None:
                assert example.shape == shape
                found[shape] += 1
    assert all(found[shape] >= 2 for shape in COMPOSED), found


def test_tools_offered_are_the_needed_ones_plus_distractors_drawn_by_the_seed(shop: Store) -> None:
    system = "You answer questions about the shop codebase."
    made = synthesize(shop, "shop", 60, shapes={"parallel": 0.1}, distractors=2, system=system, seed=2)
    again = synthesize(shop, "shop", 60, shapes={"parallel": 0.1}, distractors=2, system=system, seed=2)
    assert [item.record for item in made.examples] == [item.record for item in again.examples]
    everything = Synthesizer(shop, "shop").tools
    for item in made.examples:
        example = Example.model_validate(item.record)
        assert example.messages[0].role == "system" and example.messages[0].content == system
        offered = [tool["function"]["name"] for tool in item.record["tools"]]
        needed = {call.function.name for call in example.calls}
        if example.kind == "direct" and not offered:
            continue  # a direct answer offered no tools at all
        # a direct answer offers as many tools as a one-call example
        assert needed <= set(offered) and len(offered) == max(1, len(needed)) + 2
        assert offered == [t["function"]["name"] for t in everything if t["function"]["name"] in offered]
    other_seed = synthesize(shop, "shop", 60, shapes={"parallel": 0.1}, distractors=2, seed=9)
    assert {json.dumps(i.record["tools"]) for i in other_seed.examples} != {
        json.dumps(i.record["tools"]) for i in made.examples
    }


def test_a_shape_the_facts_cannot_give_is_a_deficit_that_says_so(
    shop: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CheckFailed, match=r"0 of 2 multi_step conversations: grown from \d+ verified single calls"):
        synthesize(shop, "shop", 20, intents=["services"], shapes={"multi_step": 0.1})
    db = tmp_path / "s.duckdb"
    assert main(["--db", str(db), "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1"]) == 0
    capsys.readouterr()
    code = main(
        ["--db", str(db), "synth", "--domain", "shop", "--n", "20", "--intents", "services", "--shapes", "multi_step"]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("curate: error: ") and "multi_step conversations" in err
    with Store.open(db, read_only=True) as store:
        assert store.examples(domain="shop") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", dict.fromkeys(COMPOSED, 0.1)),
        ("parallel=0.2, recovery", {"parallel": 0.2, "recovery": 0.1}),
        ("", {}),
    ],
)
def test_shape_shares_parse(text: str, expected: dict[str, float]) -> None:
    assert parse_shares(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("single=0.5", "single is what"),
        ("nope", "unknown shape 'nope'"),
        ("parallel=x", "a number"),
        ("recovery=2", "between"),
    ],
)
def test_bad_shape_shares_are_input_errors(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_shares(text)


def test_more_shapes_than_tool_calls_is_an_input_error(shop: Store) -> None:
    with pytest.raises(InputError, match="more than the 15 tool-call examples"):
        synthesize(shop, "shop", 20, shapes={"parallel": 0.5, "recovery": 0.4})


@pytest.mark.parametrize(
    ("template", "slot", "vague", "expected"),
    [
        (
            "Which functions are decorated with @{decorator}?",
            "decorator",
            "that decorator",
            "Which functions are decorated with that decorator?",
        ),
        ("Find every function that uses the @{decorator} decorator", "decorator", "that decorator", None),
        ("What page does the {route} route show?", "route", "that route", None),
        ('Where is "{pattern}" mentioned?', "pattern", "that text", "Where is that text mentioned?"),
        ("List every async def under {path}/", "path", "that folder", "List every async def under that folder"),
        (
            "I need every class that derives from `{base}` in {project}.",
            "base",
            "that base class",
            "I need every class that derives from that base class in {project}.",
        ),
    ],
)
def test_a_slot_made_vague_reads_or_is_not_used(template: str, slot: str, vague: str, expected: str | None) -> None:
    assert made_vague(template, slot, vague) == expected


def test_the_phrasebook_asks_back_without_naming_anything() -> None:
    book = phrasebook()
    for wording in book.clarification.slots.values():
        for ask in wording.asks:
            check_question_back(ask)


def test_a_bad_phrasebook_names_its_file(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "data" / "shapes.toml").read_text()
    bad = tmp_path / "shapes.toml"
    bad.write_text(text.replace('call = "read_symbol"', 'call = "read_everything"', 1))
    with pytest.raises(InputError, match=r"shapes.toml: multi_step names an unknown tool 'read_everything'"):
        phrasebook(bad)
    bad.write_text(text.replace("[parallel]\n", "[parallel]\ntypo = 1\n"))
    with pytest.raises(InputError, match=r"bad shapes file: parallel.typo"):
        phrasebook(bad)


def test_a_composed_conversation_that_fails_a_stage_is_recorded_not_kept(shop: Store) -> None:
    """Tools offered only as the calls need them, and a budget a long parallel pair overruns."""
    synthesizer = Synthesizer(shop, "shop", seed=1, max_tokens=1200, distractors=0)
    synthesis = Synthesis("shop")
    made = synthesizer.tool_calls(40, random.Random(1), synthesis)
    kept, used = synthesizer.composed({"parallel": 6}, made, random.Random(1), synthesis)
    rejected = [rejection for rejection, record in synthesis.rejections if record.get("shape") == "parallel"]
    assert kept and rejected and {rejection.stage for rejection in rejected} == {"length"}
    verifier = Verifier(shop, "shop", max_tokens=1200)
    assert all(verifier.verify(item.record).passed and item.record["shape"] == "parallel" for item in kept)
    assert len(used) >= len(kept)
