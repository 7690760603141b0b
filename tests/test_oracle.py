"""The miner against an independent `ast` oracle (tests/oracle.py), on real code.

Each test mines a folder, asks the tools what was found, and compares it with what the oracle reads
in the same files: the files the miner recorded as failed, and the files `ast` cannot parse, are
left out of the comparison (and counted, so that a test cannot pass by comparing nothing).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import SAMPLE, write_tree
from tests.oracle import Truth, oracle

SKIPPED_TEST_DIRS = ("test", "tests")
SHOWN_PER_SIDE = 25
ASPECTS = ("async_functions", "classes", "fixtures", "routes")


def matches(store: Store, domain: str, tool: str, **arguments: object) -> list[dict[str, Any]]:
    return call_tool(store, domain, tool, dict(arguments), limit=0).matches


def mined_truth(store: Store, domain: str) -> Truth:
    """The miner's view of a domain, in the oracle's shape."""
    (source,) = store.sources(domain)
    records = store.files(source.name)
    truth = Truth(
        files={record.path for record in records},
        parsed={record.path for record in records if record.status == "ok"},
    )
    for kind, rows in (("async_function", truth.async_functions), ("class", truth.classes)):
        rows.update((m["path"], m["line"], m["name"]) for m in matches(store, domain, "find_symbols", kind=kind))
    truth.fixtures.update(
        (m["path"], m["line"], m["name"], m["scope"]) for m in matches(store, domain, "find_fixtures")
    )
    truth.routes.update(
        (m["path"], m["line"], m["name"], m["route"], tuple(m["methods"]))
        for m in matches(store, domain, "find_routes")
    )
    return truth


def difference(aspect: str, expected: set[tuple[object, ...]], got: set[tuple[object, ...]]) -> str | None:
    missing, extra = sorted(expected - got), sorted(got - expected)
    if not missing and not extra:
        return None
    lines = [f"{aspect}: {len(missing)} missing (oracle only), {len(extra)} extra (miner only)"]
    for sign, rows in (("-", missing), ("+", extra)):
        lines.extend(f"  {sign} {row}" for row in rows[:SHOWN_PER_SIDE])
        if len(rows) > SHOWN_PER_SIDE:
            lines.append(f"  {sign} ... and {len(rows) - SHOWN_PER_SIDE} more")
    return "\n".join(lines)


def cross_check(
    store: Store, root: Path, domain: str, aspects: Iterable[str] = ASPECTS, skip_dirs: Iterable[str] = ()
) -> Truth:
    """Mine root, compare with the oracle on the files both parsed, and return the compared truth."""
    skip_dirs = tuple(skip_dirs)
    exclude = [*skip_dirs, *(f"*/{name}/*" for name in skip_dirs)]
    stats = mine(store, root, domain=domain, name=domain, exclude=exclude, jobs=2)
    expected = oracle(str(root), skip_dirs)
    got = mined_truth(store, domain)
    problems: list[str] = []
    files = difference("files seen", {(p,) for p in expected.files}, {(p,) for p in got.files})
    if files is not None:
        problems.append(files)
    both = expected.parsed & got.parsed
    compared_expected, compared_got = expected.restricted(both), got.restricted(both)
    for aspect in aspects:
        found = difference(aspect, getattr(compared_expected, aspect), getattr(compared_got, aspect))
        if found is not None:
            problems.append(found)
    assert not problems, f"miner and oracle disagree on {root}:\n" + "\n".join(problems)
    failed = sorted(got.files - got.parsed)
    assert len(both) >= 0.9 * len(expected.parsed), (
        f"only {len(both)} of {len(expected.parsed)} files compared; the miner failed on {failed} "
        f"({dict(stats.failed)})"
    )
    return compared_expected


def package_folder(name: str) -> Path:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    return Path(os.path.dirname(module.__file__))


@pytest.mark.slow
@pytest.mark.parametrize("package", ["asyncio", "unittest", "concurrent", "email", "json"])
def test_stdlib_symbols_match_the_oracle(store: Store, package: str) -> None:
    truth = cross_check(
        store, package_folder(package), package, ("async_functions", "classes"), skip_dirs=SKIPPED_TEST_DIRS
    )
    assert truth.classes
    if package == "asyncio":
        assert len(truth.async_functions) > 100


@pytest.mark.slow
@pytest.mark.parametrize("package", ["_pytest", "click"])
def test_installed_projects_match_the_oracle(store: Store, package: str) -> None:
    pytest.importorskip(package)
    truth = cross_check(
        store,
        package_folder(package),
        package,
        ("async_functions", "classes", "fixtures"),
        skip_dirs=SKIPPED_TEST_DIRS,
    )
    assert truth.classes
    if package == "_pytest":
        assert len(truth.fixtures) >= 10, truth.fixtures
        assert {"monkeypatch", "tmp_path", "capsys"} <= {name for _, _, name, _ in truth.fixtures}


def test_sample_routes_and_fixtures_match_the_oracle(store: Store) -> None:
    truth = cross_check(store, SAMPLE, "shop")
    assert ("src/shop/routes/health.py", 7, "health", "/health", ("GET",)) in truth.routes
    assert ("src/shop/routes/health.py", 15, "ready", "/ready", ("GET", "HEAD")) in truth.routes
    assert ("src/shop/routes/items.py", 32, "replace_item", "/items/{item_id}", ("PATCH", "PUT")) in truth.routes
    assert ("src/shop/routes/pages.py", 19, "catalog_page", "/catalog", ("GET",)) in truth.routes
    assert len(truth.routes) == 10
    assert ("tests/conftest.py", 19, "api_client", "function") in truth.fixtures
    assert ("tests/conftest.py", 9, "database", "session") in truth.fixtures
    assert len(truth.fixtures) == 5


EDGE_CASES = {
    "pkg/__init__.py": "from pkg.sub import router\n",
    "pkg/sub/__init__.py": "from .routes import router\n",
    "pkg/sub/routes.py": """\
        import fastapi as fa
        from fastapi import APIRouter as R

        router = R()
        if True:
            app = fa.FastAPI()


        @router.api_route("/a", methods=("get", "Post"))
        async def a(): ...


        @app.head("/h")
        def h(): ...


        class Views:
            @router.trace("/t")
            def t(self): ...


        def factory():
            @router.options("/nested")
            def nested(): ...
            router.add_api_route(path="/kw", endpoint=Views.t, methods=["delete"])
            return nested
        """,
    "pkg/use.py": """\
        import pkg.sub.routes
        from pkg import router
        from pkg.sub import routes as rr


        @router.post("/p")
        def p(): ...


        @pkg.sub.routes.router.get("/q")
        def q(): ...


        @rr.router.put("/r")
        def r(): ...


        @rr.app.patch("/patch")
        def patch(): ...
        """,
    "pkg/not_routes.py": """\
        from bottle import Bottle
        from somewhere import thing
        from pkg.sub.routes import router

        app = Bottle(__name__)
        router = thing.make()


        @app.get("/flask")
        def flask_route(): ...


        @thing.get("/thing")
        def thing_route(): ...


        @router.get("/rebound")
        def rebound(): ...
        """,
    "tests/conftest.py": """\
        import pytest as pt
        import _pytest.fixtures
        from pytest import fixture as f
        from _pytest.fixtures import fixture
        from pytest_asyncio import fixture as af


        @pt.fixture(scope="module", name="renamed")
        def one(): ...


        @f
        def two(): ...


        @fixture()
        def three(): ...


        @_pytest.fixtures.fixture(scope="session")
        def four(): ...


        @af(scope="package")
        async def five(): ...


        class TestThing:
            @pt.fixture(autouse=True)
            def six(self): ...


        def outer():
            @f(scope="class")
            def seven(): ...


        @pytest.fixture
        def not_imported(): ...
        """,
}


def test_aliases_re_exports_and_nesting_match_the_oracle(store: Store, tmp_path: Path) -> None:
    truth = cross_check(store, write_tree(tmp_path / "edge", EDGE_CASES), "edge")
    assert {name for _, _, name, _, _ in truth.routes} == {"a", "h", "t", "nested", "p", "q", "r", "patch"}
    assert ("pkg/sub/routes.py", 25, "t", "/kw", ("DELETE",)) in truth.routes
    assert {name for _, _, name, _ in truth.fixtures} == {"renamed", "two", "three", "four", "five", "six", "seven"}


def test_a_root_that_is_a_package_links_its_re_exports(store: Store, tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "api",
        {
            "__init__.py": "from .main import app\n",
            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "health.py": "from . import app\n\n@app.get('/health')\ndef health(): ...\n",
        },
    )
    assert ("health.py", 4, "health", "/health", ("GET",)) in cross_check(store, root, "api").routes


def test_a_framework_class_re_exported_by_the_project_is_recognised(store: Store, tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "proj",
        {
            "pkg/__init__.py": "",
            "pkg/compat.py": "from fastapi import FastAPI\n",
            "pkg/main.py": "from pkg.compat import FastAPI\napp = FastAPI()\n\n@app.get('/')\ndef index(): ...\n",
        },
    )
    assert ("pkg/main.py", 5, "index", "/", ("GET",)) in cross_check(store, root, "proj").routes
