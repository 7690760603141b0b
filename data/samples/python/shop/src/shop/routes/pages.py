"""Pages for people: HTML answers beside the JSON API."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shop.services import Catalog

pages = APIRouter(tags=["pages"])
templates = Jinja2Templates(directory="src/shop/templates")


@pages.get("/about", response_class=HTMLResponse)
async def about() -> str:
    return "<h1>About the shop</h1><p>Open every day but Sunday.</p>"


@pages.get("/catalog")
async def catalog_page(request: Request, catalog: Catalog):
    items = await catalog.latest(20)
    return templates.TemplateResponse(request, "catalog.jinja", {"items": items})
