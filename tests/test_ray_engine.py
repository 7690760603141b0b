"""`--engine ray` and the local engine mine the same 22 real sources into the same facts, files and
texts. Skipped where Ray is not installed (it is the optional extra `curate[ray]`):

    uv run --extra ray pytest tests/test_ray_engine.py
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.source_list import mine_list
from curate.store import Store
from tests.test_source_list import INSTALLED, STDLIB_PACKAGES, write_list


@pytest.fixture
def ray_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Before ray is imported, which reads it: under `uv run pytest`, Ray would otherwise start its
    # workers with `uv run` in a copy of the project (what `curate.ray_engine.start` turns off).
    monkeypatch.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    pytest.importorskip("ray", reason="the ray engine is the optional extra curate[ray]")
    from curate import ray_engine

    yield
    ray_engine.stop()


def snapshot(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str, int]], list[str | None]]:
    with Store.open(path, read_only=True) as store:
        facts = sorted((item.source, item.fact.model_dump_json()) for item in store.facts())
        files = [
            (source.name, record.path, record.sha256, record.status, record.lines)
            for source in store.sources()
            for record in store.files(source.name)
        ]
        texts = [store.file_text(source, path) for source, path, *_ in files]
    return facts, files, texts  # type: ignore[return-value]


@pytest.mark.slow
def test_both_engines_give_identical_facts(ray_runtime: None, tmp_path: Path) -> None:
    source_list = write_list(tmp_path / "lists")
    for engine in ("local", "ray"):
        with Store.open(tmp_path / f"{engine}.duckdb") as store:
            stats = mine_list(store, source_list, cache=tmp_path / "cache", engine=engine)
        assert len(stats.mined) == len(STDLIB_PACKAGES) + len(INSTALLED) >= 20 and len(stats.failed) == 2
    local, ray = snapshot(tmp_path / "local.duckdb"), snapshot(tmp_path / "ray.duckdb")
    assert len(local[0]) > 10_000
    assert local == ray


@pytest.mark.slow
def test_near_duplicates_on_ray_are_the_local_clusters(ray_runtime: None) -> None:
    from curate import ray_engine
    from curate.cards import load_cards
    from curate.dedup import near_duplicate_groups

    questions = [question for card in load_cards() for question in card.questions]
    texts = questions + [question.rstrip("?") + " exactly?" for question in questions[::3]]
    local = near_duplicate_groups(texts, 0.7)
    on_ray = near_duplicate_groups(texts, 0.7, hasher=ray_engine.minhashes)
    assert len(local) >= 50 and on_ray == local


@pytest.mark.slow
def test_shards_mixing_mined_and_failed_files_merge(ray_runtime: None, tmp_path: Path) -> None:
    """A batch of only good files (no reasons) and a batch of only bad ones write one dataset."""
    from curate.mine import mine
    from tests.conftest import write_tree

    files = {f"a{number:03d}.py": f"def f{number}():\n    return {number}\n" for number in range(40)}
    files |= {f"b{number:03d}.py": "def broken(:\n" for number in range(40)}
    root = write_tree(tmp_path / "mixed", files)
    for engine in ("local", "ray"):
        with Store.open(tmp_path / f"{engine}.duckdb") as store:
            stats = mine(store, root, domain="mixed", engine=engine)  # type: ignore[arg-type]
            assert (stats.mined, dict(stats.failed)) == (40, {"syntax_error": 40})
    assert snapshot(tmp_path / "local.duckdb") == snapshot(tmp_path / "ray.duckdb")
