"""Training every weight of a model, embeddings included, with mlx-lm's own trainer: how the demo's
base model is made, as an instruct model is made before anyone fine-tunes it.

mlx-lm's LoRA and its "full" fine-tuning both leave the embeddings frozen. On a tiny model the
embedding table is most of the weights, and a random one is most of why a randomly initialised
model learns nothing in a few LoRA steps; so here the whole model trains, and the result is saved
over the folder's weights as an ordinary model folder that `mlx_lm.load` reads.

The batches are mlx-lm's, with the prompt masked (only assistant turns are learned), drawn from a
generator of their own seeded with `seed`; the learning rate warms up linearly and decays along a
cosine. The same data, model and settings give the same weights.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from train import quiet_transformers
from train.lora import Options, drawn

Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class PretrainSettings:
    iters: int = 600
    batch_size: int = 8
    learning_rate: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.01
    max_seq_length: int = 2048
    steps_per_report: int = 50
    steps_per_eval: int = 200
    val_batches: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("iters", "batch_size", "max_seq_length", "steps_per_report", "steps_per_eval", "val_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 <= self.warmup < self.iters:
            raise ValueError(f"warmup must be between 0 and iters - 1, not {self.warmup}")


@dataclass(frozen=True)
class Pretrained:
    folder: Path
    parameters: int
    seconds: float
    train_loss: float
    val_losses: list[tuple[int, float]]
    """(iteration, validation loss), the first before any step."""


def pretrain(data: Path, folder: Path, settings: PretrainSettings, *, on_report: Report | None = None) -> Pretrained:
    """Train every weight of the model in `folder` on `data` (train.jsonl, valid.jsonl of mlx-lm
    chat rows) and save them back into `folder`, with the settings and losses in `pretrain.json`."""
    quiet_transformers()
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.lora import CONFIG_DEFAULTS
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset, load_local_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, train
    from mlx_lm.tuner.trainer import iterate_batches as mlx_batches
    from mlx_lm.utils import load

    np.random.seed(settings.seed)
    mx.random.seed(settings.seed)
    loaded: Any = load(str(folder))
    model, tokenizer = loaded[0], loaded[1]
    options = {**CONFIG_DEFAULTS, "mask_prompt": True, "train": True, "data": str(data)}
    train_set, valid_set, _ = load_local_dataset(data, tokenizer, Options(options))
    model.unfreeze()
    flat: Any = tree_flatten(model.parameters())
    parameters = sum(value.size for _, value in flat)
    decay = optim.cosine_decay(settings.learning_rate, settings.iters - settings.warmup, settings.learning_rate / 20)
    warmup = optim.linear_schedule(0.0, settings.learning_rate, settings.warmup)
    schedule = optim.join_schedules([warmup, decay], [settings.warmup]) if settings.warmup else decay
    optimizer = optim.AdamW(learning_rate=schedule, weight_decay=settings.weight_decay)
    order = np.random.RandomState(settings.seed)
    iterate: Any = mlx_batches

    def batches(**arguments: Any) -> Iterator[Any]:
        """mlx-lm's batches; the training stream's order drawn from `order`, a validation's always the same."""
        generator = order if arguments.get("loop") else np.random.RandomState(settings.seed + 1)
        return drawn(iterate(**arguments), generator)

    losses: list[tuple[int, float]] = []
    last_train: list[float] = []

    class Record(TrainingCallback):
        def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
            last_train[:] = [float(train_info["train_loss"])]
            if on_report is not None:
                on_report(train_info)

        def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
            local = int(val_info["iteration"])
            losses.append((local + 1 if local else 0, float(val_info["val_loss"])))
            if on_report is not None:
                on_report(val_info)

    began = time.perf_counter()
    staging = folder / ".pretrain"
    staging.mkdir(exist_ok=True)
    train(
        model=model,
        optimizer=optimizer,
        train_dataset=CacheDataset(train_set),
        val_dataset=CacheDataset(valid_set),
        args=TrainingArgs(
            batch_size=settings.batch_size,
            iters=settings.iters,
            val_batches=settings.val_batches,
            steps_per_report=settings.steps_per_report,
            steps_per_eval=settings.steps_per_eval,
            steps_per_save=settings.steps_per_eval,  # weights so far, kept aside until the end
            adapter_file=str(staging / "weights.safetensors"),
            max_seq_length=settings.max_seq_length,
        ),
        iterate_batches=batches,
        training_callback=Record(),
    )
    seconds = time.perf_counter() - began
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(str(folder / "model.safetensors"), weights, metadata={"format": "mlx"})
    for leftover in staging.iterdir():
        leftover.unlink()
    staging.rmdir()
    done = Pretrained(folder, parameters, seconds, last_train[0] if last_train else float("nan"), losses)
    record = {"settings": asdict(settings), "parameters": parameters, "seconds": round(seconds, 1)}
    record |= {"train_loss": done.train_loss, "val_losses": losses}
    (folder / "pretrain.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return done
