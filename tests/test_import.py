from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.importer import import_file
from curate.store import Store
from curate.validate import validate

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_code",
        "description": "Search the code",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}
RESULT = "app.py:3: async def fetch_user(uid)"
ANSWER = "There is one: `fetch_user` in app.py."
QUESTION, REPLY = "What is dependency injection?", "Passing a component its collaborators instead of building them."
DIRECT = {"messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": REPLY}]}
DIRECT_CONVERSATION = {"conversations": [{"from": "human", "value": QUESTION}, {"from": "gpt", "value": REPLY}]}


def openai_row(arguments: object) -> dict[str, object]:
    return {
        "messages": [
            {"role": "user", "content": "Find all async functions in this codebase"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "search_code", "arguments": arguments}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "name": "search_code", "content": RESULT},
            {"role": "assistant", "content": ANSWER},
        ],
        "tools": [SEARCH_TOOL],
    }


SHAREGPT = {
    "conversations": [
        {"from": "human", "value": "Find all async functions in this codebase"},
        {"from": "function_call", "value": json.dumps({"name": "search_code", "arguments": {"query": "async def"}})},
        {"from": "observation", "value": RESULT},
        {"from": "gpt", "value": ANSWER},
    ],
    "tools": json.dumps([SEARCH_TOOL["function"]]),
}
HERMES = {
    "conversations": [
        {"from": "system", "value": f"You can call tools. <tools> {json.dumps([SEARCH_TOOL])} </tools>"},
        {"from": "human", "value": "Find all async functions in this codebase"},
        {
            "from": "gpt",
            "value": '<tool_call>\n{"name": "search_code", "arguments": {"query": "async def"}}\n</tool_call>',
        },
        {"from": "tool", "value": f"<tool_response>\n{RESULT}\n</tool_response>"},
        {"from": "gpt", "value": ANSWER},
    ]
}


def write(path: Path, *rows: object) -> Path:
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("form", "row"),
    [
        ("mlx", openai_row({"query": "async def"})),
        ("openai", openai_row('{"query": "async def"}')),
        ("sharegpt", SHAREGPT),
        ("hermes", HERMES),
    ],
)
def test_every_format_imports_to_the_same_example(store: Store, tmp_path: Path, form: str, row: object) -> None:
    direct = DIRECT if form in ("mlx", "openai") else DIRECT_CONVERSATION
    report = import_file(store, write(tmp_path / "data.jsonl", row, direct), "reference", format=form, run_id="r")  # type: ignore[arg-type]
    assert (report.rows, report.imported, report.bad) == (2, 2, [])
    stored = store.examples(domain="reference")
    assert {item.status for item in stored} == {"unverified"}
    tool_call = next(item for item in stored if item.record["kind"] == "tool_call")
    assert tool_call.record["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"query": "async def"}
    assert tool_call.checks == {
        "schema": "pass",
        "arguments": "pass",
        "replay": "skipped",
        "grounding": "pass",
        "secrets": "pass",
        "length": "pass",
    }
    assert tool_call.record["provenance"]["imported"] == "data.jsonl"


def test_bad_rows_are_reported_by_line_and_good_rows_still_import(store: Store, tmp_path: Path) -> None:
    hallucinated = openai_row({"query": "async def"})
    hallucinated["messages"][-1]["content"] = "There is one: `fetch_account` in app.py."  # type: ignore[index]
    extra = openai_row({"query": "async def", "limit": 3})
    path = write(
        tmp_path / "mixed.jsonl", DIRECT, "{broken", {"messages": "oops"}, hallucinated, extra, openai_row("{}")
    )
    report = import_file(store, path, "reference", format="mlx", run_id="r")
    assert report.imported == 1
    assert report.bad == [
        (2, "not JSON: Expecting property name enclosed in double quotes at column 2"),
        (3, "not mlx: no messages list"),
        (4, "grounding: `fetch_account` is not in the tool result"),
        (5, "arguments: search_code: arguments.limit is not a parameter (known: query)"),
        (6, "schema: messages.1.tool_calls.0.function.arguments: Input should be a valid dictionary"),
    ]
    assert {rejection.stage for rejection in store.example_rejections(domain="reference")} == {
        "grounding",
        "arguments",
        "schema",
    }


def test_imported_examples_survive_validate(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path / "d.jsonl", openai_row({"query": "async def"}), DIRECT), "reference", run_id="r")
    validation = validate(store, run_id="v", domain="reference")
    assert validation.ok and dict(validation.status) == {"unverified": 2}


def test_multi_step_and_parallel_calls_import(store: Store, tmp_path: Path) -> None:
    call = json.dumps({"name": "search_code", "arguments": {"query": "async def"}})
    row = {
        "conversations": [
            {"from": "human", "value": "Find all async functions in this codebase"},
            {"from": "function_call", "value": call},
            {"from": "observation", "value": RESULT},
            {"from": "function_call", "value": json.dumps([json.loads(call), json.loads(call)])},
            {"from": "observation", "value": RESULT},
            {"from": "observation", "value": RESULT},
            {"from": "gpt", "value": ANSWER},
        ],
        "tools": json.dumps([SEARCH_TOOL["function"]]),
    }
    report = import_file(store, write(tmp_path / "multi.jsonl", row), "reference", format="sharegpt", run_id="r")
    assert (report.imported, report.bad) == (1, [])
    (stored,) = store.examples(domain="reference")
    assert [c["id"] for m in stored.record["messages"] for c in m.get("tool_calls", [])] == [
        "call_1",
        "call_2",
        "call_3",
    ]


def test_a_malformed_tool_list_is_one_bad_row(store: Store, tmp_path: Path) -> None:
    broken = openai_row({"query": "async def"})
    broken["tools"] = ["x"]
    report = import_file(store, write(tmp_path / "t.jsonl", broken, DIRECT), "reference", format="openai", run_id="r")
    assert report.imported == 1 and report.bad == [(1, "not openai: a tool without a function name")]


def with_schema(properties: dict[str, object], arguments: dict[str, object]) -> dict[str, object]:
    row = openai_row(arguments)
    tool = json.loads(json.dumps(SEARCH_TOOL))
    tool["function"]["parameters"] = {"type": "object", "properties": properties}
    row["tools"] = [tool]
    return row


def test_hostile_rows_are_each_one_bad_row_and_the_rest_import(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    lines = [
        json.dumps(DIRECT),
        '{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps(DIRECT)[:-1] + ', "n": ' + "9" * 5000 + "}",
        json.dumps(DIRECT).replace("dependency injection", "\\ud800 injection"),
        json.dumps(with_schema({"query": {"type": ["string", "null"]}}, {"query": "async def"})),
        json.dumps(with_schema({"query": {"type": ["string", "null"]}}, {"query": 3})),
        json.dumps(with_schema({"query": {"type": "nonsense"}}, {"query": "async def"})),
        json.dumps(with_schema({"query": {"type": "string", "minLength": "5"}}, {"query": "async def"})),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = import_file(store, path, "hostile", format="openai", run_id="h")
    assert report.bad == [
        (2, "nested too deeply to read"),
        (
            3,
            "not JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits;"
            " use sys.set_int_max_str_digits() to increase the limit",
        ),
        (4, "holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text"),
        (6, "arguments: search_code: arguments.query must be string or null, not int 3"),
        (
            7,
            "arguments: search_code: arguments: the tool's schema is broken here"
            ' (at properties.query: type "nonsense" is no JSON type)',
        ),
        (
            8,
            "arguments: search_code: arguments: the tool's schema is broken here"
            ' (at properties.query.minLength: "5" is not an integer)',
        ),
    ]
    assert report.imported == 2 and report.rows == 8


def test_hermes_instructions_that_name_the_tags_before_the_block_import(store: Store, tmp_path: Path) -> None:
    row = json.loads(json.dumps(HERMES))
    row["conversations"][0]["value"] = (
        "You are given function signatures within <tools></tools> XML tags. Here they are: "
        f"<tools> {json.dumps([SEARCH_TOOL])} </tools> Call them within <tool_call></tool_call> tags."
    )
    report = import_file(store, write(tmp_path / "h.jsonl", row), "reference", format="hermes", run_id="r")
    assert (report.imported, report.bad) == (1, [])
    (stored,) = store.examples(domain="reference")
    assert [m["role"] for m in stored.record["messages"]] == ["user", "assistant", "tool", "assistant"]


def test_sharegpt_system_and_joined_parallel_results_import(store: Store, tmp_path: Path) -> None:
    call = {"name": "search_code", "arguments": {"query": "async def"}}
    row = {
        "conversations": [
            {"from": "human", "value": "Find all async functions in this codebase"},
            {"from": "function_call", "value": json.dumps([call, call])},
            {"from": "observation", "value": f"{RESULT}\n</tool_response>\n<tool_response>\n{RESULT}"},
            {"from": "gpt", "value": ANSWER},
        ],
        "system": "You answer questions about code.",
        "tools": json.dumps([SEARCH_TOOL["function"]]),
    }
    report = import_file(store, write(tmp_path / "p.jsonl", row), "reference", format="sharegpt", run_id="r")
    assert (report.imported, report.bad) == (1, [])
    (stored,) = store.examples(domain="reference")
    messages = stored.record["messages"]
    assert messages[0] == {"role": "system", "content": "You answer questions about code."}
    assert [m.get("content") for m in messages if m["role"] == "tool"] == [RESULT, RESULT]
    assert stored.record["shape"] == "parallel"
