"""The FastAPI application and its lifespan."""

from contextlib import asynccontextmanager

import svcs
from fastapi import FastAPI

from shop.routes import items, pages
from shop.services import register_services


@asynccontextmanager
async def lifespan(app: "FastAPI"):
    registry = svcs.Registry()
    register_services(registry)
    app.state.registry = registry
    yield
    await registry.aclose()


app = FastAPI(title="shop", lifespan=lifespan)
app.include_router(items.router)
app.include_router(pages.pages)


@app.get("/")
async def index() -> dict[str, str]:
    """Say hello."""
    return {"shop": "open"}
