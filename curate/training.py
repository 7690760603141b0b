"""`curate train MIX`: export a built mix, train LoRA adapters on it with mlx-lm, and record the run.

The run's folder (`data/runs/RUN/`) holds the export (`data/`), the model when it is the embedded
tiny one (`model/`) and the adapters with mlx-lm's checkpoints (`adapters/`). The store records the
settings, the state (running, finished, interrupted, failed) and every report as it arrives.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from curate.errors import CheckFailed, InputError
from curate.export import export
from curate.store import Store
from curate.store.training import TrainRun
from train.lora import LoraSettings, train_lora
from train.model import TinyModel, build_tiny_model
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

TINY = "tiny"
Progress = Callable[[str, int, dict[str, Any]], None]


def resolve_model(model: str, run_folder: Path) -> str:
    """`tiny` builds the embedded model on the run's export; anything else must be a model folder:
    there is no network here to reach a hub id."""
    if model == TINY:
        rows = [
            json.loads(line)
            for split in ("train", "valid")
            if (run_folder / "data" / f"{split}.jsonl").exists()
            for line in (run_folder / "data" / f"{split}.jsonl").open(encoding="utf-8")
        ]
        return str(build_tiny_model(rows, run_folder / "model", TinyModel()))
    folder = Path(model)
    if not (folder / "config.json").is_file():
        raise InputError(
            f"no model folder at {model!r} (a folder with config.json, weights and a tokenizer)",
            hint="pass a local path, or `tiny` for the embedded model; hub ids need the network",
        )
    return str(folder)


def run_training(
    store: Store,
    mixes: Path,
    mix: str,
    *,
    model: str,
    settings: LoraSettings,
    runs: Path,
    run_id: str,
    on_report: Progress | None = None,
) -> TrainRun:
    folder = runs / run_id
    export(store, mixes, mix, folder / "data", check=check_export, build_tokenizer=build_tokenizer)
    if not (folder / "data" / "valid.jsonl").exists() or not (folder / "data" / "train.jsonl").exists():
        raise InputError(f"mix {mix!r} has an empty train or valid split", hint="adjust its [splits]")
    model_path = resolve_model(model, folder)
    lockfile_sha = json.loads((folder / "data" / "manifest.json").read_text())["lockfile_sha256"]
    run = TrainRun(run_id, mix, lockfile_sha, model, str(folder), asdict(settings), "running", None, None)
    store.start_train_run(run)
    started = time.perf_counter()

    def report(kind: str) -> Callable[[dict[str, Any]], None]:
        def record(info: dict[str, Any]) -> None:
            # mlx-lm numbers a validation one lower than the training step it follows (0 before any)
            iteration = int(info["iteration"]) + (1 if kind == "val" and info["iteration"] else 0)
            store.add_train_report(run_id, kind, iteration, info)
            if on_report is not None:
                on_report(kind, iteration, info)

        return record

    status = "failed"
    try:
        train_lora(
            folder / "data",
            model_path,
            folder / "adapters",
            settings,
            on_train=report("train"),
            on_val=report("val"),
        )
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise CheckFailed(f"run {run_id} interrupted; its checkpoints are in {folder / 'adapters'}") from None
    except ValueError as error:
        raise InputError(f"run {run_id}: {error}") from None
    finally:
        store.finish_train_run(run_id, status, time.perf_counter() - started)
    return store.train_runs([run_id])[0]
