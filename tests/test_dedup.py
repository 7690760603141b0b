from __future__ import annotations

import copy
from pathlib import Path

from curate.dedup import dedup, near_duplicate_groups, normalize
from curate.mine import mine
from curate.store import Store, StoredExample
from curate.synth import example_id, synthesize
from tests.conftest import write_tree


def test_normalize_folds_case_punctuation_and_space() -> None:
    assert normalize("  Find ALL async-functions,   please!  ") == "find all async functions please"


def test_near_duplicate_queries_group_and_different_ones_do_not() -> None:
    queries = [
        "Find all async functions in this codebase",
        "Show me the FastAPI route definitions",
        "find all async functions in this codebase!",
        "Find all the async functions in this codebase",
        "What is dependency injection?",
        "Show me the FastAPI route definition",
    ]
    groups = sorted(near_duplicate_groups(queries, threshold=0.7))
    assert groups == [[0, 2, 3], [1, 5]]
    assert near_duplicate_groups(queries, threshold=1.0) == [[0, 2]]


def _planted(store: Store, tmp_path: Path) -> list[StoredExample]:
    project = write_tree(tmp_path / "p", {"p.py": "async def ping():\n    return 1\n\n\ndef gen():\n    yield 1\n"})
    mine(store, project, domain="p", jobs=1)
    examples = synthesize(store, "p", 8, seed=2, tool_ratio=0.5).examples
    planted = []
    original = next(item for item in examples if item.query == "Find all async functions in this codebase")
    # the first differs only in case and punctuation (exact), the second by one word (near)
    for text in ("find ALL async functions in this codebase!!", "Find all the async functions in this codebase"):
        record = copy.deepcopy(original.record)
        record["messages"][0]["content"] = text
        record["id"] = example_id("p", record["messages"], record["tools"])
        planted.append(StoredExample(record, "verified", original.checks, original.tokens))
    return [*examples, *planted]


def test_dedup_records_exact_and_near_clusters_deterministically(store: Store, tmp_path: Path) -> None:
    examples = _planted(store, tmp_path)
    assert any(item.query == "Find all async functions in this codebase" for item in examples)
    store.save_examples(examples, "r")
    report = dedup(store, "p", threshold=0.7)
    assert (report.exact_clusters, report.exact_dropped) == (1, 1)
    assert report.near_clusters >= 1
    clusters = store.clusters("p")
    exact = [cluster for cluster in clusters if cluster.method == "exact"]
    assert len(exact) == 2 and sum(cluster.kept for cluster in exact) == 1
    assert min(cluster.example_id for cluster in exact) == next(c.example_id for c in exact if c.kept)
    dedup(store, "p", threshold=0.7)
    assert store.clusters("p") == clusters
    assert len(store.examples(domain="p")) == len(examples)


def test_similar_questions_about_different_things_are_not_near_duplicates() -> None:
    queries = [
        "Find all subclasses of MessageError",
        "Find all subclasses of MessageID",
        "Find all subclasses of MessageError!",
    ]
    calls = ['[{"base": "MessageError"}]', '[{"base": "MessageID"}]', '[{"base": "MessageError"}]']
    assert near_duplicate_groups(queries, 0.6) == [[0, 1, 2]]
    assert near_duplicate_groups(queries, 0.6, calls) == [[0, 2]]
