"""`curate import` meets datasets where they are: every format from a real-looking fixture under
tests/data/import (glaive, xLAM, Hermes with Python literals, LLaMA-Factory ShareGPT with its system,
OpenAI's legacy functions, a second user turn and reasoning_content, Alpaca), in JSON Lines, a JSON
array or Parquet, from a file, a folder, a saved dataset; `auto` says what it chose; a bad schema is
one bad row with its line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.errors import InputError
from curate.import_formats import detect, from_xlam, loads
from curate.importer import ENDS_AT_CALLS, ImportReport, import_file, import_source
from curate.store import Store
from tests.test_import import DIRECT, SEARCH_TOOL, openai_row

FIXTURES = Path(__file__).parent / "data" / "import"


def imported(store: Store, domain: str = "reference") -> list[dict[str, Any]]:
    return sorted((item.record for item in store.examples(domain=domain)), key=lambda r: r["messages"][-1]["content"])


def one(reports: list[ImportReport]) -> ImportReport:
    (report,) = reports
    return report


def test_glaive_rows_keep_their_system_and_every_turn(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "glaive.jsonl"), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad) == ("glaive", 2, [])
    assert report.note == "auto: read as glaive (2 of the first 2 rows look like it)"
    weather = next(r for r in imported(store) if r["kind"] == "tool_call")
    assert weather["shape"] == "multi_turn"
    assert weather["messages"][0]["content"].startswith("You are a helpful assistant with access to")
    assert [t["function"]["name"] for t in weather["tools"]] == ["get_weather", "get_time"]
    calls = [c["function"] for m in weather["messages"] for c in m.get("tool_calls", [])]
    assert calls == [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_time", "arguments": {"city": "Paris"}},
    ]
    assert weather["messages"][-1] == {"role": "assistant", "content": "It is 14:05 in Paris."}


def test_hermes_calls_written_as_python_literals_import(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "hermes.jsonl"), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad) == ("hermes", 1, [])
    (record,) = imported(store)
    assert record["shape"] == "parallel" and record["intent"] == "Weather"
    assert [c["function"]["arguments"] for c in record["messages"][1]["tool_calls"]] == [
        {"city": "Oslo", "unit": "celsius"},
        {"city": "Bergen", "unit": "celsius"},
    ]
    assert loads("{'a': True, 'b': None}", "x") == {"a": True, "b": None}


def test_sharegpt_in_a_json_array_keeps_its_system(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "sharegpt.json"), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad) == ("sharegpt", 1, [])
    (record,) = imported(store)
    assert record["messages"][0] == {"role": "system", "content": "You answer questions about the weather."}


def test_openai_legacy_functions_second_turn_and_reasoning_import(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "openai.jsonl"), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad, report.reasoning_dropped) == ("openai", 2, [], 1)
    turns, legacy = sorted(imported(store), key=lambda record: record["shape"])
    assert legacy["messages"][1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": {"city": "Cairo"}}
    assert legacy["messages"][2]["role"] == "tool" and legacy["tools"][0]["function"]["name"] == "get_weather"
    assert turns["shape"] == "multi_turn"
    assert turns["messages"][0] == {"role": "system", "content": "You answer questions about the weather."}
    assert not any("reasoning_content" in message for message in turns["messages"])
    assert [m["tool_call_id"] for m in turns["messages"] if m["role"] == "tool"] == ["call_a", "call_b"]


def test_alpaca_rows_are_direct_answers(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "alpaca.json"), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad) == ("alpaca", 2, [])
    joyful, sad = imported(store)
    assert joyful["messages"][0]["content"] == "Give a synonym of the word.\n\nhappy" and joyful["kind"] == "direct"
    assert sad["shape"] == "multi_turn" and len(sad["messages"]) == 4


def test_xlam_rows_stop_at_their_calls_and_are_rejected_with_why(store: Store) -> None:
    report = one(import_source(store, str(FIXTURES / "xlam.json"), "reference", run_id="r"))
    assert report.format == "xlam" and report.imported == 0
    assert report.bad == [(2, f"schema: {ENDS_AT_CALLS}"), (8, "not xlam: answers must be a non-empty list of calls")]
    (rejection,) = store.example_rejections(domain="reference")
    assert (rejection.stage, rejection.reason, rejection.turn) == ("schema", ENDS_AT_CALLS, 1)
    row = json.loads((FIXTURES / "xlam.json").read_text())[0]
    messages, tools = from_xlam(row)
    assert [c["function"]["arguments"] for c in messages[1]["tool_calls"]] == [{"city": "Paris"}, {"city": "Rome"}]
    assert tools[0]["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city"},
            "unit": {"type": "string", "description": "celsius or fahrenheit"},
        },
        "required": [],
    }


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # pa.array infers one struct type from every row (Table.from_pylist keeps the first row's keys)
    pq.write_table(pa.Table.from_struct_array(pa.array(rows)), path)
    return path


@pytest.mark.parametrize("container", ["jsonl", "json", "parquet"])
def test_every_container_gives_the_same_examples(store: Store, tmp_path: Path, container: str) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "openai.jsonl").read_text().splitlines()]
    system = rows[1]["messages"][0]
    system["content"] = system["content"][0]["text"]  # one column cannot hold both text and a list of parts
    path = tmp_path / f"rows.{container}"
    if container == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    elif container == "json":
        path.write_text(json.dumps(rows, indent=2))
    else:
        # Arrow gives every message every key (null where absent), and arguments stay JSON strings
        write_parquet(path, rows)
    report = one(import_source(store, str(path), "reference", run_id="r"))
    assert (report.format, report.imported, report.bad) == ("openai", 2, [])
    expected = Store.open(tmp_path / "expected.duckdb")
    import_file(expected, FIXTURES / "openai.jsonl", "reference", format="openai", run_id="e")  # parts joined
    assert [r["messages"] for r in imported(store)] == [r["messages"] for r in imported(expected)]
    expected.close()


def test_a_json_array_names_each_bad_element_by_its_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([DIRECT, {"messages": 3}, openai_row({"query": "async def"})], indent=1))
    report = import_file(store, path, "reference", format="openai", run_id="r")
    second = path.read_text().splitlines().index(" {", 2) + 1
    assert (report.imported, report.bad) == (2, [(second, "not openai: no messages list")])
    broken = tmp_path / "broken.json"
    broken.write_text('[\n {"instruction": "Say hi.", "output": "Hi."},\n {"oops"\n]')
    report = import_file(store, broken, "reference", format="alpaca", run_id="b")
    assert report.imported == 1
    assert report.bad == [(3, "not JSON: Expecting ':' delimiter at line 4 column 1 (the rest is unread)")]


def test_a_bad_schema_is_one_bad_row_with_its_line_and_the_rest_import(store: Store, tmp_path: Path) -> None:
    def with_parameters(parameters: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
        row = openai_row(arguments)
        tool = json.loads(json.dumps(SEARCH_TOOL))
        tool["function"]["parameters"] = parameters
        row["tools"] = [tool]
        return row

    def query(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {"type": "object", "properties": {"query": schema}, **more}

    rows = [
        with_parameters(query({"$ref": "#/$defs/missing"}), {"query": "async def"}),
        DIRECT,
        with_parameters(query({"type": "string", "pattern": "^[a-z]+$"}), {"query": "async def"}),
        with_parameters(query({"type": "string", "maxLength": 3}), {"query": "async def"}),
        with_parameters(query({"anyOf": [{"type": "integer"}, {"type": "null"}]}), {"query": "async def"}),
        with_parameters(query({"$ref": "#/$defs/short"}, **{"$defs": {"short": {"maxLength": 3}}}), {"query": "x y z"}),
        with_parameters(query({"type": ["string", "null"]}), {"query": "async def"}),
    ]
    path = tmp_path / "schemas.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = import_file(store, path, "reference", format="openai", run_id="r")
    assert report.imported == 2
    reasons = dict(report.bad)
    assert sorted(reasons) == [1, 3, 4, 5, 6]
    assert reasons[1].startswith("arguments: search_code: arguments: the tool's schema is broken here (a $ref")
    assert reasons[3] == "arguments: search_code: arguments.query: 'async def' does not match '^[a-z]+$'"
    assert reasons[4] == "arguments: search_code: arguments.query: 'async def' is too long"
    assert (
        reasons[5] == "arguments: search_code: arguments.query: 'async def' is not valid under any of the given schemas"
    )
    assert reasons[6] == "arguments: search_code: arguments.query: 'x y z' is too long"


def test_a_folder_reads_every_file_and_says_what_auto_chose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    shutil.copytree(FIXTURES, folder)
    (folder / "nested").mkdir()
    write_parquet(folder / "nested" / "alpaca.parquet", json.loads((FIXTURES / "alpaca.json").read_text()))
    (folder / "manifest.json").write_text('{"written_by": "curate export"}')
    (folder / "notes.txt").write_text("not data")
    code = main(["--db", str(tmp_path / "s.duckdb"), "import", str(folder), "--domain", "reference"])
    out = capsys.readouterr().out
    assert code == 1  # the xLAM rows are rejected
    for name, form in [("glaive.jsonl", "glaive"), ("hermes.jsonl", "hermes"), ("nested/alpaca.parquet", "alpaca")]:
        assert f"{folder / name}: auto: read as {form}" in out
    assert f"{folder / 'manifest.json'}: skipped: not rows: curate's export manifest" in out
    assert f"{folder / 'nested' / 'alpaca.parquet'}: 2 of 2 rows good, 0 imported into reference (2 already" in out
    assert f"{folder / 'xlam.json'}:2: schema: the row ends at its tool calls" in out
    assert "notes.txt" not in out
    with Store.open(tmp_path / "s.duckdb", read_only=True) as store:
        assert len(store.examples(domain="reference")) == 8


def test_a_saved_dataset_imports(store: Store, tmp_path: Path) -> None:
    import datasets

    rows = [json.loads(line) for line in (FIXTURES / "hermes.jsonl").read_text().splitlines()]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)}).save_to_disk(str(tmp_path / "saved"))
    report = one(import_source(store, str(tmp_path / "saved"), "reference", run_id="r"))
    assert (report.name, report.format, report.imported, report.unit) == (
        f"{tmp_path / 'saved'}[train]",
        "hermes",
        1,
        "row",
    )
    assert imported(store)[0]["provenance"]["imported"] == "saved[train]"


def test_a_dataset_id_offline_and_not_cached_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datasets
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    code = main(["--db", str(tmp_path / "s.duckdb"), "import", "nobody/no-such-dataset", "--domain", "d"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("curate: error: nobody/no-such-dataset: no such file or folder, and no Hugging Face dataset")
    with pytest.raises(InputError, match="no such file, folder or Hugging Face dataset id"):
        import_source(Store.open(tmp_path / "t.duckdb"), str(tmp_path / "missing.jsonl"), "d", run_id="r")


def test_auto_names_what_it_chose_from_many_rows_not_the_first(store: Store, tmp_path: Path) -> None:
    alpaca = {"instruction": "Say hi.", "output": "Hi."}
    assert detect([DIRECT, alpaca, alpaca]) == ("alpaca", "auto: read as alpaca (2 of the first 3 rows look like it)")
    assert detect([{"text": "x"}])[0] is None
    path = tmp_path / "plain.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n')
    report = one(import_source(store, str(path), "reference", run_id="r"))
    assert report.failed is not None and report.failed.startswith("none of the 2 rows looked at is in a format")


def test_a_file_that_cannot_be_read_is_named_and_the_others_import(store: Store, tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    shutil.copy(FIXTURES / "alpaca.json", tmp_path / "alpaca.json")
    (tmp_path / "open.json").write_text('[{"instruction": "Say hi.", "output": "Hi."}\n\n{"instruction": "x"}]')
    alpaca, broken, unclosed = import_source(store, str(tmp_path), "reference", run_id="r")
    assert alpaca.imported == 2
    assert broken.failed is not None and broken.failed.startswith("not a Parquet file curate can read")
    assert unclosed.bad == [(3, "not JSON: the array is not closed with ] (the rest is unread)")]
    assert unclosed.imported == 1
