"""Services, registered with svcs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import svcs

from shop.models import Item, ItemNotFound


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.rows: dict[int, Item] = {}


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def latest(self, limit: int) -> list[Item]:
        return sorted(self.db.rows.values(), key=lambda item: -(item.id or 0))[:limit]

    async def get(self, item_id: int) -> Item:
        try:
            return self.db.rows[item_id]
        except KeyError:
            raise ItemNotFound(item_id) from None

    async def add(self, item: Item) -> Item:
        stored = item.model_copy(update={"id": len(self.db.rows) + 1})
        self.db.rows[stored.id or 0] = stored
        return stored

    async def remove(self, item_id: int) -> None:
        self.db.rows.pop(item_id, None)

    async def stream(self) -> AsyncIterator[Item]:
        for item in self.db.rows.values():
            yield item


async def connect_database() -> Database:
    return Database("sqlite:///shop.db")


def make_catalog(services: svcs.Container) -> Catalog:
    return Catalog(services.get(Database))


def register_services(registry: svcs.Registry) -> None:
    registry.register_factory(Database, connect_database)
    registry.register_factory(Catalog, make_catalog)
    registry.register_value(str, "shop")
