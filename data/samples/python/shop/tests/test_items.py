import pytest

from shop.models import Item, ItemNotFound


@pytest.fixture
def item() -> Item:
    return Item(name="lamp", price_cents=1999)


def test_item_has_no_id_until_stored(item: Item) -> None:
    assert item.id is None


@pytest.mark.parametrize("cents", [0, 1, 1999])
def test_prices(cents: int) -> None:
    assert Item(name="x", price_cents=cents).price_cents == cents


async def test_add_then_get(catalog) -> None:
    stored = await catalog.add(Item(name="lamp", price_cents=1))
    assert await catalog.get(stored.id) == stored


class TestMissing:
    async def test_get_missing_raises(self, catalog) -> None:
        with pytest.raises(ItemNotFound):
            await catalog.get(42)

    def helper(self) -> None:
        pass


class TestWithInit:
    def __init__(self) -> None:
        pass

    def test_not_collected(self) -> None:
        pass
