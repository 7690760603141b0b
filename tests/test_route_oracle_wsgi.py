"""Flask and Django routes against the independent `ast` oracle (tests/route_oracle_wsgi.py): the
flask 3.1.3 sdist (its tests and examples included) and the shipped Django sample, row by row (path,
line, handler name, full route, methods), with recall and precision printed per framework."""

from __future__ import annotations

import ast
from pathlib import Path

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.conftest import REPO
from tests.route_oracle_wsgi import Project, Row, django_routes, flask_routes
from tests.sdists import unpacked

DJANGO_SAMPLE = REPO / "data" / "samples" / "python" / "django_site"
MIN_SCORE = 0.98
ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "delete", "patch"})


def mined_routes(store: Store, root: Path, domain: str) -> set[Row]:
    mine(store, root, domain=domain, jobs=1)
    matches = call_tool(store, domain, "find_routes", {}, limit=0).matches
    return {(m["path"], m["line"], m["name"], m["route"], tuple(m["methods"])) for m in matches}


def score(framework: str, expected: set[Row], got: set[Row]) -> tuple[float, float]:
    both = expected & got
    recall = len(both) / len(expected) if expected else 1.0
    precision = len(both) / len(got) if got else 1.0
    print(f"{framework}: oracle {len(expected)}, miner {len(got)}, recall {recall:.3f}, precision {precision:.3f}")
    for sign, rows in (("-", expected - got), ("+", got - expected)):
        for row in sorted(rows)[:20]:
            print(f"  {sign} {row}")
    return recall, precision


def parameter_receivers(root: Path) -> int:
    """Route decorators on a function's parameter (`def test_x(app): @app.route(...)`, `app` a pytest
    fixture): the accepted gap, neither the oracle nor the miner can type a parameter."""
    count = 0
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_bytes())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = {arg.arg for arg in node.args.args}
            for inner in ast.walk(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner is not node:
                    for decorator in inner.decorator_list:
                        func = decorator.func if isinstance(decorator, ast.Call) else None
                        is_route = isinstance(func, ast.Attribute) and func.attr in ROUTE_DECORATORS
                        if is_route and isinstance(func.value, ast.Name) and func.value.id in params:  # type: ignore[union-attr]
                            count += 1
    return count


def test_flask_sdist_routes_match_the_oracle(store: Store, tmp_path: Path) -> None:
    root = unpacked("flask", tmp_path)
    expected = flask_routes(Project(str(root)))
    got = mined_routes(store, root, "flask")
    recall, precision = score("flask", expected, got)
    print(f"flask: {parameter_receivers(root)} route decorators on fixture parameters (not read by either)")
    assert len(expected) >= 130
    assert recall >= MIN_SCORE and precision >= MIN_SCORE
    assert ("tests/test_blueprints.py", 827, "grandchild_no", "/parent/child/grandchild/no", ("GET",)) in got
    assert ("examples/tutorial/flaskr/blog.py", 88, "update", "/<int:id>/update", ("GET", "POST")) in got


def test_django_sample_routes_match_the_oracle(store: Store) -> None:
    expected = django_routes(Project(str(DJANGO_SAMPLE)))
    got = mined_routes(store, DJANGO_SAMPLE, "django_site")
    recall, precision = score("django", expected, got)
    assert recall == precision == 1.0
    assert len(expected) == 19
    assert ("library/urls.py", 8, "put", "library/api/v1/books/<str:isbn>/", ("PUT",)) in got
    assert ("blog/urls.py", 10, "CommentView", "blog/<slug:slug>/comment/", ("GET", "POST", "PUT")) in got
