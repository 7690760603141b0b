"""LoRA settings: mlx-lm's config files, the command line's precedence over them, bad values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curate.cli_training import _settings
from curate.errors import InputError
from train.fuse import FuseError, fuse
from train.lora import LoraSettings, SettingsError, checkpoints, settings_from_config

# The shape of mlx-lm's own examples/lora_config.yaml
MLX_LM_CONFIG = """
model: "mlx-community/Qwen2.5-Coder-7B-Instruct-4bit"
train: true
fine_tune_type: lora
optimizer: adamw
data: "./data"
seed: 0
num_layers: 16
batch_size: 1
iters: 500
val_batches: 25
learning_rate: 1e-5
steps_per_report: 10
steps_per_eval: 200
resume_adapter_file: null
adapter_path: "adapters_phase7"
save_every: 250
test: false
test_batches: 100
max_seq_length: 2048
grad_checkpoint: true
lora_parameters:
  keys: null
  rank: 8
  scale: 20.0
  dropout: 0.0
mask_prompt: true
"""


def test_an_mlx_lm_config_sets_what_it_names_and_says_what_curate_decides() -> None:
    import yaml

    settings, model, notes = settings_from_config(yaml.safe_load(MLX_LM_CONFIG))
    assert model == "mlx-community/Qwen2.5-Coder-7B-Instruct-4bit"
    assert (settings.iters, settings.batch_size, settings.save_every, settings.optimizer) == (500, 1, 250, "adamw")
    assert settings.learning_rate == 1e-5 and settings.grad_checkpoint and settings.rank == 8
    assert notes == [
        "train (curate sets it)",
        "data (curate sets it)",
        "resume_adapter_file (curate sets it)",
        "adapter_path (curate sets it)",
        "test (curate sets it)",
        "test_batches (curate sets it)",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"lora_parameters": {"keys": ["self_attn.q_proj"]}}, "unsupported key(s) keys"),
        ({"iterations": 5}, "unknown mlx-lm config key 'iterations'"),
        ({"optimizer": "lion"}, "optimizer 'lion' is not one of"),
        ({"fine_tune_type": "qlora"}, "fine_tune_type 'qlora' is not one of"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"batch_size": 1.5}, "batch_size must be an integer, not 1.5"),
        ({"mask_prompt": "yes"}, "mask_prompt must be true or false, not 'yes'"),
        ({"learning_rate": "fast"}, "learning_rate must be a number, not 'fast'"),
        ({"optimizer": None}, "optimizer must be a string, not None"),
        ({"optimizer_config": ["adam"]}, "optimizer_config must map an optimizer's name to its options"),
        ({"lr_schedule": "cosine"}, "lr_schedule must be a mapping"),
        ({"seed": -1}, "seed must be between 0 and 4294967294, not -1"),
        ({"lora_parameters": {"dropout": 1.5}}, "dropout must be between 0 and 1, not 1.5"),
        ({"save_every": 10, "grad_accumulation_steps": 4}, "save_every (10) must be a multiple of grad_accumulation"),
    ],
)
def test_a_config_that_cannot_be_used_says_why(config: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        settings_from_config(config)


def test_flags_given_win_over_the_config_which_wins_over_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "lora.yaml"
    config.write_text("iters: 40\nbatch_size: 2\nmodel: some/model\n")
    settings, model = _settings(config, None, {"iters": 7})
    assert (settings.iters, settings.batch_size, settings.learning_rate, model) == (7, 2, 1e-5, "some/model")
    assert _settings(config, "tiny", {})[1] == "tiny"
    assert _settings(None, None, {}) == (LoraSettings(), "tiny")
    config.write_text("- a list\n")
    with pytest.raises(InputError, match="an mlx-lm config is a YAML mapping"):
        _settings(config, None, {})
    config.write_text("iters: [unclosed\n")
    with pytest.raises(InputError, match="cannot read it"):
        _settings(config, None, {})


def test_only_checkpoints_with_their_optimizer_state_can_be_resumed(tmp_path: Path) -> None:
    for name in ("0000100_adapters", "0000100_optimizer", "0000200_adapters", "adapters"):
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
    assert checkpoints(tmp_path) == [100] and checkpoints(tmp_path / "missing") == []


def test_fuse_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(FuseError, match="cannot quantize to 7 bits"):
        fuse("model", tmp_path, tmp_path / "out", bits=7)
    with pytest.raises(FuseError, match=r"no adapters\.safetensors with its adapter_config\.json"):
        fuse("model", tmp_path, tmp_path / "out")
