"""The tiny local model is a real mlx-lm model, and mlx-lm's own LoRA trainer trains it on an export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from train.lora import LoraSettings, train_lora
from train.model import TinyModel, build_tiny_model

EXPORT = Path(__file__).resolve().parent.parent / "golden" / "export"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [json.loads(line) for line in (EXPORT / "train.jsonl").open()]
    return build_tiny_model(rows, tmp_path_factory.mktemp("model") / "tiny", TinyModel(vocab_size=2048))


def test_the_tiny_model_loads_and_generates_with_mlx_lm(tiny: Path) -> None:
    from mlx_lm import generate, load

    model, tokenizer = load(str(tiny))
    assert len(model.layers) == 2 and tokenizer.tool_parser is not None
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Find all async functions"}], add_generation_prompt=True, tokenize=False
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    assert isinstance(generate(model, tokenizer, prompt=prompt, max_tokens=4), str)
    config = json.loads((tiny / "config.json").read_text())
    assert config["model_type"] == "qwen2" and config["vocab_size"] >= 1000


@pytest.mark.slow
def test_lora_training_lowers_validation_loss_and_checkpoints(tiny: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "valid"):
        shutil.copy(EXPORT / f"{split}.jsonl", data / f"{split}.jsonl")
    reports: list[tuple[str, dict[str, Any]]] = []
    settings = LoraSettings(
        iters=12,
        batch_size=2,
        learning_rate=2e-3,
        steps_per_eval=6,
        save_every=6,
        steps_per_report=3,
        val_batches=2,
        max_seq_length=2048,
    )
    layers = train_lora(
        data,
        str(tiny),
        tmp_path / "adapters",
        settings,
        on_train=lambda info: reports.append(("train", info)),
        on_val=lambda info: reports.append(("val", info)),
    )
    assert layers == 2
    val = [info["val_loss"] for kind, info in reports if kind == "val"]
    assert len(val) == 3 and val[-1] < val[0]
    train = [info for kind, info in reports if kind == "train"]
    assert [info["iteration"] for info in train] == [3, 6, 9, 12]
    assert {"train_loss", "learning_rate", "iterations_per_second", "tokens_per_second", "peak_memory"} <= set(train[0])
    names = sorted(path.name for path in (tmp_path / "adapters").iterdir())
    assert names == [
        "0000006_adapters.safetensors",
        "0000006_optimizer.safetensors",
        "0000012_adapters.safetensors",
        "0000012_optimizer.safetensors",
        "adapter_config.json",
        "adapters.safetensors",
    ]


def test_the_token_limit_fits_the_expected_turn_so_no_call_is_cut_before_it_can_be_read(tiny: Path) -> None:
    from mlx_lm import load

    from train.evaluate import FIT_MARGIN, Prompt, token_limit

    tokenizer = load(str(tiny))[1]
    path = "src/shop/services/payments/providers/stripe/webhooks/handlers.py"
    call = {"name": "find_symbols", "arguments": {"kind": "async_function", "path": path}}
    turn = {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": call}]}
    asked = [{"role": "user", "content": f"Find all async functions in {path}"}]
    prompt = Prompt(asked, None, None, reference=turn)
    rendered = tokenizer.apply_chat_template(asked, add_generation_prompt=True, tokenize=False)
    whole = tokenizer.apply_chat_template([*asked, turn], tokenize=False)
    needed = len(tokenizer.encode(whole[len(rendered) :]))
    assert needed > 48  # the old fixed limit would have cut this call
    assert token_limit(tokenizer, prompt, rendered, None) == needed + FIT_MARGIN
    assert token_limit(tokenizer, prompt, rendered, 12) == 12
    with pytest.raises(ValueError, match="max_tokens"):
        token_limit(tokenizer, Prompt(asked, None, None), rendered, None)
