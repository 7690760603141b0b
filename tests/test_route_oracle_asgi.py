"""FastAPI and Starlette routes of the real fastapi and starlette sdists (their tests and docs included)
against an independent `ast` oracle (tests/route_oracle_asgi.py), row by row: path, line, handler name,
full route and methods, per framework.

Known difference, accepted and counted: a prefix added by an `include_router`/`mount` in another module
than the router's (`app.include_router(users.router, prefix="/admin")` in main.py) is joined by the
oracle and not by the miner, which sees one module at a time and has no fact for an include to link;
such a route comes out with its own router's path instead. Each such pair is checked to be exactly
that: the same declaration (path, line, name, methods), the oracle's route ending with the miner's.
"""

from __future__ import annotations

import pytest

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from tests.route_oracle_asgi import RouteRow, routes_oracle
from tests.sdists import unpacked

MIN_RECALL = 0.98
MIN_PRECISION = 0.98
SHOWN = 20


def mined_routes(store: Store, domain: str) -> dict[str, set[RouteRow]]:
    found = call_tool(store, domain, "find_routes", {}, limit=0).matches
    assert found, "the miner found no routes"
    rows: dict[str, set[RouteRow]] = {"fastapi": set(), "starlette": set()}
    for match in found:  # the sdist's docs also mount a Flask app: other frameworks have their own oracle
        if match["framework"] in rows:
            rows[match["framework"]].add(
                (match["path"], match["line"], match["name"], match["route"], tuple(match["methods"]))
            )
    return rows


@pytest.mark.slow
@pytest.mark.parametrize(("project", "expected_at_least"), [("fastapi", 1800), ("starlette", 250)])
def test_sdist_routes_match_the_oracle(
    store: Store, tmp_path_factory: pytest.TempPathFactory, project: str, expected_at_least: int
) -> None:
    root = unpacked(project, tmp_path_factory.mktemp(project))
    stats = mine(store, root, domain=project, name=project, jobs=1)
    expected = routes_oracle(str(root))
    got = mined_routes(store, project)
    failed = {record.path for record in store.files(project) if record.status != "ok"}
    assert not failed & expected.parsed, f"the miner failed on files ast parses: {sorted(failed)} {dict(stats.failed)}"
    assert sum(len(rows) for rows in expected.rows.values()) >= expected_at_least
    report: list[str] = []
    problems: list[str] = []
    for framework in ("fastapi", "starlette"):
        want, have = expected.rows[framework], got[framework]
        if not want and not have:
            continue
        missing, extra = want - have, have - want
        accepted_missing = missing & expected.across_modules
        unexplained_missing = missing - accepted_missing
        declared = {(path, line, name, methods): route for path, line, name, route, methods in accepted_missing}
        accepted_extra = {row for row in extra if declared.get((row[0], row[1], row[2], row[4]), "").endswith(row[3])}
        unexplained_extra = extra - accepted_extra
        recall = len(want & have) / len(want) if want else 1.0
        precision = len(want & have) / len(have) if have else 1.0
        line = (
            f"{project} {framework}: oracle {len(want)}, miner {len(have)}, both {len(want & have)}, "
            f"recall {recall:.4f}, precision {precision:.4f}; accepted cross-module prefixes "
            f"{len(accepted_missing)} missing / {len(accepted_extra)} extra"
        )
        print(line)
        report.append(line)
        if recall < MIN_RECALL or precision < MIN_PRECISION or unexplained_missing or unexplained_extra:
            problems.append(line)
            problems.extend(f"  - {row}" for row in sorted(unexplained_missing)[:SHOWN])
            problems.extend(f"  + {row}" for row in sorted(unexplained_extra)[:SHOWN])
    assert not problems, "\n".join([*report, "differences (- oracle only, + miner only):", *problems])
