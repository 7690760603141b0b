"""Honest absence: an answer that says "there are none" claims it only of what curate searched.

The acceptance test mines real projects (the flask and starlette sdists) and synthesizes from them:
no example may deny routes, CLI commands, fixtures, tests or services unless the tool's coverage has
no framework it leaves unread and the answer names what was searched; and no more than a fifth of the
tool calls find nothing (the audit policy's default limit).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from curate.intents import INTENTS, Call
from curate.mine import mine
from curate.store import Store
from curate.synth import run_synth
from schemas import ToolResult
from schemas.tool import Coverage
from tests.conftest import REPO
from tests.sdists import unpacked

ABSENCE = re.compile(r"^(?:there (?:is|are) no|no|none|nothing)\b", re.I)
"""How an answer's first line says nothing was found (written apart from the grounding stage's)."""
BOUND_TOOLS = {"find_routes", "find_cli_commands", "find_fixtures", "find_tests", "find_services"}
DISPLAY = {
    entry["name"]: entry["display"]
    for entry in tomllib.loads((REPO / "data" / "frameworks.toml").read_text())["framework"]
}


def empty(tool: str, coverage: Coverage | None) -> ToolResult:
    return ToolResult(tool=tool, total=0, truncated=False, matches=[], coverage=coverage)


def test_an_empty_answer_says_what_was_searched() -> None:
    every = ["django", "fastapi", "flask", "litestar", "starlette"]
    both = Coverage(uses=["fastapi", "flask"], reads=every, unread=[])
    routes = INTENTS["routes"].answer
    terse, chatty = (routes(empty("find_routes", both), Call({}), style) for style in ("terse", "chatty"))
    assert terse == "No FastAPI or Flask routes are defined in this project."
    assert chatty == "There are no FastAPI or Flask routes in this project."
    unused = Coverage(uses=["aiohttp"], reads=every, unread=[])  # (an unread framework is skipped by synthesis)
    assert (
        routes(empty("find_routes", unused), Call({"method": "GET"}), "terse")
        == "No FastAPI, Starlette, Flask, Django or Litestar GET routes are defined in this project."
    )
    pytest_only = Coverage(uses=["pytest"], reads=["pytest"], unread=[])
    fixtures = INTENTS["fixtures"].answer
    assert fixtures(empty("find_fixtures", pytest_only), Call({}), "terse") == (
        "No pytest fixtures are defined in this project."
    )
    tests = INTENTS["tests"].answer
    assert tests(empty("find_tests", pytest_only), Call({"path": "tests"}, {"path": "tests"}), "chatty") == (
        "There are no pytest tests under `tests`."
    )
    unbound = INTENTS["async_functions"].answer(empty("find_symbols", None), Call({}), "terse")
    assert unbound == "No async functions in this codebase."


@pytest.mark.parametrize("name", ["flask", "starlette"])
def test_synthesis_from_real_projects_claims_no_absence_it_cannot_know(
    name: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine(store, unpacked(name, tmp_path), domain=name, jobs=2)
    synthesis, _ = run_synth(store, name, 100, run_id=f"absence-{name}", seed=1)
    tool_calls = [item.record for item in synthesis.examples if item.record["kind"] == "tool_call"]
    per_intent: Counter[str] = Counter()
    empty_per_intent: Counter[str] = Counter()
    claims = 0
    for record in tool_calls:
        results = [json.loads(m["content"]) for m in record["messages"] if m["role"] == "tool"]
        found = sum(result["total"] for result in results)
        per_intent[record["intent"]] += 1
        empty_per_intent[record["intent"]] += found == 0
        first_line = record["messages"][-1]["content"].strip().split("\n", 1)[0]
        if not ABSENCE.search(first_line):
            continue
        claims += 1
        assert found == 0, (record["id"], first_line)
        for result in results:
            if result["tool"] not in BOUND_TOOLS:
                continue
            coverage = result["coverage"]
            assert coverage["unread"] == [], (record["id"], first_line, coverage)
            named = [DISPLAY[framework] for framework in coverage["reads"] if DISPLAY[framework] in first_line]
            assert named, (record["id"], first_line, coverage)
    empties = sum(empty_per_intent.values())
    share = empties / len(tool_calls)
    with capsys.disabled():
        print(f"\n{name}: {len(tool_calls)} tool calls, {empties} find nothing ({share:.1%}), {claims} absence claims")
        for intent, count in sorted(per_intent.items()):
            print(f"  {intent:<22} {count:>3} ({empty_per_intent[intent]} empty)")
        print(f"  skipped: {synthesis.stats()['skipped']}")
    assert len(tool_calls) == 76
    assert share <= 0.2
    assert synthesis.stats()["empty_result_share"] == round(share, 4)
