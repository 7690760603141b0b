"""Item routes, on a router with a prefix."""

from fastapi import APIRouter as Router
from fastapi import HTTPException

from shop.models import Item, ItemNotFound
from shop.services import Catalog

router = Router(prefix="/items", tags=["items"])


@router.get("/")
async def list_items(catalog: Catalog, limit: int = 20) -> list[Item]:
    """List items, newest first."""
    return await catalog.latest(limit)


@router.get("/{item_id}")
async def get_item(item_id: int, catalog: Catalog) -> Item:
    try:
        return await catalog.get(item_id)
    except ItemNotFound:
        raise HTTPException(status_code=404) from None


@router.post("/", status_code=201)
async def create_item(item: Item, catalog: Catalog) -> Item:
    return await catalog.add(item)


@router.api_route("/{item_id}", methods=["PUT", "patch"])
def replace_item(item_id: int, item: Item) -> Item:
    return item


@router.delete(
    "/{item_id}",
    status_code=204,
)
async def delete_item(item_id: int, catalog: Catalog) -> None:
    await catalog.remove(item_id)
