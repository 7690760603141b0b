"""LoRA training with mlx-lm's own trainer (`mlx_lm.lora.train_model`), reporting through a callback.

`mlx_lm.lora.run` drops a callback passed to it, so this calls `train_model` directly with a
`TrainingCallback` that forwards every train and validation report. Checkpoints are mlx-lm's own:
`NNNNNNN_adapters.safetensors` every `save_every` iterations, `adapters.safetensors` at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from train import quiet_transformers

Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class LoraSettings:
    """The settings users tune, with mlx-lm's names; `num_layers` is clipped to the model's depth."""

    iters: int = 100
    batch_size: int = 4
    learning_rate: float = 1e-5
    rank: int = 8
    scale: float = 20.0
    dropout: float = 0.0
    num_layers: int = 16
    max_seq_length: int = 2048
    mask_prompt: bool = True
    grad_checkpoint: bool = False
    save_every: int = 100
    steps_per_eval: int = 200
    steps_per_report: int = 10
    val_batches: int = 25
    seed: int = 0


def train_lora(
    data: Path,
    model_path: str,
    adapters: Path,
    settings: LoraSettings,
    *,
    on_train: Report | None = None,
    on_val: Report | None = None,
    resume_from: Path | None = None,
) -> int:
    """Train adapters on `data` (train.jsonl, valid.jsonl); returns the number of layers trained."""
    quiet_transformers()
    from mlx_lm.lora import CONFIG_DEFAULTS, train_model
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import load_local_dataset
    from mlx_lm.utils import load

    loaded: Any = load(model_path)
    model, tokenizer = loaded[0], loaded[1]
    layers = min(settings.num_layers, len(model.layers))
    options = asdict(settings)
    lora = {"rank": options.pop("rank"), "scale": options.pop("scale"), "dropout": options.pop("dropout")}
    args = SimpleNamespace(
        **{
            **CONFIG_DEFAULTS,
            **options,
            "num_layers": layers,
            "lora_parameters": lora,
            "model": model_path,
            "data": str(data),
            "train": True,
            "adapter_path": str(adapters),
            "resume_adapter_file": str(resume_from) if resume_from else None,
        }
    )
    train_set, valid_set, _ = load_local_dataset(Path(data), tokenizer, args)
    if len(train_set) == 0 or len(valid_set) == 0:
        raise ValueError(f"{data}: training needs a non-empty train.jsonl and valid.jsonl")

    class Forward(TrainingCallback):
        def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
            if on_train is not None:
                on_train(dict(train_info))

        def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
            if on_val is not None:
                on_val(dict(val_info))

    train_model(args, model, train_set, valid_set, Forward())
    return layers
