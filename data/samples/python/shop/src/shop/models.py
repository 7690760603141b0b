"""The shop's records."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel


class Record(BaseModel):
    id: int | None = None


class Item(Record):
    """Something for sale."""

    name: str
    price_cents: int
    status: Status = None  # type: ignore[assignment]


class Status(enum.Enum):
    AVAILABLE = "available"
    SOLD_OUT = "sold_out"


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str = "EUR"


class Priced(Protocol):
    def price(self) -> Money: ...


class ShopError(Exception):
    pass


class ItemNotFound(ShopError, LookupError):
    """No item has this id."""
