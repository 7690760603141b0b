"""Flask, Django and Litestar routes: each form users write, prefixes joined across modules by linking,
class-based views resolved to their methods, and the look-alikes that are not routes."""

from __future__ import annotations

import textwrap

from schemas import Fact
from sources.python import extract_python
from sources.python.link import link
from sources.python.packs.routing import ALL_METHODS

Route = tuple[str, int, str, str, list[str]]


def linked(files: dict[str, str]) -> tuple[list[Fact], list[tuple[Fact, str]]]:
    """Route facts of a small project, extracted and linked as `curate mine` does."""
    facts: list[Fact] = []
    for path, text in files.items():
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        result = extract_python(path, textwrap.dedent(text).encode(), module, is_package=path.endswith("__init__.py"))
        assert result.status == "ok", result.error
        facts.extend(result.facts)
    outcome = link(facts)
    routes = [fact for fact in [*facts, *outcome.added] if fact.kind == "route"]
    return sorted(routes, key=lambda fact: (fact.path, fact.line, fact.name, fact.detail["route"])), outcome.rejected


def routes(files: dict[str, str] | str) -> list[Route]:
    project = {"m.py": files} if isinstance(files, str) else files
    return [
        (fact.path, fact.line, fact.name, fact.detail["route"], fact.detail["methods"]) for fact in linked(project)[0]
    ]


def test_flask_decorators_and_add_url_rule_in_an_app_factory() -> None:
    source = """\
        from flask import Flask
        import flask

        def create_app():
            app = Flask(__name__)

            @app.route("/")
            def index(): ...

            @app.route("/both", methods=["get", "POST"])
            def both(): ...

            @app.post("/items")
            def create(): ...

            @app.delete("/items/<int:id>")
            def remove(id): ...

            def late(): ...
            app.add_url_rule("/late", "late", late)
            app.add_url_rule("/kw", view_func=late, methods=("PUT",))
            return app

        other = flask.app.Flask("x")

        @other.get("/other")
        def elsewhere(): ...
        """
    assert routes(source) == [
        ("m.py", 8, "index", "/", ["GET"]),
        ("m.py", 11, "both", "/both", ["GET", "POST"]),
        ("m.py", 14, "create", "/items", ["POST"]),
        ("m.py", 17, "remove", "/items/<int:id>", ["DELETE"]),
        ("m.py", 20, "late", "/late", ["GET"]),
        ("m.py", 21, "late", "/kw", ["PUT"]),
        ("m.py", 27, "elsewhere", "/other", ["GET"]),
    ]
    (late, *_) = [fact for fact in linked({"m.py": source})[0] if fact.line == 20]
    assert late.detail["handler_line"] == 19 and late.detail["framework"] == "flask"


def test_flask_methods_that_are_not_a_literal_are_all_methods() -> None:
    assert routes(
        "from flask import Flask\napp = Flask(__name__)\n@app.route('/x', methods=ALLOWED)\ndef x(): ...\n"
    ) == [("m.py", 4, "x", "/x", ALL_METHODS)]


def test_blueprints_registered_with_prefixes_across_modules() -> None:
    files = {
        "shop/__init__.py": "",
        "shop/views.py": """\
            from flask import Blueprint
            bp = Blueprint("shop", __name__, url_prefix="/shop")
            plain = Blueprint("plain", __name__)

            @bp.route("/items")
            def items(): ...

            @bp.get("")
            def root(): ...

            @plain.route("/p")
            def p(): ...
            """,
        "shop/app.py": """\
            from flask import Flask, Blueprint
            from shop.views import bp, plain

            def create_app():
                app = Flask(__name__)
                api = Blueprint("api", __name__, url_prefix="/api")
                api.register_blueprint(bp, url_prefix="/v1/shop")
                app.register_blueprint(api)
                app.register_blueprint(bp)
                return app
            """,
    }
    assert routes(files) == [
        ("shop/views.py", 6, "items", "/api/v1/shop/items", ["GET"]),
        ("shop/views.py", 6, "items", "/shop/items", ["GET"]),
        ("shop/views.py", 9, "root", "/api/v1/shop", ["GET"]),
        ("shop/views.py", 9, "root", "/shop", ["GET"]),
        ("shop/views.py", 12, "p", "/p", ["GET"]),
    ]


def test_a_prefix_that_is_not_a_literal_keeps_the_expression() -> None:
    source = (
        "from flask import Blueprint\nbp = Blueprint('b', __name__, url_prefix=PREFIX)\n@bp.route('/x')\ndef x(): ...\n"
    )
    facts, _ = linked({"m.py": source})
    assert [(fact.detail["route"], fact.detail["route_is_literal"]) for fact in facts] == [('PREFIX + "/x"', False)]


def test_two_tests_with_their_own_blueprint_are_two_blueprints() -> None:
    source = """\
        import flask

        def test_one(app):
            bp = flask.Blueprint("bp", __name__)

            @bp.route("/a")
            def a(): ...

            app.register_blueprint(bp, url_prefix="/one")

        def test_two(app):
            bp = flask.Blueprint("bp", __name__, url_prefix="/two")

            @bp.route("/b")
            def b(): ...

            app.register_blueprint(bp)
        """
    assert routes(source) == [("m.py", 7, "a", "/one/a", ["GET"]), ("m.py", 15, "b", "/two/b", ["GET"])]


def test_flask_class_based_views_resolve_to_their_methods() -> None:
    source = """\
        from flask import Flask
        from flask.views import MethodView, View

        app = Flask(__name__)

        class UserAPI(MethodView):
            def get(self, id): ...
            def post(self): ...

        class Admin(UserAPI):
            def delete(self, id): ...

        class Page(View):
            methods = ["GET", "POST"]
            def dispatch_request(self): ...

        app.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user"))
        admin = Admin.as_view("admin")
        app.add_url_rule("/admin/<int:id>", view_func=admin)
        app.add_url_rule("/page", view_func=Page.as_view("page"))
        """
    facts, _ = linked({"m.py": source})
    assert [(f.line, f.name, f.detail["function"], f.detail["methods"], f.detail["handler_line"]) for f in facts] == [
        (17, "get", "UserAPI.get", ["GET"], 7),
        (17, "post", "UserAPI.post", ["POST"], 8),
        (19, "delete", "Admin.delete", ["DELETE"], 11),
        (19, "get", "Admin.get", ["GET"], 7),
        (19, "post", "Admin.post", ["POST"], 8),
        (20, "Page", "Page", ["GET", "POST"], None),
    ]


def test_a_flask_subclass_of_the_project_and_imported_apps() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "import flask\n\nclass App(flask.Flask):\n    pass\n\napp = App(__name__)\n",
        "pkg/views.py": "from pkg.base import app\n\n@app.route('/v')\ndef v(): ...\n",
        "pkg/other.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "pkg/fake.py": "from pkg.other import app\n\n@app.route('/not-flask')\ndef f(): ...\n",
    }
    facts, rejected = linked(files)
    assert [(f.path, f.name, f.detail["route"]) for f in facts if f.detail["framework"] == "flask"] == [
        ("pkg/views.py", "v", "/v")
    ]
    assert ("pkg/fake.py", "pkg.other.app is not a Flask app or blueprint") in [
        (fact.path, reason) for fact, reason in rejected if "Flask" in reason
    ]


def test_flask_look_alikes_are_not_routes() -> None:
    assert (
        routes(
            """\
            import requests
            from bottle import Bottle
            from somewhere import router

            web = Bottle()
            session = requests.Session()

            @web.route("/bottle")
            def bottle(): ...

            @session.get("/no")
            def no(): ...

            @router.get("/imported-get")
            def imported_get(): ...

            def route(path): ...

            @route("/plain")
            def plain(): ...

            requests.get("https://example.com")
            """
        )
        == []
    )


DJANGO = {
    "site/__init__.py": "",
    "site/urls.py": """\
        from django.conf import settings
        from django.urls import include, path, re_path
        from django.views.generic import TemplateView
        import polls.urls

        urlpatterns = [
            path("", TemplateView.as_view(template_name="home.html")),
            path("polls/", include("polls.urls")),
            path("v2/", include(polls.urls)),
            re_path(r"^api/", include(("api.urls", "api"))),
        ]
        if settings.DEBUG:
            urlpatterns += [path("debug/", include([path("ping/", polls.views.ping)]))]
        """,
    "polls/__init__.py": "",
    "polls/urls.py": """\
        from django.urls import include, path
        from . import views
        from .views import UserView

        extra = [path("more/", views.more)]
        urlpatterns = [
            path("", views.index, name="index"),
            path("<int:pk>/", views.Detail.as_view(), name="detail"),
            path("users/", UserView.as_view()),
            path("extra/", include(extra)),
        ]
        urlpatterns.append(path("vote/", views.vote))
        """,
    "polls/views.py": """\
        from django.views import View, generic
        from django.views.decorators.http import require_POST, require_http_methods

        def index(request): ...

        def ping(request): ...

        @require_POST
        def vote(request): ...

        @require_http_methods(["GET", "post"])
        def more(request): ...

        class Detail(generic.DetailView):
            model = None

        class UserView(View):
            def get(self, request): ...
            def delete(self, request): ...
        """,
    "api/__init__.py": "",
    "api/urls.py": """\
        from django.urls import re_path
        from api.views import user
        urlpatterns = [re_path(r"^users/(?P<pk>[0-9]+)/$", user)]
        """,
}


def test_django_urlpatterns_includes_and_views() -> None:
    assert routes(DJANGO) == [
        ("api/urls.py", 3, "user", "^api/users/(?P<pk>[0-9]+)/$", ALL_METHODS),
        ("polls/urls.py", 5, "more", "polls/extra/more/", ["GET", "POST"]),
        ("polls/urls.py", 5, "more", "v2/extra/more/", ["GET", "POST"]),
        ("polls/urls.py", 7, "index", "polls/", ALL_METHODS),
        ("polls/urls.py", 7, "index", "v2/", ALL_METHODS),
        ("polls/urls.py", 8, "Detail", "polls/<int:pk>/", ["GET"]),
        ("polls/urls.py", 8, "Detail", "v2/<int:pk>/", ["GET"]),
        ("polls/urls.py", 9, "delete", "polls/users/", ["DELETE"]),
        ("polls/urls.py", 9, "delete", "v2/users/", ["DELETE"]),
        ("polls/urls.py", 9, "get", "polls/users/", ["GET"]),
        ("polls/urls.py", 9, "get", "v2/users/", ["GET"]),
        ("polls/urls.py", 12, "vote", "polls/vote/", ["POST"]),
        ("polls/urls.py", 12, "vote", "v2/vote/", ["POST"]),
        ("site/urls.py", 7, "TemplateView", "", ["GET"]),
        ("site/urls.py", 13, "ping", "debug/ping/", ALL_METHODS),
    ]


def test_django_look_alikes_are_not_routes() -> None:
    assert (
        routes(
            """\
            import os
            from os import path
            from django.db import models

            urlpatterns = [path.join("a", "b"), os.path.join("c")]
            files = [path("x/", None)]
            """
        )
        == []
    )


def test_litestar_handlers_controllers_and_routers() -> None:
    files = {
        "app.py": """\
            from litestar import Controller, Litestar, Router, get, post, route, websocket
            from litestar.enums import HttpMethod
            from handlers import health

            @get("/")
            async def index() -> str: ...

            @post(["/a", "/b/"])
            async def create() -> None: ...

            @route("/r", http_method=[HttpMethod.GET, "post"])
            async def r() -> None: ...

            @websocket("/ws")
            async def ws(socket) -> None: ...

            @get()
            async def unregistered() -> None: ...

            class UserController(Controller):
                path = "/users"

                @get("/{user_id:int}")
                async def get_user(self, user_id: int) -> None: ...

            api = Router(path="/api", route_handlers=[UserController, create, health])

            def create_app() -> Litestar:
                return Litestar(route_handlers=[index, api, r, ws])
            """,
        "handlers.py": "from litestar import get\n\n@get('/health')\ndef health() -> str: ...\n",
    }
    assert routes(files) == [
        ("app.py", 6, "index", "/", ["GET"]),
        ("app.py", 9, "create", "/api/a", ["POST"]),
        ("app.py", 9, "create", "/api/b", ["POST"]),
        ("app.py", 12, "r", "/r", ["GET", "POST"]),
        ("app.py", 15, "ws", "/ws", []),
        ("app.py", 18, "unregistered", "/", ["GET"]),
        ("app.py", 24, "get_user", "/api/users/{user_id:int}", ["GET"]),
        ("handlers.py", 4, "health", "/api/health", ["GET"]),
    ]
    websocket = [fact for fact in linked(files)[0] if fact.name == "ws"]
    assert websocket[0].detail["websocket"] is True


def test_litestar_look_alikes_are_not_routes() -> None:
    assert routes("from requests import get\n\n@get('/x')\ndef x(): ...\n\nget('https://example.com')\n") == []
