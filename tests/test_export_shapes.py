"""Exports of mixed-shape mixes: every assistant turn trained, every call of every turn parsed back by
mlx-lm, Hermes and ShareGPT rows that curate's importer reads back, a recipe's system prompt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.export import export
from curate.importer import import_file, import_source
from curate.mix import build, write_lockfile
from curate.store import Store
from tests.conversations import import_rows, rows
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

COUNTS = {"single": 4, "parallel": 3, "multi_step": 3, "multi_turn": 3, "clarification": 2, "recovery": 2}
TOTAL = sum(COUNTS.values())
SPLITS = "[splits]\ntrain = 0.5\nvalid = 0.25\ntest = 0.25\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    root = tmp_path_factory.mktemp("shapes-export")
    store = Store.open(root / "s.duckdb")
    made = rows(COUNTS, system_every=2)
    # an assistant turn with text beside its call
    talkative = json.loads(json.dumps(made[len(made) // 2]))
    talkative["messages"][1]["content"] = "Let me search the code."
    import_rows(store, root, "ref", [*made, talkative])
    mixes = root / "mixes"
    mixes.mkdir()
    (mixes / "all.toml").write_text(f'name = "all"\n{SPLITS}[[components]]\ncount = {TOTAL + 1}\n')
    (mixes / "prompted.toml").write_text('name = "prompted"\nextends = "all"\nsystem = "You are a code assistant."\n')
    for name in ("all", "prompted"):
        write_lockfile(mixes, build(store, mixes, name))
    yield store, mixes
    store.close()


def run(built: tuple[Store, Path], out: Path, mix: str = "all", **options: Any) -> Any:
    store, mixes = built
    return export(store, mixes, mix, out, check=check_export, build_tokenizer=build_tokenizer, **options)


def lines(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {path.stem: [json.loads(line) for line in path.open()] for path in sorted(folder.glob("*.jsonl"))}


def test_every_assistant_turn_trains_and_every_call_parses_back(built: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = built
    done = run(built, tmp_path / "each")
    exported = [row for split in lines(tmp_path / "each").values() for row in split]
    assistant_turns = sum(
        1 for item in store.examples() for message in item.record["messages"] if message["role"] == "assistant"
    )
    assert len(exported) == assistant_turns == sum(done.manifest["rows"].values())
    assert all(row["messages"][-1]["role"] == "assistant" for row in exported)
    trip = done.manifest["round_trip"]
    calls = sum(len(message.get("tool_calls", [])) for row in exported for message in row["messages"])
    assert (trip["rows"], trip["calls"]) == (len(exported), calls)
    # several calls in one turn, and several user turns, reached the round trip
    assert any(len(message.get("tool_calls", [])) == 2 for row in exported for message in row["messages"])
    assert any(sum(message["role"] == "user" for message in row["messages"]) == 2 for row in exported)
    last = run(built, tmp_path / "last", turns="last").manifest
    assert sum(last["rows"].values()) == TOTAL + 1


def test_the_rows_of_one_conversation_stay_in_one_split(built: tuple[Store, Path], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    run(built, tmp_path / "parquet", format="parquet")
    ids = {
        split: pq.read_table(tmp_path / "parquet" / f"{split}.parquet").column("id").to_pylist() for split in SPLITS_OF
    }
    assert sum(len(found) for found in ids.values()) > TOTAL + 1  # several rows per conversation
    for split, found in ids.items():
        assert not set(found) & {i for other, more in ids.items() if other != split for i in more}
    assert len({i for found in ids.values() for i in found}) == TOTAL + 1


SPLITS_OF = ("train", "valid", "test")


def plain(messages: list[dict[str, Any]], *, keep_text: bool = True) -> list[dict[str, Any]]:
    """Messages without call ids (an import numbers its calls itself)."""
    found = []
    for message in messages:
        kept = {key: value for key, value in message.items() if key != "tool_call_id"}
        if "tool_calls" in kept:
            kept["tool_calls"] = [{key: value for key, value in c.items() if key != "id"} for c in kept["tool_calls"]]
            if not keep_text:
                kept.pop("content", None)
        found.append(kept)
    return found


@pytest.mark.parametrize("form", ["hermes", "sharegpt"])
def test_hermes_and_sharegpt_exports_import_back_as_the_same_conversations(
    built: tuple[Store, Path], tmp_path: Path, form: str
) -> None:
    store, _ = built
    done = run(built, tmp_path / form, format=form)
    manifest = done.manifest
    assert manifest["format"] == form and manifest["turns"] == "last" and "masks by role" in manifest["masking"]
    assert sum(manifest["rows"].values()) == TOTAL + 1 and manifest["round_trip"]["checked"]
    back = Store.open(tmp_path / "back.duckdb")
    imported: list[list[dict[str, Any]]] = []
    for split in SPLITS_OF:
        path = tmp_path / form / f"{split}.jsonl"
        if path.exists():
            report = import_file(back, path, split, format=form, run_id=f"r-{split}")  # type: ignore[arg-type]
            assert report.bad == []
            imported += [plain(item.record["messages"]) for item in back.examples(domain=split)]
    originals = [item.record for item in store.examples()]
    expected = [plain(record["messages"], keep_text=form == "hermes") for record in originals]

    def texts(conversations: list[list[dict[str, Any]]]) -> list[str]:
        # a set: without its text, the talkative conversation is another one's twin in ShareGPT
        return sorted({json.dumps(messages, sort_keys=True) for messages in conversations})

    assert texts(imported) == texts(expected)
    assert {item.record["shape"] for item in back.examples()} == set(COUNTS)
    back.close()
    if form == "sharegpt":
        assert manifest["text_beside_calls_dropped"] == 1
        info = json.loads((tmp_path / form / "dataset_info.json").read_text())
        assert info["all_train"]["formatting"] == "sharegpt" and info["all_train"]["file_name"] == "train.jsonl"
        exported = [row for split in lines(tmp_path / form).values() for row in split]
        assert all(set(row) == {"conversations", "system", "tools"} for row in exported)
        assert all(isinstance(row["tools"], str) and isinstance(row["system"], str) for row in exported)
        speakers = [
            turn["from"] for split in lines(tmp_path / form).values() for r in split for turn in r["conversations"]
        ]
        assert set(speakers) == {"human", "gpt", "function_call", "observation"}
    else:
        first = next(r for split in lines(tmp_path / form).values() for r in split if len(r["conversations"]) > 4)
        assert first["conversations"][0]["from"] == "system" and "<tools>" in first["conversations"][0]["value"]
    again = run(built, tmp_path / f"{form}2", format=form)
    for name in again.manifest["files"]:
        assert (tmp_path / form / name).read_bytes() == (tmp_path / f"{form}2" / name).read_bytes()


def test_sharegpt_alternates_as_llama_factory_requires(built: tuple[Store, Path], tmp_path: Path) -> None:
    run(built, tmp_path / "sg", format="sharegpt")
    for split in lines(tmp_path / "sg").values():
        for row in split:
            turns = row["conversations"]
            assert len(turns) % 2 == 0
            for index, turn in enumerate(turns):
                assert turn["from"] in (("human", "observation") if index % 2 == 0 else ("gpt", "function_call"))


def test_a_recipe_system_prompt_opens_every_row_that_has_none(built: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = built
    done = run(built, tmp_path / "prompted", mix="prompted", turns="last")
    exported = [row for split in lines(tmp_path / "prompted").values() for row in split]
    assert all(row["messages"][0]["role"] == "system" for row in exported)
    own = [item for item in store.examples() if item.record["messages"][0]["role"] == "system"]
    given = [row for row in exported if row["messages"][0]["content"] == "You are a code assistant."]
    assert own and len(given) == len(exported) - len(own)
    assert done.manifest["system"] == {"prompt": "You are a code assistant.", "rows_given_it": len(given)}
    assert "system" not in run(built, tmp_path / "plain").manifest
    hermes = run(built, tmp_path / "hermes", mix="prompted", format="hermes")
    first = json.loads((tmp_path / "hermes" / "train.jsonl").read_text().splitlines()[0])
    assert first["conversations"][0]["from"] == "system" and hermes.manifest["system"]["rows_given_it"] == len(given)


@pytest.mark.parametrize(
    ("form", "turns"),
    [("mlx", "each"), ("mlx", "last"), ("parquet", "each"), ("hf", "last"), ("hermes", "last"), ("sharegpt", "last")],
)
def test_every_export_imports_back_with_no_rejections(
    built: tuple[Store, Path], tmp_path: Path, form: str, turns: str
) -> None:
    """mlx rows one per assistant turn come back as whole conversations: a row that ends at its calls
    folds into the row it starts; an earlier turn that ends with an answer is a conversation of its own."""
    store, _ = built
    run(built, tmp_path / form, format=form, turns=turns)
    back = Store.open(tmp_path / "back.duckdb")
    reports = import_source(back, str(tmp_path / form), "back", run_id="r")
    assert [(r.name, r.bad, r.failed) for r in reports if r.bad or r.failed] == []
    formats = {r.format for r in reports if not r.skipped}
    if form == "hermes":  # a split of only tool-less rows fits both and reads the same: auto takes sharegpt
        assert "hermes" in formats and formats <= {"hermes", "sharegpt"}
    else:
        assert formats == {form if form == "sharegpt" else "openai"}
    assert (sum(r.folded for r in reports) > 0) == (turns == "each")

    def keys(records: list[dict[str, Any]], keep_text: bool = True) -> set[str]:
        return {json.dumps(plain(record["messages"], keep_text=keep_text), sort_keys=True) for record in records}

    originals = keys([item.record for item in store.examples()], keep_text=form != "sharegpt")
    found = keys([item.record for item in back.examples(domain="back")])
    assert originals <= found
    for extra in found - originals:  # the start of an original, ending with an answer
        assert any(original.startswith(extra[:-1]) for original in originals)
        assert json.loads(extra)[-1].get("content")
    back.close()
