"""Routes linked to the templates they render and forms to the routes that handle them, at query time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import REPO, write_tree

FLASK_SAMPLE = REPO / "data" / "samples" / "python" / "flaskapp"

WEBAPP = {
    "app/main.py": """\
        from fastapi import FastAPI, Form, Request
        from fastapi.responses import HTMLResponse
        from fastapi.templating import Jinja2Templates

        templates = Jinja2Templates(directory="templates")


        def create_app():
            app = FastAPI()

            @app.get("/signup")
            def signup_page(request: Request):
                return templates.TemplateResponse(request=request, name="signup.html")

            @app.post("/signup")
            def signup(email: str = Form()):
                return {"ok": True}

            @app.post("/items/{item_id}/delete", response_class=HTMLResponse)
            def delete_item(item_id: int):
                return "<p>gone</p>"

            @app.post("/subscribe")
            def subscribe():
                return {}

            @app.get("/files/{rest:path}")
            def files(rest: str):
                return {}

            return app
        """,
    "app/templates/signup.html": """\
        <html><body>
        <form method="post"><input name="email" aria-label="Email"></form>
        <form action="{{ url_for('subscribe') }}" method="post"><button>Go</button></form>
        <form action="/items/{{ item.id }}/delete" method="post"><button>Delete</button></form>
        <form action="/nowhere" method="post"><button>Lost</button></form>
        <form action="https://example.org/x"><button>Away</button></form>
        <form action="{% url 'x' %}" method="post"><button>Django</button></form>
        <form action="/subscribe"><button>Wrong method</button></form>
        <form action="/files/a/b.txt?raw=1"><button>Deep</button></form>
        </body></html>
        """,
    "other/templates/signup.html": "<html><body><p>another app's page of the same name</p></body></html>\n",
}


@pytest.fixture(scope="module")
def webapp(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = write_tree(tmp_path_factory.mktemp("webapp"), WEBAPP)
    store = Store.open(root.parent / "web.duckdb")
    mine(store, root, domain="web", jobs=1)
    return store


def handling(store: Store, domain: str, **arguments: Any) -> list[tuple[int, str, str | None, list[str]]]:
    result = call_tool(store, domain, "find_form_handlers", arguments, limit=0)
    return [
        (
            m["line"],
            m["lookup"],
            m.get("target"),
            [f"{h['name']} {h['route']} {h['path']}:{h['line']}" for h in m["handlers"]],
        )
        for m in result.matches
    ]


def test_every_kind_of_action_finds_its_handler_or_says_why_not(webapp: Store) -> None:
    assert handling(webapp, "web") == [
        (2, "page", None, ["signup /signup app/main.py:16"]),
        (3, "endpoint", "subscribe", ["subscribe /subscribe app/main.py:24"]),
        (4, "path", None, ["delete_item /items/{item_id}/delete app/main.py:20"]),
        (5, "path", None, []),
        (6, "external", None, []),
        (7, "unreadable", None, []),
        (8, "path", None, []),
        (9, "path", "/files/a/b.txt", ["files /files/{rest:path} app/main.py:28"]),
    ]


def test_a_framework_filter_narrows_the_handlers_not_the_forms(webapp: Store) -> None:
    assert [handlers for *_, handlers in handling(webapp, "web", framework="flask")] == [[]] * 8
    assert handling(webapp, "web", framework="fastapi") == handling(webapp, "web")
    assert handling(webapp, "web", path="other") == []


def test_a_route_shows_its_framework_response_and_the_mined_template(webapp: Store) -> None:
    result = call_tool(webapp, "web", "find_routes", {"response": "html"}, limit=0)
    assert result.matches == [
        {
            "path": "app/main.py",
            "line": 12,
            "name": "signup_page",
            "methods": ["GET"],
            "route": "/signup",
            "framework": "fastapi",
            "response": "html",
            "template": "signup.html",
            "template_path": "app/templates/signup.html",
        },
        {
            "path": "app/main.py",
            "line": 20,
            "name": "delete_item",
            "methods": ["POST"],
            "route": "/items/{item_id}/delete",
            "framework": "fastapi",
            "response": "html",
        },
    ]
    assert call_tool(webapp, "web", "find_routes", {"framework": "fastapi"}).total == 5
    assert call_tool(webapp, "web", "find_routes", {"framework": "django"}).total == 0


def test_the_nearest_templates_folder_wins(tmp_path: Path, store: Store) -> None:
    route = """\
        from fastapi import FastAPI
        from fastapi.templating import Jinja2Templates
        app = FastAPI()
        templates = Jinja2Templates(directory="templates")

        @app.get("/")
        def home(request):
            return templates.TemplateResponse(request, "home.html")
        """
    page = "<html><body><h1>Home</h1></body></html>\n"
    files = {"a/app.py": route, "a/templates/home.html": page, "b/app.py": route, "b/templates/home.html": page}
    mine(store, write_tree(tmp_path / "two", files), domain="two", jobs=1)
    found = call_tool(store, "two", "find_routes", {}).matches
    assert [(m["path"], m["template_path"]) for m in found] == [
        ("a/app.py", "a/templates/home.html"),
        ("b/app.py", "b/templates/home.html"),
    ]


def test_the_shop_samples_html_routes(shop: Store) -> None:
    result = call_tool(shop, "shop", "find_routes", {"response": "html", "framework": "fastapi"})
    assert [(m["path"], m["line"], m["name"], m.get("template"), m.get("template_path")) for m in result.matches] == [
        ("src/shop/routes/pages.py", 14, "about", None, None),
        ("src/shop/routes/pages.py", 19, "catalog_page", "catalog.jinja", None),
    ]
    everything = call_tool(shop, "shop", "find_routes", {}, limit=0).matches
    assert {m["framework"] for m in everything} == {"fastapi"}
    assert [m["name"] for m in everything if "response" in m] == ["about", "catalog_page"]


@pytest.fixture(scope="module")
def bakery(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("bakery") / "b.duckdb")
    mine(store, FLASK_SAMPLE, domain="bakery", jobs=1)
    return store


def test_the_flask_samples_forms_and_their_handlers(bakery: Store) -> None:
    assert handling(bakery, "bakery") == [
        (4, "endpoint", "auth.login", ["login /auth/login bakery/auth.py:9"]),
        (14, "path", None, ["search /search bakery/__init__.py:26"]),
        (19, "path", None, ["logout /auth/logout bakery/auth.py:17"]),
        (4, "endpoint", "send_message", []),
        (5, "page", None, ["new_order /orders/new bakery/__init__.py:20"]),
    ]


def test_the_flask_samples_routes_render_their_templates(bakery: Store) -> None:
    result = call_tool(bakery, "bakery", "find_routes", {"framework": "flask", "response": "html"}, limit=0)
    assert [(m["name"], m["route"], m["template"], m["template_path"]) for m in result.matches] == [
        ("index", "/", "index.html", "bakery/templates/index.html"),
        ("new_order", "/orders/new", "orders/new.html", "bakery/templates/orders/new.html"),
        ("search", "/search", "index.html", "bakery/templates/index.html"),
        ("contact", "/contact", "contact.html", "bakery/templates/contact.html"),
        ("login", "/auth/login", "auth/login.html", "bakery/templates/auth/login.html"),
    ]


def test_the_flask_samples_forms_are_mined_with_their_actions(bakery: Store) -> None:
    """What holds without the Flask pack: every form is there, and none claims a handler it lacks."""
    result = call_tool(bakery, "bakery", "find_form_handlers", {}, limit=0)
    assert [(m["path"], m["line"], m["action"], m["method"]) for m in result.matches] == [
        ("bakery/templates/auth/login.html", 4, "{{ url_for('auth.login') }}", "post"),
        ("bakery/templates/base.html", 14, "/search", "get"),
        ("bakery/templates/base.html", 19, "/auth/logout", "post"),
        ("bakery/templates/contact.html", 4, "{{ url_for('send_message') }}", "post"),
        ("bakery/templates/orders/new.html", 5, None, "post"),
    ]
