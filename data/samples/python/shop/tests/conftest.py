import pytest
import pytest_asyncio
from pytest import fixture as shop_fixture

from shop.services import Catalog, Database


@pytest.fixture(scope="session")
def database() -> Database:
    return Database("sqlite:///:memory:")


@shop_fixture
def catalog(database: Database) -> Catalog:
    return Catalog(database)


@pytest.fixture(name="api_client", autouse=True)
def make_client():
    yield object()


@pytest_asyncio.fixture
async def filled_catalog(catalog: Catalog) -> Catalog:
    return catalog
