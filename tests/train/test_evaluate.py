"""Scoring with hand-made outputs for every outcome class, parsed by mlx-lm's own tool parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlx_lm.tool_parsers.json_tools import parse_tool_call

from curate.mine import mine
from curate.store import Store
from curate.tools import Executor, result_content
from tests.conftest import SAMPLE
from train.evaluate import Call, Case, Parsed, classify, score

VALID = '<tool_call>\n{"name": "find_routes", "arguments": {"method": "GET"}}\n</tool_call>'
OUTPUTS = {
    "valid call": (VALID, "call"),
    "two calls": (VALID + "\n" + VALID.replace("GET", "POST"), "call"),
    "broken JSON in the tags": (
        '<tool_call>\n{"name": "find_routes", "arguments": {"method": </tool_call>',
        "malformed_call",
    ),
    "fenced JSON": ('```json\n{"name": "find_routes", "arguments": {"method": "GET"}}\n```', "malformed_call"),
    "bare JSON": ('{"name": "find_routes", "arguments": {}}', "malformed_call"),
    "garbage": ("<tool_call>\n\u2581\u2581 routes routes\n", "malformed_call"),
    "direct answer": ("A route maps an HTTP method and path to a function.", "no_call"),
    "direct answer with code": ("Use a decorator:\n```python\n@app.get('/')\ndef home(): ...\n```", "no_call"),
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_every_outcome_class(name: str) -> None:
    text, outcome = OUTPUTS[name]
    parsed = classify(text, parse_tool_call)
    assert parsed.outcome == outcome
    if outcome == "call":
        assert parsed.calls[0] == Call("find_routes", {"method": "GET"})


def test_a_malformed_call_never_counts_as_an_abstention() -> None:
    malformed = classify(OUTPUTS["fenced JSON"][0], parse_tool_call)
    scores = score([Case(None, malformed), Case(None, Parsed("no_call"))])
    assert scores.irrelevance_accuracy == 0.5 and scores.accuracy == 0.5
    assert scores.outcomes == {"call": 0, "malformed_call": 1, "no_call": 1}


def test_scores_add_up() -> None:
    expected = Call("find_routes", {"method": "GET"})
    cases = [
        Case(expected, classify(VALID, parse_tool_call), seconds=1.0, tokens=10),
        Case(expected, Parsed("call", [Call("find_symbols", {"kind": "class"})]), seconds=2.0, tokens=20),
        Case(expected, Parsed("no_call"), seconds=3.0, tokens=30),
        Case(None, Parsed("call", [expected]), seconds=4.0, tokens=40),
        Case(None, Parsed("no_call"), seconds=10.0, tokens=0),
    ]
    scores = score(cases)
    assert scores.accuracy == 3 / 5
    assert (scores.call_precision, scores.call_recall) == (2 / 3, 2 / 3)
    assert scores.call_f1 == pytest.approx(2 / 3)
    assert scores.tool_name_accuracy == 1 / 3 and scores.argument_exact_match == 1 / 3
    assert scores.irrelevance_accuracy == 0.5 and scores.execution_match is None
    assert (scores.latency_p50, scores.latency_p95) == (3.0, 10.0) and scores.tokens_per_second == 5.0


def test_different_but_equivalent_arguments_match_by_execution(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
        executor = Executor(store, "shop")

        def execute(where: str, name: str, arguments: dict[str, object]) -> str:
            assert where == "shop"
            return result_content(executor(name, arguments))

        expected = Call("find_symbols", {"kind": "async_function", "path": "src/shop"})
        equivalent = Parsed("call", [Call("find_symbols", {"path": "./src/shop/", "kind": "async_function"})])
        different = Parsed("call", [Call("find_symbols", {"kind": "async_function", "path": "tests"})])
        invalid = Parsed("call", [Call("find_symbols", {"kind": "coroutine"})])
        cases = [Case(expected, output, where="shop") for output in (equivalent, different, invalid)]
        scores = score(cases, execute)
    assert scores.argument_exact_match == 0.0
    assert scores.execution_match == 1 / 3
