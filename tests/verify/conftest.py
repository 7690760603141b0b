"""Real synthesized examples to mutate: each verification stage must catch its own kind of mutation
with a reason that says what is wrong. Mined and synthesized once for the whole package."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from curate.mine import mine
from curate.store import Store
from curate.synth import synthesize
from curate.verify import Verifier
from tests.conftest import REPO, SAMPLE

SITE = REPO / "data" / "samples" / "html" / "site"
Record = dict[str, Any]


@pytest.fixture(scope="package")
def mined(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("verify") / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    mine(store, SITE, domain="site", jobs=1)
    yield store
    store.close()


@pytest.fixture(scope="package")
def records(mined: Store) -> dict[str, Record]:
    """One verified record per intent and kind, from a real synthesis over the shop sample."""
    chosen: dict[str, Record] = {}
    for domain in ("shop", "site"):
        for item in synthesize(mined, domain, 80, seed=5).examples:
            chosen.setdefault(f"{item.record['kind']}:{item.record['intent']}", item.record)
    return chosen


def find(records: dict[str, Record], key: str, test: Callable[[Record], bool] = lambda r: True) -> Record:
    record = copy.deepcopy(records[key])
    assert test(record), key
    return record


def nonempty(record: Record) -> bool:
    return json.loads(record["messages"][2]["content"])["total"] > 0


def verdict(store: Store, record: Record, **options: Any) -> tuple[str | None, str]:
    result = Verifier(store, record["domain"], **options).verify(record)
    return (result.rejection.stage, result.rejection.reason) if result.rejection else (None, "")


def with_answer(record: Record, answer: str) -> Record:
    changed = copy.deepcopy(record)
    changed["messages"][-1]["content"] = answer
    return changed
