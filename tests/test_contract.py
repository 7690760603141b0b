"""One tool contract for training and use: every tool result in a synthesized example is what
`curate tool call` prints for the same call with its default limit, and the example records that limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.mine import mine
from curate.store import Store
from curate.synth import synthesize
from curate.tools import DEFAULT_LIMIT, call_tool, result_content
from tests.conftest import REPO, SAMPLE, write_tree

SITE = REPO / "data" / "samples" / "html" / "site"
DOMAINS = {"shop": SAMPLE, "site": SITE}


def tool_turns(record: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(tool name, arguments, tool turn content) of every call in an example, in order."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    turns = []
    for message in record["messages"]:
        for call in message.get("tool_calls") or ():
            calls[call["id"]] = (call["function"]["name"], call["function"]["arguments"])
        if message["role"] == "tool":
            name, arguments = calls[message["tool_call_id"]]
            turns.append((name, arguments, message["content"]))
    return turns


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, dict[str, Any]]]]:
    """The samples mined into a store, and 40 tool-call examples of each (the store closed, for the CLI)."""
    db = tmp_path_factory.mktemp("contract") / "s.duckdb"
    records = []
    with Store.open(db) as store:
        for domain, root in DOMAINS.items():
            mine(store, root, domain=domain, jobs=2)
            synthesis = synthesize(store, domain, 40, tool_ratio=1.0, seed=3)
            records += [(domain, item.record) for item in synthesis.examples]
    return db, records


def test_synthesis_pages_tool_results_like_the_cli_and_records_it(
    synthesized: tuple[Path, list[tuple[str, dict[str, Any]]]],
) -> None:
    _, records = synthesized
    assert len(records) == 80
    assert {record["provenance"]["tool_limit"] for _, record in records} == {DEFAULT_LIMIT}
    truncated = [
        json.loads(content)["total"]
        for _, record in records
        for _, _, content in tool_turns(record)
        if json.loads(content)["truncated"]
    ]
    assert truncated and min(truncated) > DEFAULT_LIMIT  # the limit is exercised, not vacuous


def test_every_tool_turn_replays_through_the_cli_byte_for_byte(
    synthesized: tuple[Path, list[tuple[str, dict[str, Any]]]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, records = synthesized
    capsys.readouterr()
    replayed = 0
    with Store.open(db, read_only=True) as store:
        for domain, record in records:
            for name, arguments, content in tool_turns(record):
                assert result_content(call_tool(store, domain, name, arguments)) == content
                replayed += 1
    for domain, record in records:
        for name, arguments, content in tool_turns(record):
            command = ["tool", "call", name, "--domain", domain, "--args", json.dumps(arguments)]
            assert main(["--db", str(db), *command]) == 0
            printed = capsys.readouterr().out
            assert json.loads(printed) == json.loads(content), (name, arguments)
            assert printed == json.dumps(json.loads(content), indent=2, ensure_ascii=False) + "\n"
    assert replayed >= 80


def test_the_cli_help_shows_the_default_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tool", "call", "--help"]) == 0
    assert f"(0: all; default: {DEFAULT_LIMIT}, as in training examples)" in " ".join(capsys.readouterr().out.split())


def test_a_computed_fixture_scope_is_null_in_results_and_never_written_as_none(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "proj",
        {
            "tests/conftest.py": """
                import pytest

                def pick(fixture_name, config):
                    return "session"

                @pytest.fixture(scope=pick)
                def database(): ...

                @pytest.fixture(scope="module")
                def client(): ...
                """
        },
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, root, domain="proj", jobs=1)
        result = call_tool(store, "proj", "find_fixtures", {})
        assert [(m["name"], m["scope"]) for m in result.matches] == [("database", None), ("client", "module")]
        synthesis = synthesize(store, "proj", 3, tool_ratio=1.0, intents=["fixtures"], seed=1)
    questions = {record["messages"][-1]["content"] for record in (item.record for item in synthesis.examples)}
    answers = " ".join(questions)
    assert "`database` (scope computed when the tests run) at" in answers
    assert "None" not in answers and "scope `None`" not in answers
    arguments = [arguments for item in synthesis.examples for _, arguments, _ in tool_turns(item.record)]
    assert {"scope": None} not in arguments
