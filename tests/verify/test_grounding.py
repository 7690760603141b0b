"""Stage 4 for tool-call answers: whatever the answer says that the tool results do not fails `grounding`."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from curate.mine import mine
from curate.store import Store
from curate.synth import Synthesizer, to_record
from curate.tools import Executor, result_content
from curate.tools.coverage import either
from curate.tools.coverage import searched as searched_by
from tests.conftest import write_tree
from tests.verify.conftest import Record, find, nonempty, verdict, with_answer


def test_a_wrong_line_in_the_answer_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:routes", nonempty)
    match = json.loads(record["messages"][2]["content"])["matches"][0]
    right = f"`{match['path']}:{match['line']}`"
    assert right in record["messages"][-1]["content"]
    record["messages"][-1]["content"] = record["messages"][-1]["content"].replace(right, f"`{match['path']}:999`")
    stage, reason = verdict(mined, record)
    assert (stage, reason) == ("grounding", f"{match['path']}:999 is not a location in the tool result")


def test_an_answer_naming_a_file_the_result_lacks_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    record["messages"][-1]["content"] += "\n\nSee also src/shop/billing.py for more."
    stage, reason = verdict(mined, record)
    assert stage == "grounding"
    assert "src/shop/billing.py" in reason


def test_an_invented_identifier_or_count_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:cli_commands", nonempty)
    invented = copy.deepcopy(record)
    invented["messages"][-1]["content"] += "\n\nIt also defines `purge_everything`."
    assert verdict(mined, invented) == ("grounding", "`purge_everything` is not in the tool result")
    miscounted = copy.deepcopy(record)
    miscounted["messages"][-1]["content"] = "There are 42 commands in this project."
    assert verdict(mined, miscounted) == ("grounding", "the number 42 in the answer is not a count in the tool result")


def _cli_answer(records: dict[str, Record]) -> tuple[Record, list[dict[str, Any]]]:
    record = find(records, "tool_call:cli_commands", nonempty)
    return record, json.loads(record["messages"][2]["content"])["matches"]


def test_hallucinations_a_careless_teacher_would_write_fail_grounding(mined: Store, records: dict[str, Record]) -> None:
    record, matches = _cli_answer(records)
    answer = record["messages"][-1]["content"]
    first, second = matches[0], matches[1]
    swapped = answer.replace(f"`{first['function']}`", "@@").replace(
        f"`{second['function']}`", f"`{first['function']}`"
    )
    swapped = swapped.replace("@@", f"`{second['function']}`")
    line_as_count = next(m["line"] for m in matches if m["line"] != len(matches))
    cases = {
        "says none": ("There are no commands in this project.", "the answer says nothing was found"),
        "counts in words": (re.sub(rf"\b{len(matches)}\b", "eight", answer, count=1), "counts in words"),
        "a line number as a count": (
            re.sub(rf"\b{len(matches)}\b", str(line_as_count), answer, count=1),
            f"the number {line_as_count} in the answer is not a count",
        ),
        "a number ending a sentence": (answer + "\n\nThat is 99.", "the number 99"),
        "values swapped between matches": (swapped, "does not belong to the match at that location"),
        "an invented CamelCase name": (answer + "\n\nSee also ShopRegistry.", "'ShopRegistry'"),
        "a real file the result lacks": (answer + " See src/shop/models.py too.", "src/shop/models.py"),
        "a bare wrong location": (answer + f" Start at {first['path']}:999.", f"{first['path']}:999 is not a location"),
    }
    for name, (text, reason) in cases.items():
        stage, found = verdict(mined, with_answer(record, text))
        assert stage == "grounding" and reason in found, (name, found)


def test_a_cut_code_block_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:read_symbol", nonempty)
    answer = record["messages"][-1]["content"]
    lines = answer.split("\n")
    code_line = next(i for i, line in enumerate(lines) if line.startswith("    "))
    cut = "\n".join(lines[:code_line] + lines[code_line + 1 :])
    stage, reason = verdict(mined, with_answer(record, cut))
    assert (stage, reason) == ("grounding", "a code block in the answer is not a source or hits the tool returned")


def test_a_question_that_drifted_from_its_call_fails_grounding(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "tool_call:imports")
    module = record["messages"][1]["tool_calls"][0]["function"]["arguments"]["module"]
    record["messages"][0]["content"] = record["messages"][0]["content"].replace(module, "tomllib")
    stage, reason = verdict(mined, record)
    assert (stage, reason) == ("grounding", f"the question does not ask for module={module!r}")
    record = find(records, "tool_call:async_functions")
    record["messages"][0]["content"] += " Especially the ones in ShopClient."
    assert verdict(mined, record) == ("grounding", "the question names 'ShopClient', which the call does not use")


def test_an_empty_result_must_be_said(mined: Store, records: dict[str, Record]) -> None:
    record = copy.deepcopy(
        next(
            r for r in records.values() if r["kind"] == "tool_call" and r["intent"] != "read_symbol" and not nonempty(r)
        )
    )
    stage, reason = verdict(mined, with_answer(record, "Here they are."))
    assert (stage, reason) == ("grounding", "the tool found nothing, but the answer does not say so")


def _routes_example(store: Store, domain: str, answer: str, *, imported: bool = False) -> Record:
    """A hand-made find_routes example over a real domain: the call's real result, this answer."""
    synthesizer = Synthesizer(store, domain)
    result = synthesizer.executor("find_routes", {}, synthesizer.tool_limit)
    call = {"id": "call_1", "type": "function", "function": {"name": "find_routes", "arguments": {}}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "List all HTTP endpoints"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "name": "find_routes", "content": result_content(result)},
        {"role": "assistant", "content": answer},
    ]
    provenance = {"sources": synthesizer.sources, "tool_limit": synthesizer.tool_limit}
    if imported:
        provenance["imported"] = "hand-made.jsonl"
    example = synthesizer.example(
        messages, kind="tool_call", intent="routes", template="routes/q1/terse", provenance=provenance
    )
    return to_record(example)


def test_an_absence_claim_beyond_the_coverage_fails_grounding(store: Store, tmp_path: Path) -> None:
    """Bottle routes are real routes curate does not read: "there are none" would be false."""
    project = write_tree(
        tmp_path / "bottled",
        {"app.py": 'from bottle import route\n\n@route("/hello")\ndef hello():\n    return "hi"\n'},
    )
    mine(store, project, domain="bottled", jobs=1)
    reason = (
        "the answer says there are none, but the domain uses Bottle, which find_routes does not read: "
        "the absence is not known"
    )
    for imported in (False, True):
        record = _routes_example(store, "bottled", "There are no routes in this project.", imported=imported)
        coverage = json.loads(record["messages"][2]["content"])["coverage"]
        assert (coverage["uses"], coverage["unread"]) == (["bottle"], ["bottle"])
        assert verdict(store, record) == ("grounding", reason)


def test_an_absence_claim_names_what_was_searched_and_nothing_else(store: Store, tmp_path: Path) -> None:
    mine(store, write_tree(tmp_path / "plain", {"tool.py": "def main():\n    return 1\n"}), domain="plain", jobs=1)
    searched = either(searched_by(Executor(store, "plain").coverage("route")))
    assert searched.startswith("FastAPI") and "Starlette" in searched  # and whatever else the packs read
    named = _routes_example(store, "plain", f"No {searched} routes are defined in this project.")
    assert verdict(store, named) == (None, "")
    unnamed = _routes_example(store, "plain", "There are no routes in this project.")
    stage, reason = verdict(store, unnamed)
    assert stage == "grounding"
    assert reason.startswith("the answer says there are none without naming what find_routes searched (FastAPI, ")
    beyond = _routes_example(store, "plain", "No Bottle routes are defined in this project.")
    expected = "the answer names Bottle in saying there are none, but find_routes does not read it"
    assert verdict(store, beyond) == ("grounding", expected)
