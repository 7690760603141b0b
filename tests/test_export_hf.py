"""`curate export --format hf`: a folder `datasets.load_dataset` reads the Hub's way (three splits,
nested messages and tools), whose rows feed `apply_chat_template` as they load and render exactly as
the mlx-lm rows do, that mlx-lm's own `hf_dataset` path trains on; its dataset card; `--push-to-hub`
failing in one line without a token or a network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.export import export
from curate.mine import mine
from curate.mix import build, write_lockfile
from curate.store import Store
from curate.synth import run_synth
from tests.conftest import REPO, SAMPLE
from tests.test_export import RECIPE
from train.chat_template import render
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

GOLDEN = Path(__file__).parent / "golden" / "hf"
DATA_FILES = ["data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    root = tmp_path_factory.mktemp("export-hf")
    store = Store.open(root / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    mine(store, REPO / "data" / "samples" / "html" / "site", domain="site", jobs=1)
    run_synth(store, "shop", 20, run_id="a", seed=1)
    run_synth(store, "site", 12, run_id="b", seed=1)
    mixes = root / "mixes"
    mixes.mkdir()
    (mixes / "tiny.toml").write_text(RECIPE)
    write_lockfile(mixes, build(store, mixes, "tiny"))
    yield store, mixes
    store.close()


@pytest.fixture(scope="module")
def exported(built: tuple[Store, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hf export and the mlx export of the same mix."""
    store, mixes = built
    root = tmp_path_factory.mktemp("exports")
    for form in ("hf", "mlx"):
        export(store, mixes, "tiny", root / form, format=form, check=check_export, build_tokenizer=build_tokenizer)
    return root / "hf", root / "mlx"


def load(folder: Path, cache: Path) -> Any:
    from datasets import load_dataset

    return load_dataset(str(folder), cache_dir=str(cache))


def test_the_folder_is_what_the_hub_reads(exported: tuple[Path, Path]) -> None:
    hf, _ = exported
    names = sorted(path.relative_to(hf).as_posix() for path in hf.rglob("*") if path.is_file())
    assert names == [
        "README.md",
        *DATA_FILES,
        "data/validation-00000-of-00001.parquet",
        "manifest.json",
    ]
    manifest = json.loads((hf / "manifest.json").read_text())
    assert manifest["format"] == "hf" and set(manifest["files"]) == set(names) - {"manifest.json"}
    assert manifest["files"]["data/validation-00000-of-00001.parquet"]["rows"] == manifest["rows"]["valid"]


def test_the_dataset_card_matches_the_golden_file(exported: tuple[Path, Path]) -> None:
    card = (exported[0] / "README.md").read_text()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "README.md").write_text(card)
    assert card == (GOLDEN / "README.md").read_text()
    manifest = json.loads((exported[0] / "manifest.json").read_text())
    assert f"| lockfile sha256 | `{manifest['lockfile_sha256']}` |" in card
    front = card.split("---\n")[1]
    import yaml

    meta = yaml.safe_load(front)
    assert meta["configs"][0]["data_files"][1] == {
        "split": "validation",
        "path": "data/validation-00000-of-00001.parquet",
    }
    assert meta["license"] == ["mit", "unknown"]
    rows = manifest["rows"]
    assert [split["num_examples"] for split in meta["dataset_info"]["splits"]] == [
        rows["train"],
        rows["valid"],
        rows["test"],
    ]


def test_load_dataset_gives_the_three_splits_with_nested_rows(exported: tuple[Path, Path], tmp_path: Path) -> None:
    hf, mlx = exported
    loaded = load(hf, tmp_path / "cache")
    manifest = json.loads((hf / "manifest.json").read_text())
    assert {split: loaded[split].num_rows for split in loaded} == {
        "train": manifest["rows"]["train"],
        "validation": manifest["rows"]["valid"],
        "test": manifest["rows"]["test"],
    }
    for split, file in (("train", "train"), ("validation", "valid"), ("test", "test")):
        lines = [json.loads(line) for line in (mlx / f"{file}.jsonl").open()]
        for row, line in zip(loaded[split], lines, strict=True):
            calls = [call for message in row["messages"] for call in message["tool_calls"] or []]
            assert all(isinstance(call["function"]["arguments"], dict) for call in calls)
            assert all(isinstance(tool["function"]["parameters"], dict) for tool in row["tools"])
            assert plain(row["messages"]) == line["messages"]
            assert row["tools"] == line.get("tools", [])


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def test_rows_feed_apply_chat_template_as_they_load(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """Every row, rendered by a tokenizer with the repo's chat template straight from `load_dataset`,
    is the text its mlx-lm row renders to (no null field shows, no argument encoded twice)."""
    from transformers import AutoTokenizer

    hf, mlx = exported
    loaded = load(hf, tmp_path / "cache")
    folder = build_tokenizer(["hello"] * 3, tmp_path / "tokenizer")
    tokenizer: Any = AutoTokenizer.from_pretrained(str(folder))
    rendered = 0
    for split, file in (("train", "train"), ("validation", "valid"), ("test", "test")):
        lines = [json.loads(line) for line in (mlx / f"{file}.jsonl").open()]
        for row, line in zip(loaded[split], lines, strict=True):
            text = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
            assert text == render(line["messages"], line.get("tools")), row["id"]
            rendered += 1
    assert rendered == sum(loaded.num_rows.values())
    calls = [row for row in loaded["train"] if any(m["tool_calls"] for m in row["messages"])]
    assert calls and '"arguments": {' in tokenizer.apply_chat_template(
        calls[0]["messages"], tools=calls[0]["tools"], tokenize=False
    )


@pytest.mark.slow
def test_mlx_lm_trains_on_it_through_hf_dataset(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """mlx-lm's own command, `mlx_lm.lora --config`, with the `hf_dataset` the card shows: two iterations
    of the tiny model, a validation loss from the `validation` split."""
    from train.model import TinyModel, build_tiny_model

    hf, mlx = exported
    rows = [json.loads(line) for line in (mlx / "train.jsonl").open()]
    model = build_tiny_model(rows, tmp_path / "tiny", TinyModel(vocab_size=1024))
    config = {
        "model": str(model),
        "train": True,
        "fine_tune_type": "lora",
        "hf_dataset": {
            "path": str(hf),
            "train_split": "train",
            "valid_split": "validation",
            "chat_feature": "messages",
        },
        "mask_prompt": True,
        "iters": 2,
        "batch_size": 2,
        "val_batches": 1,
        "steps_per_eval": 2,
        "steps_per_report": 1,
        "num_layers": 2,
        "max_seq_length": 4096,
        "adapter_path": str(tmp_path / "adapters"),
    }
    (tmp_path / "lora.json").write_text(json.dumps(config))
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "mlx_lm", "lora", "--config", str(tmp_path / "lora.json")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shown = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    assert re.search(r"^\s*2\s+val\s+\d+\.\d+", shown, re.MULTILINE), shown[-2000:]  # a validation loss at iteration 2
    assert (tmp_path / "adapters" / "adapters.safetensors").is_file()


def test_an_empty_split_gets_no_file_and_no_card_entry(built: tuple[Store, Path], tmp_path: Path) -> None:
    store, mixes = built
    (mixes / "novalid.toml").write_text(
        RECIPE.replace('"tiny"', '"novalid"').replace("valid = 0.3", "valid = 0.0").replace("test = 0.3", "test = 0.6")
    )
    write_lockfile(mixes, build(store, mixes, "novalid"))
    out = tmp_path / "hf"
    export(store, mixes, "novalid", out, format="hf", check=check_export, build_tokenizer=build_tokenizer)
    assert sorted(path.relative_to(out).as_posix() for path in (out / "data").iterdir()) == DATA_FILES
    assert "validation" not in (out / "README.md").read_text().split("---\n")[1]
    assert set(load(out, tmp_path / "cache")) == {"train", "test"}


def test_the_same_lockfile_gives_the_same_bytes(built: tuple[Store, Path], tmp_path: Path) -> None:
    store, mixes = built
    for out in (tmp_path / "one", tmp_path / "two"):
        export(store, mixes, "tiny", out, format="hf", check=check_export, build_tokenizer=build_tokenizer)
    one = {path.relative_to(tmp_path / "one"): path.read_bytes() for path in (tmp_path / "one").rglob("*.*")}
    assert one == {path.relative_to(tmp_path / "two"): path.read_bytes() for path in (tmp_path / "two").rglob("*.*")}
    export(store, mixes, "tiny", tmp_path / "one", format="mlx", check=check_export, build_tokenizer=build_tokenizer)
    assert not (tmp_path / "one" / "data").exists()  # replacing it removed what the hf export wrote


def cli(built: tuple[Store, Path], tmp_path: Path, *argv: str) -> list[str]:
    store, mixes = built
    db = tmp_path / "copy.duckdb"
    if not db.exists():
        store._db.execute("CHECKPOINT")
        shutil.copy(store.path, db)
    return ["--db", str(db), "--mixes", str(mixes), "export", "tiny", "--format", "hf", *argv]


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.mark.usefixtures("no_token")
def test_push_without_a_token_is_one_line_before_any_work(
    built: tuple[Store, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(cli(built, tmp_path, "--out", str(tmp_path / "out"), "--push-to-hub", "me/tiny"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("curate: error: no Hugging Face token to push with") and "HF_TOKEN" in err
    assert not (tmp_path / "out").exists()


def test_push_without_a_token_from_a_fresh_process(built: tuple[Store, Path], tmp_path: Path) -> None:
    """As a user runs it: nothing of huggingface_hub imported beforehand, no token anywhere."""
    argv = cli(built, tmp_path, "--out", str(tmp_path / "out"), "--push-to-hub", "me/tiny")
    environment = {key: value for key, value in os.environ.items() if key not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    environment |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "curate", *argv], capture_output=True, text=True, env=environment, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("curate: error: no Hugging Face token") and done.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("no_token")
def test_push_without_a_network_is_one_line_and_keeps_the_export(
    built: tuple[Store, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    code = main(cli(built, tmp_path, "--out", str(tmp_path / "out"), "--push-to-hub", "me/tiny"))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("curate: error: ") and "cannot push to me/tiny: " in err
    assert (tmp_path / "out" / "README.md").is_file()


def test_push_needs_the_hf_format_and_a_repository_id(
    built: tuple[Store, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = cli(built, tmp_path, "--out", str(tmp_path / "out"), "--push-to-hub", "me/tiny")
    assert main([*argv[:-4], "--format", "mlx", *argv[-4:]]) == 2  # the later --format wins
    assert "add --format hf" in capsys.readouterr().err
    assert main([*argv[:-1], "tiny"]) == 2
    assert "a repository is OWNER/NAME" in capsys.readouterr().err


def test_licenses_become_the_hubs_ids() -> None:
    from curate.hub import card_licenses, hub_license

    assert [hub_license(name) for name in ("MIT", "Apache-2.0", "GPL-3.0-or-later", "PSF-2.0")] == [
        "mit",
        "apache-2.0",
        "gpl-3.0",
        "other",
    ]
    assert card_licenses({"MIT": 3, "(card only)": 2}) == "mit"
    assert card_licenses({"(card only)": 2}) == "unknown"
    assert card_licenses({"MIT": 1, "(unknown)": 1, "BSD-3-Clause": 1}) == ["bsd-3-clause", "mit", "unknown"]


def test_a_tool_or_message_with_a_key_the_columns_lack_is_refused() -> None:
    from curate.errors import CheckFailed
    from curate.hub import hub_messages, hub_tools

    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {}, "strict": True}}
    with pytest.raises(CheckFailed, match="train row 1: tool 'f' has 'strict'"):
        hub_tools([tool], "train row 1")
    with pytest.raises(CheckFailed, match="a message has 'reasoning'"):
        hub_messages([{"role": "assistant", "content": "x", "reasoning": "y"}], "train row 1")
