"""Splits: no normalized user turn in two splits, every domain and language tested, stable placement."""

from __future__ import annotations

import email
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.audit import audit, render_text
from curate.audit_html import render_html
from curate.dedup import dedup
from curate.languages import catalog_languages, domain_languages, example_languages
from curate.mine import mine
from curate.mix import build
from curate.quickstart import SHAPE_MIX
from curate.split import place, shared_turns, split_of, stratify, user_turns
from curate.store import LightExample, Store
from curate.synth import run_synth
from schemas import AuditPolicy, Splits
from tests.conftest import REPO, SAMPLE

DOMAINS = (
    (SAMPLE, "shop", 80),
    (Path(email.__file__).parent, "email", 80),
    (REPO / "data" / "samples" / "html" / "site", "site", 30),
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Two Python domains that are asked the same slot-free questions, and a web site."""
    opened = Store.open(tmp_path_factory.mktemp("split") / "s.duckdb")
    for folder, domain, count in DOMAINS:
        mine(opened, folder, domain=domain, jobs=1)
        run_synth(opened, domain, count, run_id=f"r-{domain}", seed=0, shapes=SHAPE_MIX)
        dedup(opened, domain)
    yield opened
    opened.close()


def test_a_mix_of_domains_that_share_phrasings_shares_no_user_turn_across_splits(store: Store, tmp_path: Path) -> None:
    examples = store.examples()
    domains_of: dict[str, set[str]] = {}
    for item in examples:
        for turn in user_turns(item.record):
            domains_of.setdefault(turn, set()).add(str(item.record["domain"]))
    assert any(len(found) > 1 for found in domains_of.values()), "the domains must share a phrasing"
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    components = "".join(f'[[components]]\nselect = {{ domain = "{d}" }}\ncount = {n - 20}\n' for _, d, n in DOMAINS)
    (mixes / "shared.toml").write_text(f'name = "shared"\nseed = 3\n{components}')
    lockfile = build(store, mixes, "shared")
    splits = {example_id: split for split, ids in lockfile.splits.items() for example_id in ids}
    chosen = store.examples(ids=list(splits))
    assert shared_turns(chosen, splits) == {}
    tested = Counter(str(item.record["domain"]) for item in chosen if splits[item.id] == "test")
    assert set(tested) == {"shop", "email", "site"}
    languages = example_languages(chosen, catalog_languages(), domain_languages(store, chosen))
    assert {language for item in chosen if splits[item.id] == "test" for language in languages[item.id]} >= {
        "python",
        "html",
    }
    # what could not be placed without a leak is listed with its reason, never silently gone
    unplaced = place(examples, store.clusters(), Splits(), 0).unplaced
    reasons = {item.example_id: item.reason for item in lockfile.excluded}
    assert all(reasons[example_id] == reason for example_id, reason in unplaced.items())


def test_the_store_wide_placement_is_leak_free_and_keeps_most_groups_whole(store: Store) -> None:
    examples = store.light_examples()
    placement = place(examples, store.clusters(), Splits(), 0)
    assert shared_turns(examples, placement.splits) == {}
    assert len(placement.splits) + len(placement.unplaced) == len(examples)
    moved = [i for i, split in placement.splits.items() if split != split_of(placement.keys[i], Splits(), 0)]
    assert len(moved) < len(examples) / 10 and len(placement.unplaced) < len(examples) / 20
    full = place(store.examples(), store.clusters(), Splits(), 0)
    assert full == placement  # light records carry every user turn too


# -- the rule, on hand-made records --------------------------------------------------------------
def record(example_id: str, *turns: str, domain: str = "d", file: str = "a.py", pair: str | None = None) -> Any:
    return {
        "id": example_id,
        "domain": domain,
        "kind": "tool_call",
        "intent": "find",
        "template": "t",
        "pair_id": pair,
        "messages": [{"role": "user", "content": turn} for turn in turns],
        "tools": [],
        "provenance": {"locations": [f"{file}:1"]},
    }


def example(added: int, rec: dict[str, Any]) -> LightExample:
    return LightExample(record=rec, status="verified", tokens=10, added=added, called=(), totals=())


def file_in(split: str, domain: str = "d", skip: int = 0) -> str:
    """A file name whose group hashes to `split`."""
    names = (f"f{n}.py" for n in range(1000) if split_of(f"file:{domain}/f{n}.py", Splits(), 0) == split)
    return [next(names) for _ in range(skip + 1)][-1]


def test_a_shared_turn_pulls_only_the_later_example_to_where_it_was_first_asked() -> None:
    train, test = file_in("train"), file_in("test")
    examples = [
        example(1, record("a", "Find all dataclasses!", file=train)),
        example(2, record("b", "find all   DATACLASSES", file=test)),
        example(3, record("c", "Show me Item", file=test)),
    ]
    placement = place(examples, [], Splits(), 0)
    assert placement.splits == {"a": "train", "b": "train", "c": "test"}
    assert not placement.unplaced


def test_an_example_whose_turns_are_held_in_two_splits_moves_the_smaller_side() -> None:
    train, test = file_in("train"), file_in("test")
    examples = [
        example(1, record("a", "List services", file=train)),
        example(2, record("b", "Find models", file=train)),
        example(3, record("c", "find models", "Show me Item", file=file_in("train", skip=1))),
        example(4, record("d", "Which files use that module?", file=test)),
        example(5, record("e", "list services.", "Which files use that module", file=file_in("valid"))),
        example(6, record("f", "Show me Order", file=file_in("test", skip=1), pair="p")),
        example(7, record("g", "which files use that module", file=file_in("test", skip=2), pair="p")),
    ]
    placement = place(examples, [], Splits(), 0)
    # "d" (test) is the smaller side of "e"'s two turns: it joins train, and so does the pair after it
    assert placement.splits == dict.fromkeys("abcdefg", "train")
    assert shared_turns(examples, placement.splits) == {}


def test_a_held_out_domain_leaves_out_what_another_split_asks() -> None:
    examples = [example(n, record(f"{d}{n}", "Find models", domain=d)) for n, d in enumerate("ab")]
    placement = place(examples, [], Splits(), 1, "domain")  # seed 1 holds domain a in test, b in train
    assert placement.splits == {"a0": "test"}
    assert placement.unplaced == {"b1": "its domain is held in train, but 'find models' is asked in test"}


def test_shared_turns_ignore_case_spacing_and_punctuation() -> None:
    examples = [example(1, record("a", "Find  models!")), example(2, record("b", "x", "find models"))]
    assert shared_turns(examples, {"a": "train", "b": "valid"}) == {"find models": ["train", "valid"]}
    assert shared_turns(examples, {"a": "train", "b": "train"}) == {}


def test_stratify_moves_a_leak_free_group_and_never_the_last_train_group() -> None:
    files = [file_in("train", skip=n) for n in (0, 1, 2, 2)]
    first, second, third, _ = files
    examples = [
        example(1, record("a", "Show me Item", file=first)),
        example(2, record("b", "Find models", file=second)),
        example(3, record("c", "find models", file=third, domain="e")),
        example(4, record("d", "Show me Order", file=third, domain="e")),
    ]
    keys = {
        item.id: f"file:{item.record['domain']}/{item.record['provenance']['locations'][0][:-2]}" for item in examples
    }
    strata = {item.id: [f"domain:{item.record['domain']}"] for item in examples}
    splits = dict.fromkeys(keys, "train")
    moved = stratify(examples, splits, keys, strata, {"domain": 1}, 0)
    # "b" shares its turn with "c" in train: only "a" can move; domain e keeps its only group
    assert moved == {"a": "test", "b": "train", "c": "train", "d": "train"}
    assert stratify(examples, splits, keys, strata, {"domain": 0}, 0) == splits


# -- the audit ------------------------------------------------------------------------------------
def test_the_audit_reports_shared_turns_and_a_policy_fails_them() -> None:
    examples = [example(1, record("a", "Find models")), example(2, record("b", "find models."))]
    splits = {"a": "train", "b": "test"}
    report = audit(examples, scope="s", splits=splits, tool_languages={}, policy=AuditPolicy(max_shared_turns=0))
    assert report.shared_turns == 1 and report.shared_turn_samples == {"find models": ["test", "train"]}
    assert report.violations == ["1 normalized user turns are asked in more than one split, over 0"]
    assert any("asked in more than one split" in warning for warning in report.warnings)
    text = render_text(report)
    assert "  user turns asked in more than one split: 1 ('find models' in test, train)\n" in text
    page = render_html(report)
    assert "User turns asked in more than one split: 1" in page and "<td>find models</td>" in page
    clean = audit(examples, scope="s", splits=dict.fromkeys(splits, "train"), tool_languages={})
    assert clean.shared_turns == 0 and "user turns asked in more than one split: 0\n" in render_text(clean)


def test_a_recipe_sets_the_test_minimum(store: Store, tmp_path: Path) -> None:
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "none.toml").write_text(
        'name = "none"\nmin_test_per_domain = 0\nmin_test_per_language = 0\n'
        '[[components]]\nselect = { domain = "site" }\ncount = 10\n'
    )
    (mixes / "many.toml").write_text('name = "many"\nextends = "none"\nmin_test_per_domain = 4\n')
    none, many = build(store, mixes, "none"), build(store, mixes, "many")
    assert none.ids() == many.ids()
    assert len(many.splits["test"]) >= 4 and len(many.splits["test"]) >= len(none.splits["test"])
    assert many.recipe.min_test_per_domain == 4 and none.recipe.min_test_per_language == 0
