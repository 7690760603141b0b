"""The sample shop project, mined once per test module, for the tools' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from curate.mine import mine
from curate.store import Store
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("shop") / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=2)
    yield store
    store.close()
