"""What a route returns, read from its handler by the driver's post-pass: HTML and the template."""

from __future__ import annotations

from tests.conftest import extract, line_of, of_kind

HEAD = """\
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory="templates")
"""


def rendered(source: str) -> list[tuple[str, str | None, str | None]]:
    return [(f.name, f.detail["response"], f.detail["template"]) for f in of_kind(extract(source), "route")]


def test_html_declared_by_response_class_annotation_or_returned_instance() -> None:
    source = (
        HEAD
        + """
app = FastAPI()

@app.get("/a", response_class=HTMLResponse)
def declared():
    return "<p>a</p>"

@app.get("/b")
def annotated() -> HTMLResponse:
    return make()

@app.get("/c")
async def returned():
    return HTMLResponse("<p>c</p>")

@app.get("/d", response_class=JSONResponse)
def json():
    def inner():
        return HTMLResponse("not the handler's")
    return {"d": 1}
"""
    )
    assert rendered(source) == [
        ("declared", "html", None),
        ("annotated", "html", None),
        ("returned", "html", None),
        ("json", None, None),
    ]


def test_every_way_starlette_and_fastapi_name_a_template() -> None:
    source = (
        HEAD
        + """
router = APIRouter()

@router.get("/old")
def old(request: Request):
    return templates.TemplateResponse("old.html", {"request": request})

@router.get("/new")
def new(request: Request):
    return templates.TemplateResponse(request, "new.html", {"x": 1})

@router.get("/keywords")
def keywords(request: Request):
    return templates.TemplateResponse(request=request, name="pages/keywords.html")

@router.get("/computed")
def computed(request: Request, page: str):
    return templates.TemplateResponse(request, page + ".html")
"""
    )
    assert rendered(source) == [
        ("old", "html", "old.html"),
        ("new", "html", "new.html"),
        ("keywords", "html", "pages/keywords.html"),
        ("computed", "html", None),
    ]


def test_an_app_made_in_a_factory_and_a_default_response_class() -> None:
    source = (
        HEAD
        + """
pages = APIRouter(default_response_class=HTMLResponse)

@pages.get("/p")
def page():
    return "<p>p</p>"

def create_app():
    app = FastAPI()

    @app.get("/users")
    async def users(request: Request):
        from flask import render_template
        return render_template("users.html")

    return app
"""
    )
    assert rendered(source) == [("page", "html", None), ("users", "html", "users.html")]


def test_a_route_added_by_call_finds_its_handler_by_name() -> None:
    source = """\
from starlette.applications import Starlette
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory="templates")

async def homepage(request):
    return templates.TemplateResponse(request, "index.html")

app = Starlette()
app.add_route("/", homepage)
"""
    (route,) = of_kind(extract(source), "route")
    assert (route.line, route.detail["framework"], route.detail["template"]) == (
        line_of(source, "app.add_route"),
        "starlette",
        "index.html",
    )


def test_a_candidate_on_an_imported_app_carries_its_template_to_linking() -> None:
    source = """\
from shop import app
from shop.pages import templates

@app.get("/about")
def about(request):
    return templates.TemplateResponse(request, "about.html")
"""
    (candidate,) = of_kind(extract(source), "candidate")
    assert candidate.detail["proposed"]["detail"]["template"] == "about.html"
    assert candidate.detail["proposed"]["detail"]["response"] == "html"


def test_modules_without_routes_are_left_as_they_are() -> None:
    source = """\
from flask import render_template

def page():
    return render_template("page.html")
"""
    assert of_kind(extract(source), "route") == []
    assert [fact.kind for fact in extract(source)] == ["module", "import", "function"]
