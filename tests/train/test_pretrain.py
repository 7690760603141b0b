"""Training every weight, embeddings included: how the demo base is made."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from train.model import TinyModel, build_tiny_model
from train.pretrain import PretrainSettings, pretrain

EXPORT = Path(__file__).resolve().parent.parent / "golden" / "export"
SETTINGS = PretrainSettings(
    iters=8, batch_size=2, learning_rate=3e-3, warmup=2, steps_per_report=4, steps_per_eval=4, val_batches=2
)


def weights(folder: Path) -> dict[str, object]:
    import mlx.core as mx

    loaded = mx.load(str(folder / "model.safetensors"))
    assert isinstance(loaded, dict)
    return loaded


def trained(tmp_path: Path, name: str) -> Path:
    data = tmp_path / "data"
    if not data.exists():
        data.mkdir()
        short = [{"messages": json.loads(line)["messages"]} for line in (EXPORT / "train.jsonl").open()][:8]
        for split in ("train", "valid"):  # validated on what it trains on: the loss must fall
            (data / f"{split}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in short))
    rows = [json.loads(line) for line in (data / "train.jsonl").open()]
    folder = build_tiny_model(rows, tmp_path / name, TinyModel(vocab_size=1024))
    shutil.copy(folder / "model.safetensors", tmp_path / f"{name}-initial.safetensors")
    pretrain(data, folder, SETTINGS)
    return folder


@pytest.mark.slow
def test_every_weight_trains_embeddings_included_and_the_same_seed_gives_the_same_weights(tmp_path: Path) -> None:
    import mlx.core as mx

    folder = trained(tmp_path, "a")
    initial = mx.load(str(tmp_path / "a-initial.safetensors"))
    after = weights(folder)
    assert isinstance(initial, dict) and set(after) == set(initial)
    unchanged = [name for name in initial if mx.array_equal(initial[name], after[name]).item()]  # type: ignore[arg-type]
    assert unchanged == []  # the embedding table too, which mlx-lm's LoRA and "full" leave frozen
    record = json.loads((folder / "pretrain.json").read_text())
    losses = [loss for _, loss in record["val_losses"]]
    assert [iteration for iteration, _ in record["val_losses"]] == [0, 4, 8] and losses[-1] < losses[0]
    again = weights(trained(tmp_path, "b"))
    assert all(mx.array_equal(after[name], again[name]).item() for name in after)  # type: ignore[arg-type]


def test_settings_that_cannot_train_say_why() -> None:
    with pytest.raises(ValueError, match="warmup"):
        PretrainSettings(iters=4, warmup=4)
    with pytest.raises(ValueError, match="batch_size"):
        PretrainSettings(batch_size=0)
