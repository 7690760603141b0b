"""FastAPI and Starlette routes in every form and scope they are declared in, and look-alikes that are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import extract, line_of, of_kind, write_tree


def routes(source: str) -> list[tuple[Any, ...]]:
    """(name, line, methods, route) of each route, in document order then route."""
    found = [(f.name, f.line, f.detail["methods"], f.detail["route"]) for f in of_kind(extract(source), "route")]
    return sorted(found, key=lambda row: (row[1], row[3]))


def details(source: str) -> list[dict[str, Any]]:
    return sorted((f.detail for f in of_kind(extract(source), "route")), key=lambda d: d["route"])


def test_a_starlette_table_with_routes_websockets_mounts_and_hosts() -> None:
    source = """
        from starlette.applications import Starlette
        from starlette.endpoints import HTTPEndpoint
        from starlette.routing import Host, Mount, Route, Router, WebSocketRoute

        async def homepage(request): ...
        async def user(request): ...
        async def ws(websocket): ...

        class Users(HTTPEndpoint):
            async def get(self, request): ...
            async def post(self, request): ...

        app = Starlette(
            debug=True,
            routes=[
                Route("/", homepage),
                Route("/submit", endpoint=homepage, methods=["post"]),
                Route("/users", Users),
                WebSocketRoute("/ws", ws),
                Mount("/users", routes=[
                    Route("/{id}", user, methods=["GET", "PUT"]),
                    Mount("/deep/", app=Router(routes=[Route("/x", user)])),
                ]),
                Host("api.example.org", app=Router([Route("/api", homepage)])),
            ],
        )
        """

    def at(needle: str) -> int:
        return line_of(source, needle)

    assert routes(source) == [
        ("homepage", at('Route("/", homepage)'), ["GET", "HEAD"], "/"),
        ("homepage", at('"/submit"'), ["POST"], "/submit"),
        ("Users", at('Route("/users", Users)'), ["GET", "HEAD", "POST"], "/users"),
        ("ws", at('"/ws"'), [], "/ws"),
        ("user", at('"/{id}"'), ["GET", "HEAD", "PUT"], "/users/{id}"),
        ("user", at('"/x"'), ["GET", "HEAD"], "/users/deep/x"),
        ("homepage", at('"/api"'), ["GET", "HEAD"], "/api"),
    ]
    by_route = {d["route"]: d for d in details(source)}
    assert by_route["/ws"]["websocket"] is True and by_route["/"]["websocket"] is False
    assert by_route["/"]["handler_line"] == at("async def homepage")
    assert by_route["/users"]["handler_line"] == at("class Users")
    assert {d["framework"] for d in by_route.values()} == {"starlette"}
    assert by_route["/"]["router"] == "app" and by_route["/"]["function"] == "homepage"


def test_a_list_of_routes_and_where_it_is_used() -> None:
    source = """
        from starlette.applications import Starlette
        from starlette.routing import Mount, Route

        def home(request): ...

        api = [Route("/items", home, methods=["POST"])]
        unused = [Route("/alone", home)]
        routes = [Route("/", home), Mount("/api", routes=api)]
        app = Starlette(routes=routes)
        """
    assert routes(source) == [
        ("home", 7, ["POST"], "/api/items"),
        ("home", 8, ["GET", "HEAD"], "/alone"),
        ("home", 9, ["GET", "HEAD"], "/"),
    ]


def test_tables_built_inside_functions_and_passed_along() -> None:
    source = """
        from starlette.applications import Starlette
        from starlette.routing import Route, Router
        from starlette.testclient import TestClient

        def test_app():
            def inner(request): ...
            router = Router([Route("/r", inner)])
            with TestClient(Starlette(routes=[Route("/t", inner, methods=["DELETE"])])) as client:
                client.get("/t")
            app = Starlette()
            app.mount("/sub", router)
        """
    assert routes(source) == [("inner", 8, ["GET", "HEAD"], "/sub/r"), ("inner", 9, ["DELETE"], "/t")]
    handler_lines = {d["route"]: d["handler_line"] for d in details(source)}
    assert handler_lines == {"/sub/r": 7, "/t": 7}


def test_fastapi_decorators_calls_and_websockets() -> None:
    source = """
        from fastapi import APIRouter, FastAPI, WebSocket

        app = FastAPI()

        @app.websocket("/ws")
        async def ws(websocket: WebSocket): ...

        @app.websocket_route("/ws2")
        async def ws2(websocket): ...

        @app.route("/legacy")
        async def legacy(request): ...

        def late(): ...

        app.add_api_route("/late", late, methods=["DELETE"])
        app.add_route("/plain", late)
        app.add_api_websocket_route("/ws3", endpoint=late)
        app.add_websocket_route("/ws4", late)
        """

    def at(needle: str) -> int:
        return line_of(source, needle)

    assert routes(source) == [
        ("ws", at("def ws("), [], "/ws"),
        ("ws2", at("def ws2("), [], "/ws2"),
        ("legacy", at("def legacy("), ["GET", "HEAD"], "/legacy"),
        ("late", at('"/late"'), ["DELETE"], "/late"),
        ("late", at('"/plain"'), ["GET", "HEAD"], "/plain"),
        ("late", at('"/ws3"'), [], "/ws3"),
        ("late", at('"/ws4"'), [], "/ws4"),
    ]
    by_route = {d["route"]: d for d in details(source)}
    assert [r for r, d in by_route.items() if d["websocket"]] == ["/ws", "/ws2", "/ws3", "/ws4"]
    assert by_route["/late"]["handler_line"] == at("def late")
    assert by_route["/ws"]["handler_line"] is None
    assert {d["framework"] for d in by_route.values()} == {"fastapi"}


def test_router_prefixes_and_includes_are_joined() -> None:
    source = """
        from fastapi import APIRouter, FastAPI

        app = FastAPI()
        router = APIRouter(prefix="/items")
        admin = APIRouter()
        orphan = APIRouter(prefix="/orphan")

        @router.get("/{id}")
        def read(): ...

        @admin.post("/reset")
        def reset(): ...

        @orphan.get("/x")
        def orphaned(): ...

        admin.include_router(router, prefix="/nested")
        app.include_router(router, prefix="/v1")
        app.include_router(admin, prefix="/admin")
        """
    read, reset, orphaned = (line_of(source, f"def {name}") for name in ("read", "reset", "orphaned"))
    assert routes(source) == [
        ("read", read, ["GET"], "/admin/nested/items/{id}"),
        ("read", read, ["GET"], "/v1/items/{id}"),
        ("reset", reset, ["POST"], "/admin/reset"),
        ("orphaned", orphaned, ["GET"], "/orphan/x"),
    ]


def test_a_prefix_that_is_not_literal_keeps_the_expression() -> None:
    source = """
        from fastapi import APIRouter, FastAPI
        from config import settings

        def create_app():
            app = FastAPI()
            router = APIRouter()

            @router.get("/users")
            def users(): ...

            app.include_router(router, prefix=settings.API_PREFIX)
            return app
        """
    (detail,) = details(source)
    assert (detail["route"], detail["route_is_literal"]) == ('settings.API_PREFIX + "/users"', False)
    assert routes(source) == [("users", line_of(source, "def users"), ["GET"], 'settings.API_PREFIX + "/users"')]


def test_routes_in_test_functions_are_found_with_their_own_app() -> None:
    source = """
        from fastapi import FastAPI
        from fastapi.testclient import TestClient

        def test_one():
            app = FastAPI()

            @app.get("/")
            def root(): ...

            client = TestClient(app)

        def test_two():
            app = FastAPI()
            sub = FastAPI()

            @sub.get("/")
            def root(): ...

            app.mount("/sub", sub)

        class TestGroup:
            def test_three(self):
                app = FastAPI()

                @app.put("/three")
                def three(): ...
        """
    assert routes(source) == [
        ("root", line_of(source, "def root"), ["GET"], "/"),
        ("root", line_of(source, "def root", 2), ["GET"], "/sub/"),
        ("three", line_of(source, "def three"), ["PUT"], "/three"),
    ]


def test_look_alikes_are_not_routes() -> None:
    source = """
        import requests
        from starlette.routing import Route
        from myframework import Router

        cache = {}
        session = requests.Session()
        routes = [("/", "home"), {"path": "/x"}]
        other = Router(routes=[Route("/mine", print)])

        @cache.get("/nope")
        def a(): ...

        @requests.Session().get("/nope")
        def b(): ...

        @session.post("/nope")
        def c(): ...

        cache.get("/x")
        session.get("/y")
        """
    assert routes(source) == []


def test_a_route_class_not_from_starlette_is_not_a_table_entry() -> None:
    source = """
        from starlette.applications import Starlette
        from mylib import Route

        app = Starlette(routes=[Route("/not", print)])
        """
    assert routes(source) == []


def test_a_router_imported_from_another_module_keeps_its_prefix(store: Store, tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "project",
        {
            "api/__init__.py": "",
            "api/routers.py": """\
                from fastapi import APIRouter
                users = APIRouter(prefix="/users")
                """,
            "api/views.py": """\
                from api.routers import users

                @users.get("/{id}")
                def read(): ...
                """,
        },
    )
    mine(store, root, domain="api", name="api", jobs=1)
    found = call_tool(store, "api", "find_routes", {}, limit=0).matches
    assert [(m["path"], m["line"], m["route"]) for m in found] == [("api/views.py", 4, "/users/{id}")]
