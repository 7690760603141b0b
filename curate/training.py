"""`curate train MIX`: export a built mix, train LoRA adapters on it with mlx-lm, and record the run.

The run's folder (`data/runs/RUN/`) holds the export (`data/`), the model when it is the embedded
tiny one (`model/`), the adapters with mlx-lm's checkpoints (`adapters/`) and the loss curve
(`loss.png`). The store records the settings, the state (running, finished, interrupted, failed)
and every report as it arrives. `curate train --resume RUN` goes on from the run's last checkpoint.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from curate.charts import run_curve
from curate.errors import CheckFailed, InputError
from curate.export import Turns, export
from curate.store import Store
from curate.store.training import TrainRun
from train import MlxUnavailable, require_mlx
from train.lora import LoraSettings, SettingsError, checkpoints, train_lora
from train.model import ModelNotFound, TinyModel, build_tiny_model, locate_model
from train.roundtrip import check_export
from train.tokenizer import build_tokenizer

TINY = "tiny"
Progress = Callable[[str, int, dict[str, Any]], None]


def resolve_model(model: str, run_folder: Path) -> str:
    """`tiny` builds the embedded model on the run's export; anything else is a model folder or a
    hub id (fetched, or found in the local Hugging Face cache)."""
    if model == TINY:
        rows = [
            json.loads(line)
            for split in ("train", "valid")
            if (run_folder / "data" / f"{split}.jsonl").exists()
            for line in (run_folder / "data" / f"{split}.jsonl").open(encoding="utf-8")
        ]
        return str(build_tiny_model(rows, run_folder / "model", TinyModel()))
    try:
        return str(locate_model(model))
    except ModelNotFound as error:
        raise InputError(str(error), hint="pass a local model folder, a hub id, or `tiny`") from None


def model_folder(run: TrainRun) -> str:
    """The model a run was trained on."""
    if run.model == TINY:
        return str(Path(run.folder) / "model")
    try:
        return str(locate_model(run.model))
    except ModelNotFound as error:
        raise InputError(f"run {run.run_id}: {error}") from None


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
    turns: Turns = "each",
) -> TrainRun:
    """A new run on the mix exported with `turns`: nothing of it is kept (folder or record) when bad
    input stops it before training."""
    require_training()
    folder = runs / run_id
    try:
        export(store, mixes, mix, folder / "data", turns=turns, check=check_export, build_tokenizer=build_tokenizer)
        for split in ("train", "valid"):
            if not (folder / "data" / f"{split}.jsonl").exists():
                raise InputError(f"mix {mix!r} has an empty {split} split", hint="give its [splits] a share")
        model_path = resolve_model(model, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    lockfile_sha = json.loads((folder / "data" / "manifest.json").read_text("utf-8"))["lockfile_sha256"]
    run = TrainRun(run_id, mix, lockfile_sha, model, str(folder), asdict(settings), "running", None, None)
    store.start_train_run(run)
    try:
        _train(store, run, model_path, settings, 0, on_report)
    except InputError:
        if not store.train_reports(run_id):  # stopped before its first step: keep nothing of it
            store.delete_train_run(run_id)
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return store.train_runs([run_id])[0]


def resume_training(store: Store, run_id: str, *, iters: int | None, on_report: Progress | None = None) -> TrainRun:
    """Go on with a run from its last checkpoint, with its own settings (`iters` may grow)."""
    require_training()
    found = store.train_runs([run_id])
    if not found:
        raise InputError(f"no training run {run_id!r}", hint="`curate runs` lists them")
    run = found[0]
    settings = _settings(run.settings)
    if iters is not None:
        settings = replace(settings, iters=iters)
    saved = [iteration for iteration in checkpoints(Path(run.folder) / "adapters") if iteration < settings.iters]
    if run.status == "finished" and iters is None:
        raise InputError(f"run {run_id} is finished", hint="pass --iters above its last iteration to train on")
    if not saved:
        raise InputError(
            f"run {run_id} has no checkpoint before iteration {settings.iters} to resume from",
            hint="train it again",
        )
    start = saved[-1]
    model = model_folder(run)  # before the run is touched: a model that is gone leaves it as it was
    store.resume_train_run(run_id, f"{start:07d}_adapters.safetensors", start, asdict(settings))
    _train(store, replace(run, settings=asdict(settings)), model, settings, start, on_report)
    return store.train_runs([run_id])[0]


def write_loss_curve(store: Store, run: TrainRun) -> Path:
    reports = store.train_reports(run.run_id)
    train = [(r.iteration, float(r.metrics["train_loss"])) for r in reports if r.kind == "train"]
    val = [(r.iteration, float(r.metrics["val_loss"])) for r in reports if r.kind == "val"]
    return run_curve(Path(run.folder) / "loss.png", f"{run.run_id} ({run.mix}, {run.model})", train, val)


def _train(
    store: Store, run: TrainRun, model_path: str, settings: LoraSettings, start: int, on_report: Progress | None
) -> None:
    folder = Path(run.folder)

    def report(kind: str) -> Callable[[dict[str, Any]], None]:
        def record(info: dict[str, Any]) -> None:
            iteration = int(info["iteration"])
            store.add_train_report(run.run_id, kind, iteration, info)
            if on_report is not None:
                on_report(kind, iteration, info)

        return record

    status = "failed"
    started = time.perf_counter()
    try:
        train_lora(
            folder / "data",
            model_path,
            folder / "adapters",
            settings,
            on_train=report("train"),
            on_val=report("val"),
            start=start,
        )
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        last = checkpoints(folder / "adapters")
        where = f"its last checkpoint is at iteration {last[-1]}" if last else "it saved no checkpoint"
        raise CheckFailed(
            f"run {run.run_id} interrupted; {where}", hint=f"`curate train --resume {run.run_id}` goes on"
        ) from None
    except SettingsError as error:
        raise InputError(f"run {run.run_id}: {error}") from None
    finally:
        store.finish_train_run(run.run_id, status, time.perf_counter() - started)
        if store.train_reports(run.run_id):
            write_loss_curve(store, run)


def _settings(stored: dict[str, Any]) -> LoraSettings:
    try:
        return LoraSettings(**stored)
    except (TypeError, SettingsError) as error:
        raise InputError(f"the stored settings cannot be used by this curate: {error}") from None


def require_training() -> None:
    """MLX can run here, or one line (exit 2) with the install line for this platform."""
    try:
        require_mlx()
    except MlxUnavailable as error:
        raise InputError(str(error)) from None
