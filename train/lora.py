"""LoRA training with mlx-lm's own trainer (`mlx_lm.tuner.trainer.train`), reporting through a callback.

This does what `mlx_lm.lora.train_model` does (LoRA layers, optimizer, mlx-lm's `train` loop and its
checkpoints) with two additions that `train_model` has no way to express:

- **Resume at an iteration.** mlx-lm's `--resume-adapter-file` reloads the adapters but starts again
  at iteration 1 with a fresh optimizer and the batches in their first order. Here a run started at
  iteration `start` reloads that checkpoint's adapters *and* optimizer state (moments and step, so a
  learning-rate schedule goes on where it was), skips the `start` batches already trained, numbers
  its reports and checkpoints from `start + 1`, and so ends with the adapters an uninterrupted run
  would have had.
- **Batch orders of their own.** mlx-lm draws the training order and each validation sample from
  NumPy's global generator, so the order depends on how often validation ran, and each validation
  with `val_batches` set scores a different random sample (a noisy curve). Here the training order
  has its own generator, seeded with `seed`, so it is the same whatever the eval interval and
  whether or not the run was resumed; and every validation scores the same batches.

Checkpoints are mlx-lm's, `NNNNNNN_adapters.safetensors` every `save_every` iterations and
`adapters.safetensors` at the end, next to `NNNNNNN_optimizer.safetensors` with the optimizer state
at the same iteration, and mlx-lm's `adapter_config.json` (so `mlx_lm.generate --adapter-path` and
`mlx_lm.fuse` read the folder). Dropout's random draws are not restored on resume.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from train import quiet_transformers

Report = Callable[[dict[str, Any]], None]

OPTIMIZERS = ("adam", "adamw", "muon", "sgd", "adafactor")
FINE_TUNE_TYPES = ("lora", "dora", "full")
# Keys of an mlx-lm config that name what curate itself decides: the data is the run's export, the
# adapters go to the run's folder, resuming is `--resume RUN`.
OWNED_KEYS = frozenset(
    {"data", "adapter_path", "train", "test", "test_batches", "resume_adapter_file", "config", "model"}
)
IGNORED_KEYS = frozenset({"report_to", "project_name", "wandb", "trust_remote_code", "clear_cache_threshold"})
CHECKPOINT = re.compile(r"^(\d{7})_adapters\.safetensors$")


_NAMES = {bool: "true or false", int: "an integer", float: "a number"}


class SettingsError(ValueError):
    """A LoRA setting or an mlx-lm config that cannot be used."""


@dataclass(frozen=True)
class LoraSettings:
    """The settings users tune, with mlx-lm's names and defaults (except `mask_prompt`, on here:
    an assistant should learn its answers, not the questions); `num_layers` is clipped to the
    model's depth."""

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
    grad_accumulation_steps: int = 1
    save_every: int = 100
    steps_per_eval: int = 200
    steps_per_report: int = 10
    val_batches: int = 25
    seed: int = 0
    fine_tune_type: str = "lora"
    optimizer: str = "adam"
    optimizer_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    lr_schedule: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value, default = getattr(self, item.name), item.default
            if isinstance(default, bool | int | float | str):
                expected: Any = (int, float) if type(default) is float else type(default)
                if (isinstance(value, bool) and type(default) is not bool) or not isinstance(value, expected):
                    raise SettingsError(f"{item.name} must be {_NAMES.get(type(default), 'a string')}, not {value!r}")
        if not isinstance(self.optimizer_config, dict) or not all(
            isinstance(options, dict) for options in self.optimizer_config.values()
        ):
            raise SettingsError("optimizer_config must map an optimizer's name to its options")
        if self.lr_schedule is not None and not isinstance(self.lr_schedule, dict):
            raise SettingsError("lr_schedule must be a mapping (mlx-lm's name, arguments, warmup)")
        if not 0 <= self.seed < 2**32 - 1:
            raise SettingsError(f"seed must be between 0 and {2**32 - 2}, not {self.seed}")
        if not 0 <= self.dropout <= 1:
            raise SettingsError(f"dropout must be between 0 and 1, not {self.dropout}")
        if self.save_every % self.grad_accumulation_steps:
            # mlx-lm steps the optimizer by the iteration within a call: a resume must start on a step
            raise SettingsError(
                f"save_every ({self.save_every}) must be a multiple of grad_accumulation_steps "
                f"({self.grad_accumulation_steps}) so that every checkpoint can be resumed exactly"
            )
        if self.fine_tune_type not in FINE_TUNE_TYPES:
            raise SettingsError(f"fine_tune_type {self.fine_tune_type!r} is not one of {', '.join(FINE_TUNE_TYPES)}")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise SettingsError(f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        for name in ("iters", "batch_size", "rank", "num_layers", "max_seq_length", "grad_accumulation_steps"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("save_every", "steps_per_eval", "steps_per_report"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, not {getattr(self, name)}")


def settings_from_config(
    config: Mapping[str, Any], base: LoraSettings = LoraSettings()
) -> tuple[LoraSettings, str | None, list[str]]:
    """Read an mlx-lm LoRA config (the YAML `mlx_lm lora --config` takes) over `base`:
    (settings, its `model` if any, the keys left to curate or ignored, for the user to see)."""
    names = {item.name for item in fields(LoraSettings)}
    defaults = asdict(LoraSettings()).items()
    typed = {name: type(value) for name, value in defaults if isinstance(value, int | float | str)}
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in config.items():
        if key == "lora_parameters":
            if not isinstance(value, Mapping):
                raise SettingsError("lora_parameters must be a mapping of rank, scale and dropout")
            unknown = sorted(name for name in set(value) - {"rank", "scale", "dropout"} if value[name] is not None)
            if unknown:
                raise SettingsError(f"lora_parameters: unsupported key(s) {', '.join(unknown)}")
            changes.update(
                {name: _typed(name, value[name], typed[name]) for name in ("rank", "scale", "dropout") if name in value}
            )
        elif key in names:
            changes[key] = value
            if value is not None and key in typed:
                changes[key] = _typed(key, value, typed[key])
        elif key in OWNED_KEYS:
            if key != "model":
                notes.append(f"{key} (curate sets it)")
        elif key in IGNORED_KEYS:
            notes.append(f"{key} (not used by curate)")
        else:
            raise SettingsError(f"unknown mlx-lm config key {key!r}")
    model = config.get("model")
    try:
        return replace(base, **changes), str(model) if model is not None else None, notes
    except TypeError as error:
        raise SettingsError(str(error)) from None


def _typed(name: str, value: Any, kind: type) -> Any:
    """YAML 1.1 reads `1e-5` as a string (mlx-lm patches its loader for it): take numbers written
    either way, and nothing else."""
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
        elif kind is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float | str) and float(value).is_integer():
                return int(float(value))
        elif kind is float:
            if not isinstance(value, bool):
                return float(value)
        elif isinstance(value, str):
            return value
    except ValueError:
        pass
    wanted = _NAMES.get(kind, "a string")
    raise SettingsError(f"{name} must be {wanted}, not {value!r}")


def checkpoints(adapters: Path) -> list[int]:
    """The iterations a run can resume from (adapters and optimizer state saved), oldest first."""
    if not adapters.is_dir():
        return []
    found = (int(match[1]) for path in adapters.iterdir() if (match := CHECKPOINT.match(path.name)))
    return sorted(it for it in found if (adapters / f"{it:07d}_optimizer.safetensors").is_file())


def train_lora(
    data: Path,
    model_path: str,
    adapters: Path,
    settings: LoraSettings,
    *,
    on_train: Report | None = None,
    on_val: Report | None = None,
    start: int = 0,
) -> int:
    """Train adapters on `data` (train.jsonl, valid.jsonl) into `adapters`, iterations `start + 1`
    to `settings.iters`; a `start` above 0 resumes from the checkpoint `adapters` holds for it.
    Reports and checkpoints carry the run's own iteration numbers, a validation the number mlx-lm
    prints for it. Returns the number of layers trained."""
    quiet_transformers()
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten, tree_unflatten
    from mlx_lm.lora import CONFIG_DEFAULTS
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset, load_local_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, train
    from mlx_lm.tuner.trainer import iterate_batches as mlx_batches
    from mlx_lm.tuner.utils import build_schedule, linear_to_lora_layers
    from mlx_lm.utils import load, save_config

    if not 0 <= start < settings.iters:
        raise SettingsError(f"cannot start at iteration {start} of a {settings.iters}-iteration run")
    resume = adapters / f"{start:07d}_adapters.safetensors"
    saved_optimizer = adapters / f"{start:07d}_optimizer.safetensors"
    if start and not (resume.is_file() and saved_optimizer.is_file()):
        raise SettingsError(f"{adapters}: no checkpoint with optimizer state at iteration {start}")
    np.random.seed(settings.seed)
    mx.random.seed(settings.seed)
    loaded: Any = load(model_path)
    model, tokenizer = loaded[0], loaded[1]
    layers = min(settings.num_layers, len(model.layers))
    options = asdict(settings)
    lora = {"rank": options.pop("rank"), "scale": options.pop("scale"), "dropout": options.pop("dropout")}
    # mlx-lm numbers the checkpoints of one call from 1: a resumed call writes aside, renumbered after
    written = adapters / f".resume-{start:07d}" if start else adapters
    args = {
        **CONFIG_DEFAULTS,
        **options,
        "num_layers": layers,
        "lora_parameters": lora,
        "model": model_path,
        "data": str(data),
        "train": True,
        "adapter_path": str(adapters),
        "resume_adapter_file": str(resume) if start else None,
    }
    train_set, valid_set, _ = load_local_dataset(Path(data), tokenizer, Options(args))
    if len(train_set) < settings.batch_size or len(valid_set) < settings.batch_size:
        raise SettingsError(
            f"{data}: training needs at least batch_size={settings.batch_size} rows in train.jsonl and in "
            f"valid.jsonl (it has {len(train_set)} and {len(valid_set)})"
        )

    train_rows, valid_rows = CacheDataset(train_set), CacheDataset(valid_set)
    if settings.mask_prompt:
        for split, rows in (("train", train_rows), ("valid", valid_rows)):
            prompts = [rows[i][1] for i in range(len(rows))]
            starved = sum(1 for prompt in prompts if prompt >= settings.max_seq_length)
            if starved:
                raise SettingsError(
                    f"{starved} of {len(rows)} {split} rows have a prompt of max_seq_length={settings.max_seq_length} "
                    f"tokens or more, so nothing of their answer would be trained (a batch of them has loss nan); "
                    f"the longest prompt is {max(prompts)} tokens: raise max_seq_length above it"
                )

    model.freeze()
    if settings.fine_tune_type == "full":
        for layer in model.layers[-layers:]:
            layer.unfreeze()
        args["lora_parameters"] = None
    else:
        linear_to_lora_layers(model, layers, lora, use_dora=settings.fine_tune_type == "dora")
    schedule = build_schedule(settings.lr_schedule) if settings.lr_schedule else settings.learning_rate
    optimizer_class = {
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "muon": optim.Muon,
        "sgd": optim.SGD,
        "adafactor": optim.Adafactor,
    }[settings.optimizer.lower()]
    optimizer = optimizer_class(learning_rate=schedule, **settings.optimizer_config.get(settings.optimizer.lower(), {}))
    optimizer.init(model.trainable_parameters())
    if start:
        model.load_weights(str(resume), strict=False)
        state: Any = mx.load(str(saved_optimizer))
        optimizer.state = tree_unflatten(list(state.items()))

    if start:
        shutil.rmtree(written, ignore_errors=True)  # what a killed resume left
    written.mkdir(parents=True, exist_ok=True)
    save_config(dict(args), adapters / "adapter_config.json")
    order = np.random.RandomState(settings.seed)
    iterate_batches: Any = mlx_batches

    def save_optimizer(iteration: int) -> None:
        """Written aside and renamed: a kill mid-write leaves no optimizer file to resume from."""
        staged = written / f".{iteration:07d}_optimizer.partial.safetensors"
        mx.save_safetensors(str(staged), dict(tree_flatten(optimizer.state)))
        staged.replace(written / f"{iteration:07d}_optimizer.safetensors")

    def batches(**arguments: Any) -> Iterator[Any]:
        """mlx-lm's batches. The training stream (the one that loops) is drawn from `order`, its
        first `start` batches skipped, the optimizer saved next to each checkpoint. A validation
        draws the same batches every time, so its losses compare across iterations and runs."""
        if not arguments.get("loop"):
            yield from drawn(iterate_batches(**arguments), np.random.RandomState(settings.seed + 1))
            return
        for done, batch in enumerate(drawn(iterate_batches(**arguments), order)):
            if done >= start:
                # asked for the next batch, so iteration `done` is over, its checkpoint written
                local = done - start
                if local and local % settings.save_every == 0:
                    save_optimizer(local)
                yield batch

    class Forward(TrainingCallback):
        def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
            if on_train is not None:
                on_train({**train_info, "iteration": train_info["iteration"] + start})

        def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
            # mlx-lm validates before the step it numbers `it`, reports `it - 1` and prints `it`; the
            # first validation (before any step) is iteration `start`, the others take mlx-lm's printed number
            local = int(val_info["iteration"])
            if on_val is not None:
                on_val({**val_info, "iteration": start + (local + 1 if local else 0)})

    training = TrainingArgs(
        batch_size=settings.batch_size,
        iters=settings.iters - start,
        val_batches=settings.val_batches,
        steps_per_report=settings.steps_per_report,
        steps_per_eval=settings.steps_per_eval,
        steps_per_save=settings.save_every,
        adapter_file=str(written / "adapters.safetensors"),
        max_seq_length=settings.max_seq_length,
        grad_checkpoint=settings.grad_checkpoint,
        grad_accumulation_steps=settings.grad_accumulation_steps,
    )
    try:
        train(
            model=model,
            optimizer=optimizer,
            train_dataset=train_rows,
            val_dataset=valid_rows,
            args=training,
            iterate_batches=batches,
            training_callback=Forward(),
        )
        if (settings.iters - start) % settings.save_every == 0:
            save_optimizer(settings.iters - start)
    finally:
        if start:
            _move_renumbered(written, adapters, start)
    return layers


def _move_renumbered(written: Path, adapters: Path, start: int) -> None:
    """Move a resumed call's files into the run's folder, each checkpoint `start` iterations later."""
    for path in sorted(written.iterdir()):
        match = re.match(r"^(\d{7})_(adapters|optimizer)\.safetensors$", path.name)
        name = f"{int(match[1]) + start:07d}_{match[2]}.safetensors" if match else path.name
        path.replace(adapters / name)
    written.rmdir()


def drawn(stream: Iterator[Any], generator: Any) -> Iterator[Any]:
    """`stream` (mlx-lm's batches), with NumPy's global generator swapped for `generator` (a
    `numpy.random.RandomState`) while it draws: the order is the generator's alone."""
    import numpy as np

    while True:
        outside = np.random.get_state()
        np.random.set_state(generator.get_state())
        try:
            batch = next(stream)
        except StopIteration:
            return
        finally:
            generator.set_state(np.random.get_state())
            np.random.set_state(outside)
        yield batch


class Options:
    """The attribute view of the settings mlx-lm's dataset loader reads."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
