"""Framework packs: each alias and decorator form users write, and the look-alikes that are not."""

from __future__ import annotations

from tests.conftest import extract, line_of, of_kind


def routes(source: str) -> list[tuple[str, int, list[str], str]]:
    return [(f.name, f.line, f.detail["methods"], f.detail["route"]) for f in of_kind(extract(source), "route")]


def test_fastapi_route_forms() -> None:
    source = """
        from fastapi import FastAPI
        app = FastAPI()

        @app.get("/")
        async def index(): ...

        @app.post("/items", status_code=201)
        def create(): ...

        @app.put("/a")
        def put(): ...
        @app.delete("/a")
        def delete(): ...
        @app.patch("/a")
        def patch(): ...
        @app.options("/a")
        def options(): ...
        @app.head("/a")
        def head(): ...
        @app.trace("/a")
        def trace(): ...

        @app.api_route("/multi", methods=["get", "POST"])
        def multi(): ...

        @app.api_route(path="/default")
        def default(): ...

        def late(): ...
        app.add_api_route("/late", late, methods=["DELETE"])
        app.add_api_route("/late-get", endpoint=late)
        """

    def at(needle: str, occurrence: int = 1) -> int:
        return line_of(source, needle, occurrence)

    assert routes(source) == [
        ("index", at("def index"), ["GET"], "/"),
        ("create", at("def create"), ["POST"], "/items"),
        ("put", at("def put"), ["PUT"], "/a"),
        ("delete", at("def delete"), ["DELETE"], "/a"),
        ("patch", at("def patch"), ["PATCH"], "/a"),
        ("options", at("def options"), ["OPTIONS"], "/a"),
        ("head", at("def head"), ["HEAD"], "/a"),
        ("trace", at("def trace"), ["TRACE"], "/a"),
        ("multi", at("def multi"), ["GET", "POST"], "/multi"),
        ("default", at("def default"), ["GET"], "/default"),
        ("late", at('"/late"'), ["DELETE"], "/late"),
        ("late", at('"/late-get"'), ["GET"], "/late-get"),
    ]


def test_fastapi_aliases_and_module_imports() -> None:
    assert routes(
        """
        import fastapi
        import fastapi as fa
        from fastapi import APIRouter as R
        from fastapi.routing import APIRouter
        from fastapi import FastAPI

        one = fastapi.FastAPI()
        two = fa.APIRouter(prefix="/two")
        three = R()
        four = APIRouter()
        five: FastAPI = make_app()

        @one.get("/1")
        def a(): ...
        @two.get("/2")
        def b(): ...
        @three.get("/3")
        def c(): ...
        @four.get("/4")
        def d(): ...
        @five.get("/5")
        def e(): ...
        """
    ) == [
        ("a", 15, ["GET"], "/1"),
        ("b", 17, ["GET"], "/two/2"),
        ("c", 19, ["GET"], "/3"),
        ("d", 21, ["GET"], "/4"),
        ("e", 23, ["GET"], "/5"),
    ]


def test_look_alikes_are_not_routes() -> None:
    assert (
        routes(
            """
        import requests
        from fastapi import FastAPI
        cache = {}
        session = requests.Session()

        @cache.get("/nope")
        def a(): ...

        @session.get("/nope")
        def b(): ...

        def factory():
            app = requests.Session()
            @app.get("/inside")      # a local binding that is no app
            def c(): ...
        """
        )
        == []
    )


def test_starlette_routes() -> None:
    facts = extract(
        """
        from starlette.applications import Starlette
        app = Starlette()

        @app.route("/", methods=["GET", "POST"])
        async def home(request): ...
        """
    )
    (route,) = of_kind(facts, "route")
    assert (route.detail["framework"], route.detail["methods"]) == ("starlette", ["GET", "HEAD", "POST"])


def test_routes_through_an_imported_app_become_candidates() -> None:
    facts = extract(
        """
        from shop import app

        @app.get("/health")
        def health(): ...
        """
    )
    assert of_kind(facts, "route") == []
    (candidate,) = of_kind(facts, "candidate")
    assert candidate.detail["receiver"] == "shop.app" and candidate.detail["proposed"]["kind"] == "route"


def fixtures(source: str, path: str = "test_m.py") -> list[tuple[str, str, str, bool, str]]:
    return [
        (f.name, f.detail["function"], f.detail["scope"], f.detail["autouse"], f.detail["visibility"])
        for f in of_kind(extract(source, path=path), "fixture")
    ]


def test_pytest_fixture_forms() -> None:
    assert fixtures(
        """
        import pytest
        import pytest as pt
        import pytest_asyncio
        from pytest import fixture
        from pytest import fixture as fx
        from _pytest.fixtures import fixture as internal

        @pytest.fixture
        def bare(): ...

        @pytest.fixture()
        def called(): ...

        @pytest.fixture(scope="session", autouse=True)
        def session_wide(): ...

        @pt.fixture(name="renamed")
        def _renamed(): ...

        @fixture(scope="module")
        def imported(): ...

        @fx
        def aliased(): ...

        @internal
        def from_internal(): ...

        @pytest_asyncio.fixture(scope="class")
        async def async_one(): ...

        class TestThing:
            @pytest.fixture
            def in_class(self): ...

        def not_a_fixture(): ...
        """
    ) == [
        ("bare", "bare", "function", False, "module"),
        ("called", "called", "function", False, "module"),
        ("session_wide", "session_wide", "session", True, "module"),
        ("renamed", "_renamed", "function", False, "module"),
        ("imported", "imported", "module", False, "module"),
        ("aliased", "aliased", "function", False, "module"),
        ("from_internal", "from_internal", "function", False, "module"),
        ("async_one", "async_one", "class", False, "module"),
        ("in_class", "in_class", "function", False, "class"),
    ]


def test_fixtures_in_conftest_are_visible_to_the_folder() -> None:
    assert fixtures("import pytest\n@pytest.fixture\ndef db(): ...\n", path="tests/conftest.py") == [
        ("db", "db", "function", False, "conftest")
    ]


def test_a_fixture_named_like_pytest_but_not_from_it_is_not_one() -> None:
    assert fixtures("from mylib import fixture\n@fixture\ndef x(): ...\n") == []


def collected_tests(source: str, path: str = "tests/test_m.py") -> list[tuple[str, str, int]]:
    return [(f.qualname, f.detail["test_kind"], f.line) for f in of_kind(extract(source, path=path), "test")]


def test_pytest_collection_rules() -> None:
    assert collected_tests(
        """
        import unittest
        import pytest

        def test_plain(): ...
        async def test_async(): ...
        def helper_test(): ...

        @pytest.fixture
        def test_looks_like_a_test_but_is_a_fixture(): ...

        class TestGroup:
            def test_method(self): ...
            def helper(self): ...
            class TestNested:
                def test_inner(self): ...

        class TestWithInit:
            def __init__(self): ...
            def test_skipped(self): ...

        class TestOptedOut:
            __test__ = False
            def test_skipped(self): ...

        class Checks(unittest.TestCase):
            def test_case(self): ...

        def outer():
            def test_local(): ...
        """
    ) == [
        ("test_plain", "function", 5),
        ("test_async", "function", 6),
        ("TestGroup", "class", 12),
        ("TestGroup.test_method", "method", 13),
        ("TestGroup.TestNested", "class", 15),
        ("TestGroup.TestNested.test_inner", "method", 16),
        ("Checks", "class", 26),
        ("Checks.test_case", "method", 27),
    ]


def test_tests_only_in_test_files() -> None:
    assert collected_tests("def test_x(): ...\n", path="src/helpers.py") == []
    assert collected_tests("def test_x(): ...\n", path="pkg/thing_test.py") == [("test_x", "function", 1)]


def commands(source: str) -> list[tuple[str, str, str, int]]:
    return [
        (f.name, f.detail["function"], f.detail["framework"], f.line) for f in of_kind(extract(source), "cli_command")
    ]


def test_typer_commands() -> None:
    assert commands(
        """
        import typer
        from typer import Typer as T

        app = typer.Typer()
        other = T()

        @app.command()
        def create_user(): ...

        @app.command("rm")
        def remove(): ...

        @other.command(name="list-all")
        def list_all(): ...

        @app.callback()
        def main(): ...

        def late_Command(): ...
        app.command()(late_Command)
        """
    ) == [
        ("create-user", "create_user", "typer", 9),
        ("rm", "remove", "typer", 12),
        ("list-all", "list_all", "typer", 15),
        ("late-command", "late_Command", "typer", 21),
    ]


def test_click_commands_and_groups() -> None:
    facts = extract(
        """
        import click
        from click import command as cmd

        @click.group()
        def cli(): ...

        @cli.command()
        def sync_command(): ...

        @cli.group("db")
        def database_group(): ...

        @cmd()
        def standalone(): ...
        """
    )
    assert [(f.name, f.detail["is_group"], f.detail["group"]) for f in of_kind(facts, "cli_command")] == [
        ("cli", True, ""),
        ("sync", False, "m.cli"),
        ("db", True, "m.cli"),
        ("standalone", False, ""),
    ]


def services(source: str) -> list[tuple[str, str, str, str, int]]:
    return [
        (f.detail["service"], f.detail["registration"], f.detail["target"], f.detail["registry"], f.line)
        for f in of_kind(extract(source), "service")
    ]


def test_svcs_registrations() -> None:
    assert services(
        """
        import svcs
        from app.db import Database, connect

        registry = svcs.Registry()
        registry.register_factory(Database, connect)
        registry.register_value(str, "name")

        def setup(app):
            app.state.registry.register_factory(svc_type=Database, factory=connect, ping=Database.ping)
            svcs.flask.register_factory(app, Database, connect)
        """
    ) == [
        ("Database", "factory", "connect", "registry", 6),
        ("str", "value", '"name"', "registry", 7),
        ("Database", "factory", "connect", "app.state.registry", 10),
        ("Database", "factory", "connect", "app", 11),
    ]


def test_register_factory_without_svcs_is_not_a_service() -> None:
    assert services("registry.register_factory(A, b)\n") == []


def test_a_local_definition_shadows_an_import() -> None:
    assert (
        routes(
            """
        from fastapi import FastAPI
        def FastAPI(): ...
        app = FastAPI()

        @app.get("/")
        def index(): ...
        """
        )
        == []
    )


def test_routes_on_an_app_made_inside_a_function() -> None:
    source = """
from fastapi import APIRouter, FastAPI

app = FastAPI()

def create_app():
    app = FastAPI()

    @app.get("/inside")
    def inside():
        ...

    if True:
        router = APIRouter()

        @router.post("/nested")
        async def nested():
            ...

    return app

def test_client():
    other = FastAPI()

    @other.put("/test")
    def handler():
        ...

def unrelated(app):
    @app.get("/param")
    def shadowed():
        ...

@app.get("/outside")
def outside():
    ...
"""
    assert routes(source) == [
        ("inside", 10, ["GET"], "/inside"),
        ("nested", 17, ["POST"], "/nested"),
        ("handler", 26, ["PUT"], "/test"),
        ("shadowed", 31, ["GET"], "/param"),
        ("outside", 35, ["GET"], "/outside"),
    ]
