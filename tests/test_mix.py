from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.dedup import dedup
from curate.errors import InputError
from curate.mine import mine
from curate.mix import MixDeficit, build, diff, lock_path, resolve, write_lockfile
from curate.quickstart import EXAMPLES, SHAPE_MIX, sources
from curate.split import assign_splits, group_keys, place
from curate.store import Store
from curate.synth import run_synth
from schemas import Splits
from tests.conftest import REPO, SAMPLE

MIXES = REPO / "data" / "mixes"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The quickstart's domains and example counts."""
    store = Store.open(tmp_path_factory.mktemp("mix") / "s.duckdb")
    counts = dict(EXAMPLES)
    for target, domain in sources():
        mine(store, target, domain=domain, jobs=2)
        run_synth(store, domain, counts[domain], run_id=f"r-{domain}", seed=0, shapes=SHAPE_MIX)
        dedup(store, domain)
    yield store
    store.close()


@pytest.fixture
def mixes(tmp_path: Path) -> Path:
    folder = tmp_path / "mixes"
    shutil.copytree(MIXES, folder, ignore=shutil.ignore_patterns("*.lock.json"))
    return folder


def test_phase7_is_phase6_plus_exactly_30_html_examples(demo: Store, mixes: Path) -> None:
    phase6, phase7 = build(demo, mixes, "phase6"), build(demo, mixes, "phase7")
    assert phase6.counts.total == 280 and phase7.counts.total == 310
    assert phase6.counts.kinds == {"direct": 67, "tool_call": 213}
    assert phase7.counts.domains == {"asyncio": 160, "shop": 80, "site": 30, "typer": 40}
    result = diff(demo, phase6, phase7)
    added = [example_id for ids in result.added.values() for example_id in ids]
    assert len(added) == 30 and not any(result.removed.values())
    assert {item.record["domain"] for item in demo.examples(ids=added)} == {"site"}
    old = {i: s for s, ids in phase6.splits.items() for i in ids}
    new = {i: s for s, ids in phase7.splits.items() for i in ids}
    assert all(new[i] == split for i, split in old.items())
    kinds = Counter(str(item.record["kind"]) for item in demo.examples(ids=added))
    assert kinds == Counter({"tool_call": 23, "direct": 7})
    drift = {(d.dimension, d.value): (d.before, d.after) for d in result.drift}
    assert drift[("domain", "site")] == (0.0, 30 / 310)


def test_builds_are_deterministic_and_written_atomically(demo: Store, mixes: Path) -> None:
    first = build(demo, mixes, "phase7")
    path = write_lockfile(mixes, first)
    text = path.read_text()
    assert build(demo, mixes, "phase7") == first
    write_lockfile(mixes, build(demo, mixes, "phase7"))
    assert path.read_text() == text
    assert json.loads(text)["recipe"]["lineage"] == ["phase6", "phase7"]
    assert [p.name for p in mixes.iterdir() if p.name.startswith(".")] == []


def test_an_impossible_quota_gives_a_deficit_report_and_no_file(demo: Store, mixes: Path) -> None:
    (mixes / "greedy.toml").write_text(
        'name = "greedy"\nextends = "phase7"\n[[components]]\nselect = { domain = "site" }\ncount = 50\n'
    )
    with pytest.raises(MixDeficit) as raised:
        build(demo, mixes, "greedy")
    assert raised.value.lines == [
        "greedy#1 (domain=site) needs 38 tool_call examples, 7 eligible: 31 short"
        " (23 more taken by earlier components)",
        "greedy#1 (domain=site) needs 12 direct examples, 3 eligible: 9 short (7 more taken by earlier components)",
    ]
    assert not lock_path(mixes, "greedy").exists()


def test_adding_examples_moves_no_existing_example(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
        run_synth(store, "shop", 150, run_id="a", seed=1)
        dedup(store, "shop")
        before = assign_splits(store.examples(), store.clusters(), Splits(), 0)
        keys_before = group_keys(store.examples(), store.clusters())
        run_synth(store, "shop", 100, run_id="b", seed=2)
        dedup(store, "shop")
        after = assign_splits(store.examples(), store.clusters(), Splits(), 0)
        keys_after = group_keys(store.examples(), store.clusters())
        assert len(after) > len(before)
        moved = [example_id for example_id, split in before.items() if after[example_id] != split]
        # the one documented exception: a new example bridged two groups that were apart, and the later
        # group followed the earlier; every moved example's old group must have been joined to another
        for example_id in moved:
            joined = {keys_before[old] for old in keys_before if keys_after[old] == keys_after[example_id]}
            assert len(joined) >= 2, (example_id, joined)
        unjoined = [
            example_id
            for example_id in keys_before
            if len({keys_before[old] for old in keys_before if keys_after[old] == keys_after[example_id]}) == 1
        ]
        assert unjoined
        assert all(after[example_id] == before[example_id] for example_id in unjoined)


def test_no_pair_or_near_duplicate_cluster_straddles_splits(demo: Store) -> None:
    examples = demo.examples()
    placement = place(examples, demo.clusters(), Splits(), 0)
    # a pair left out of every split (its questions are held in two) is left out whole
    splits = {**placement.splits, **dict.fromkeys(placement.unplaced, "(none)")}
    groups: dict[str, set[str]] = {}
    for item in examples:
        if item.record.get("pair_id"):
            groups.setdefault(str(item.record["pair_id"]), set()).add(splits[item.id])
    for cluster in demo.clusters():
        groups.setdefault(cluster.cluster, set()).add(splits[cluster.example_id])
    assert len(groups) > 20
    assert all(len(found) == 1 for found in groups.values())


def test_planted_near_duplicates_stay_together(tmp_path: Path) -> None:
    import copy

    from curate.store import StoredExample
    from curate.synth import example_id, synthesize

    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
        examples = synthesize(store, "shop", 60, seed=4).examples
        planted = []
        for item in examples[:20]:
            record = copy.deepcopy(item.record)
            record["messages"][0]["content"] += " please"
            record["id"] = example_id("shop", record["messages"], record["tools"])
            record.pop("pair_id", None)
            planted.append(StoredExample(record, "verified", item.checks, item.tokens))
        store.save_examples(examples, "a")
        store.save_examples(planted, "b")
        dedup(store, "shop", threshold=0.7)
        splits = assign_splits(store.examples(), store.clusters(), Splits(train=0.4, valid=0.3, test=0.3), 0)
        cluster_of = {cluster.example_id: cluster.cluster for cluster in store.clusters()}
        detected = [
            (original, copy_)
            for original, copy_ in zip(examples[:20], planted, strict=True)
            if original.id in cluster_of and cluster_of[original.id] == cluster_of.get(copy_.id)
        ]
        assert len(detected) >= 10
        for original, copy_ in detected:
            assert splits[original.id] == splits[copy_.id]
        assert len(set(splits.values())) == 3


def test_an_evaluation_set_is_decontaminated(demo: Store, mixes: Path) -> None:
    phase6 = build(demo, mixes, "phase6")
    chosen = demo.examples(ids=phase6.splits["train"][:2])
    evaluation = mixes / "eval.jsonl"
    evaluation.write_text(
        "\n".join(json.dumps({"messages": [{"role": "user", "content": item.query}]}) for item in chosen) + "\n"
    )
    (mixes / "clean.toml").write_text('name = "clean"\nextends = "phase6"\ndecontaminate = ["eval.jsonl"]\n')
    clean = build(demo, mixes, "clean")
    excluded = {item.example_id for item in clean.excluded}
    assert {item.id for item in chosen} <= excluded
    assert not excluded & set(clean.ids())
    assert clean.counts.total == 280


def test_recipe_errors_are_clear(mixes: Path) -> None:
    (mixes / "a.toml").write_text('name = "a"\nextends = "b"\n')
    (mixes / "b.toml").write_text('name = "b"\nextends = "a"\n')
    with pytest.raises(InputError, match="`extends` runs in a circle"):
        resolve(mixes, "a")
    (mixes / "c.toml").write_text('name = "c"\n[[components]]\ncount = 3\nshare = 0.5\n')
    with pytest.raises(
        InputError, match=r"c\.toml: bad recipe: components\.0: Value error, a component needs exactly one"
    ):
        resolve(mixes, "c")
    with pytest.raises(InputError, match="no mix recipe 'nope'"):
        resolve(mixes, "nope")


def test_splits_can_hold_out_whole_domains_or_group_by_question_only(demo: Store) -> None:
    examples = demo.light_examples()
    by_domain = place(examples, demo.clusters(), Splits(), 3, "domain")
    for domain in ("shop", "asyncio", "site"):
        placed = [by_domain.splits[i.id] for i in examples if i.id in by_domain.splits and i.record["domain"] == domain]
        assert len(set(placed)) == 1
    # a held-out domain's example that asks what another domain's split asks is left out, not moved
    assert by_domain.unplaced and all("its domain is held in" in reason for reason in by_domain.unplaced.values())
    by_question = assign_splits(examples, demo.clusters(), Splits(), 0, "question")
    pairs: dict[str, set[str]] = {}
    for item in examples:
        if item.record.get("pair_id"):
            pairs.setdefault(str(item.record["pair_id"]), set()).add(by_question[item.id])
    assert pairs and all(len(found) == 1 for found in pairs.values())
    assert len(set(by_question.values())) == 3


def test_shares_add_up_and_total_is_inherited(mixes: Path) -> None:
    (mixes / "parent.toml").write_text('name = "parent"\ntotal = 10\n')
    (mixes / "child.toml").write_text(
        'name = "child"\nextends = "parent"\n'
        + "".join(
            f'[[components]]\nselect = {{ intent = "i{n}" }}\nshare = {share}\n'
            for n, share in enumerate((0.25, 0.25, 0.5))
        )
    )
    assert [component.count for component in resolve(mixes, "child").components] == [3, 2, 5]


def test_moved_examples_show_in_the_diff(demo: Store, mixes: Path) -> None:
    (mixes / "moved.toml").write_text('name = "moved"\nextends = "phase6"\nsplit_seed = 5\n')
    result = diff(demo, build(demo, mixes, "phase6"), build(demo, mixes, "moved"))
    assert not any(result.added.values()) and not any(result.removed.values())
    assert result.moved and all(before != after for _, before, after in result.moved)


def test_a_recipe_allows_and_denies_source_licenses(tmp_path: Path) -> None:
    from curate.audit import audit, source_licenses
    from tests.conftest import write_tree

    code = "async def fetch(url):\n    return url\n\n\ndef parse(text):\n    return text\n"
    store = Store.open(tmp_path / "s.duckdb")
    projects = {
        "permissive": {"LICENSE": "MIT License\n\nPermission is hereby granted, free of charge", "p/core.py": code},
        "copyleft": {"pyproject.toml": '[project]\nname = "c"\nlicense = "GPL-3.0-only"\n', "c/core.py": code},
        "unlabelled": {"u/core.py": code},
    }
    for name, files in projects.items():
        mine(store, write_tree(tmp_path / name, files), domain=name, jobs=1)
        run_synth(store, name, 8, run_id=f"r-{name}", seed=0)
    assert {source.name: source.license for source in store.sources()} == {
        "permissive": "MIT",
        "copyleft": "GPL-3.0-only",
        "unlabelled": None,
    }
    (tmp_path / "mixes").mkdir()
    (tmp_path / "mixes" / "open.toml").write_text(
        'name = "open"\n[licenses]\ndeny = ["GPL-3.0-only"]\n[[components]]\ncount = 16\n'
    )
    built = build(store, tmp_path / "mixes", "open")
    # a direct answer comes from a card (curate's own text), not from the source: the license is moot
    chosen = {item.id: item.record for item in store.examples(ids=built.ids())}
    assert {(r["domain"], r["kind"]) for r in chosen.values() if r["domain"] == "copyleft"} <= {("copyleft", "direct")}
    excluded = {item.example_id: item.reason for item in built.excluded}
    assert set(excluded.values()) == {"source copyleft has license GPL-3.0-only, which the recipe does not allow"}
    copyleft_calls = {item.id for item in store.examples(domain="copyleft", kind="tool_call")}
    assert set(excluded) == copyleft_calls and copyleft_calls
    (tmp_path / "mixes" / "strict.toml").write_text(
        'name = "strict"\n[licenses]\nallow = ["MIT"]\nunknown = "deny"\n[[components]]\ncount = 8\n'
    )
    strict = build(store, tmp_path / "mixes", "strict")
    calls = [item.record for item in store.examples(ids=strict.ids()) if item.record["kind"] == "tool_call"]
    assert calls and {record["domain"] for record in calls} == {"permissive"}
    examples = store.examples()
    report = audit(examples, scope="all", splits={}, licenses=source_licenses(store))
    licenses = {share.value: share.count for share in report.breakdowns["license"]}
    assert set(licenses) == {"GPL-3.0-only", "MIT", "(unknown)", "(card only)"} and sum(licenses.values()) == 24
    taught = next(
        item for item in examples if item.record["domain"] == "permissive" and item.record["provenance"].get("sources")
    )
    assert taught.record["provenance"]["sources"][0]["license"] == "MIT"
    store.close()
