from __future__ import annotations

import json
import sysconfig
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.errors import CheckFailed, InputError
from curate.intents import INTENTS
from curate.mine import mine
from curate.store import Store
from curate.synth import Synthesis, run_synth, synthesize
from curate.validate import validate
from curate.verify import Verifier
from schemas import Example
from tests.conftest import REPO, write_tree

ASYNCIO = Path(sysconfig.get_paths()["stdlib"]) / "asyncio"
SITE = REPO / "data" / "samples" / "html" / "site"


@pytest.fixture(scope="module")
def stdlib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("stdlib") / "s.duckdb")
    mine(store, ASYNCIO, domain="asyncio", jobs=2)
    mine(store, SITE, domain="site", jobs=1)
    yield store
    store.close()


@pytest.fixture(scope="module")
def asyncio_200(stdlib: Store) -> Synthesis:
    return synthesize(stdlib, "asyncio", 200, tool_ratio=0.76, seed=11)


def test_a_real_project_gives_exactly_the_asked_balance(stdlib: Store, asyncio_200: Synthesis) -> None:
    assert asyncio_200.counts() == Counter({"tool_call": 152, "direct": 48})
    verifier = Verifier(stdlib, "asyncio")
    for item in asyncio_200.examples:
        outcome = verifier.verify(item.record)
        assert outcome.passed, (item.record["template"], outcome.rejection)
        assert set(outcome.checks.values()) == {"pass"}


def test_the_same_seed_gives_byte_identical_examples(stdlib: Store, asyncio_200: Synthesis) -> None:
    again = synthesize(stdlib, "asyncio", 200, seed=11)
    assert [json.dumps(item.record) for item in again.examples] == [
        json.dumps(item.record) for item in asyncio_200.examples
    ]
    other = synthesize(stdlib, "asyncio", 200, seed=12)
    assert {item.id for item in other.examples} != {item.id for item in asyncio_200.examples}


def test_examples_are_spread_over_intents_and_phrasings(asyncio_200: Synthesis) -> None:
    tool_calls = [item for item in asyncio_200.examples if item.record["kind"] == "tool_call"]
    intents = Counter(item.record["intent"] for item in tool_calls)
    assert len(intents) >= 15
    assert max(intents.values()) <= 0.2 * len(tool_calls)
    queries = [item.query for item in asyncio_200.examples]
    assert len(set(queries)) == len(queries)
    styles = Counter(item.record["template"].rsplit("/", 1)[1] for item in tool_calls)
    assert set(styles) == {"terse", "chatty"}


def test_matched_pairs_share_tools_and_a_pair_id(asyncio_200: Synthesis) -> None:
    by_pair: dict[str, list[Example]] = {}
    for item in asyncio_200.examples:
        if item.record.get("pair_id"):
            by_pair.setdefault(item.record["pair_id"], []).append(Example.model_validate(item.record))
    assert len(by_pair) >= 10
    for members in by_pair.values():
        assert sorted(member.kind for member in members) == ["direct", "tool_call"]
        assert members[0].tools == members[1].tools
        tool_call = next(member for member in members if member.kind == "tool_call")
        direct = next(member for member in members if member.kind == "direct")
        assert direct.provenance.card is not None
        assert tool_call.intent in _card_pairs(direct.provenance.card)


def _card_pairs(topic: str) -> list[str]:
    from curate.cards import load_cards

    return next(card.pairs_with for card in load_cards() if card.topic == topic)


def test_some_direct_examples_are_offered_no_tools(asyncio_200: Synthesis) -> None:
    direct = [item for item in asyncio_200.examples if item.record["kind"] == "direct"]
    bare = [item for item in direct if not item.record["tools"]]
    assert len(bare) == 12
    assert all(item.record["template"].endswith("/no-tools") for item in bare)


def test_empty_results_are_answered_truthfully(stdlib: Store) -> None:
    synthesis = synthesize(stdlib, "asyncio", 3, tool_ratio=1.0, intents=["fixtures"], seed=1, max_empty_share=1.0)
    answers = {item.record["messages"][-1]["content"] for item in synthesis.examples}
    assert answers <= {
        "There are no pytest fixtures in this project.",
        "No pytest fixtures are defined in this project.",
    }
    for item in synthesis.examples:
        result = json.loads(item.record["messages"][2]["content"])
        assert result["total"] == 0 and result["coverage"]["unread"] == []
    assert synthesis.stats()["empty_result_share"] == 1.0


def test_empty_results_stay_within_their_share(stdlib: Store) -> None:
    with pytest.raises(CheckFailed, match=r"skipped: 3 empty results over the 20% share"):
        synthesize(stdlib, "asyncio", 3, tool_ratio=1.0, intents=["fixtures"], seed=1)
    synthesis = synthesize(stdlib, "asyncio", 20, tool_ratio=1.0, intents=["fixtures", "methods"], seed=1)
    assert synthesis.stats()["empty_results"] == 3  # every fixtures question finds nothing: 3 of 20 fit the share
    assert synthesis.stats()["skipped"] == {}


def test_truncated_results_say_so(stdlib: Store) -> None:
    synthesis = synthesize(stdlib, "asyncio", 3, tool_ratio=1.0, intents=["classes"], seed=2, tool_limit=5)
    whole = [
        item
        for item in synthesis.examples
        if item.record["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"kind": "class"}
    ]
    assert whole
    result = json.loads(whole[0].record["messages"][2]["content"])
    assert result["truncated"] and len(result["matches"]) == 5
    answer = whole[0].record["messages"][-1]["content"]
    assert "showing the first 5" in answer.lower() or f"first 5 of {result['total']}" in answer


def test_html_domains_use_html_tools_and_cards(stdlib: Store) -> None:
    synthesis = synthesize(stdlib, "site", 40, seed=3)
    names = {tool["function"]["name"] for item in synthesis.examples for tool in item.record["tools"]}
    assert "find_forms" in names and "find_symbols" not in names
    cards = {item.record["intent"] for item in synthesis.examples if item.record["kind"] == "direct"}
    assert cards == {"concept:html"}
    tool_intents = {item.record["intent"] for item in synthesis.examples if item.record["kind"] == "tool_call"}
    assert tool_intents <= {name for name, intent in INTENTS.items() if intent.language == "html"}


def test_an_impossible_quota_says_why_and_stores_nothing(tmp_path: Path, store: Store) -> None:
    project = write_tree(tmp_path / "tiny", {"tiny.py": "async def ping():\n    return 1\n"})
    mine(store, project, domain="tiny", jobs=1)
    with pytest.raises(CheckFailed) as raised:
        run_synth(store, "tiny", 500, run_id="r1", intents=["async_functions", "generators"])
    message = str(raised.value)
    assert message.startswith("domain 'tiny' cannot give 500 examples: ")
    assert "of 380 tool-call examples: the facts allow" in message
    assert "async_functions 5" in message and "generators 4" in message
    assert store.examples() == []


def test_unknown_intents_and_domains_are_input_errors(stdlib: Store) -> None:
    with pytest.raises(InputError, match="unknown intents coroutines"):
        synthesize(stdlib, "asyncio", 5, intents=["coroutines"])
    with pytest.raises(InputError, match="no domain 'nope'"):
        synthesize(stdlib, "nope", 5)


def test_counterfactual_a_new_async_def_makes_old_examples_stale(tmp_path: Path, store: Store) -> None:
    project = write_tree(
        tmp_path / "proj",
        {"app/__init__.py": "", "app/jobs.py": "async def fetch(url):\n    return url\n"},
    )
    mine(store, project, domain="proj", jobs=1)
    first, _ = run_synth(store, "proj", 1, run_id="r1", tool_ratio=1.0, intents=["async_functions"], seed=4)
    (project / "app" / "jobs.py").write_text(
        "async def fetch(url):\n    return url\n\n\nasync def refresh_cache():\n    return None\n"
    )
    mine(store, project, domain="proj", jobs=1)
    validation = validate(store, run_id="v1", domain="proj")
    assert not validation.ok
    assert [item.status for item in store.examples(domain="proj")] == ["stale"]
    (rejection,) = store.example_rejections(domain="proj")
    assert rejection.stage == "replay" and rejection.reason.startswith("stale: find_symbols gives a different result")
    fresh = synthesize(store, "proj", 1, tool_ratio=1.0, intents=["async_functions"], seed=4)
    (example,) = fresh.examples
    assert example.id != first.examples[0].id
    assert (
        "`refresh_cache`" in example.record["messages"][-1]["content"]
        or "refresh_cache" in example.record["messages"][-1]["content"]
    )


def test_run_synth_stores_examples_once_and_records_rejections(tmp_path: Path, store: Store) -> None:
    project = write_tree(tmp_path / "p", {"p.py": "def f():\n    yield 1\n"})
    mine(store, project, domain="p", jobs=1)
    synthesis, added = run_synth(store, "p", 6, run_id="r1", seed=9)
    assert added == 6
    assert run_synth(store, "p", 6, run_id="r2", seed=9)[1] == 0
    stored = store.examples(domain="p")
    assert sorted(item.id for item in stored) == sorted(item.id for item in synthesis.examples)
    assert all(item.status == "verified" for item in stored)
    validation = validate(store, run_id="v", domain="p")
    assert validation.ok and validation.status == Counter({"verified": 6})


def test_examples_do_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = (
        "import sys, json; from curate.store import Store; from curate.mine import mine; "
        "from curate.synth import synthesize; store = Store.open(sys.argv[1]); "
        f"mine(store, {str(REPO / 'data' / 'samples' / 'python' / 'shop')!r}, domain='shop', jobs=1); "
        "print('\\n'.join(json.dumps(e.record) for e in synthesize(store, 'shop', 40, seed=3).examples))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"{hash_seed}.duckdb")],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 40


def test_a_real_tokenizer_counts_the_length_stage(stdlib: Store, tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from curate.verify import conversation_text, tokenizer_counter

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel()
    corpus = [item.query for item in synthesize(stdlib, "site", 20, seed=1).examples]
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"]))
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    count = tokenizer_counter(str(tmp_path))
    example = synthesize(stdlib, "site", 1, seed=1, tool_ratio=1.0).examples[0]
    verdict = Verifier(stdlib, "site", count_tokens=count).verify(example.record)
    assert verdict.tokens == len(tokenizer.encode(conversation_text(Example.model_validate(example.record))).ids)
    with pytest.raises(InputError, match=r"no tokenizer\.json here"):
        tokenizer_counter(str(tmp_path / "missing"))


def test_runs_with_other_seeds_never_break_stored_pairs(tmp_path: Path, store: Store) -> None:
    mine(store, REPO / "data" / "samples" / "python" / "shop", domain="shop", jobs=1)
    for seed in (1, 2, 3):
        run_synth(store, "shop", 60, run_id=f"r{seed}", seed=seed)
    members = Counter(item.record["pair_id"] for item in store.examples(domain="shop") if item.record.get("pair_id"))
    assert members and set(members.values()) == {2}
