"""Fuse trained adapters into their base model, dequantized, optionally quantized again, saved as a
model folder `mlx_lm.load` reads: what `mlx_lm fuse --dequantize` followed by `mlx_lm convert -q` does.

The folder is written aside and renamed into place, so it is whole or absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from train import quiet_transformers

QUANTIZE_BITS = (2, 3, 4, 5, 6, 8)


class FuseError(ValueError):
    """Adapters that cannot be fused, or a destination that cannot be written."""


def fuse(model_path: str, adapters: Path, out: Path, *, bits: int | None = None, group_size: int = 64) -> Path:
    """Fuse `adapters` into `model_path` and save the result in `out` (which must not exist or be empty)."""
    quiet_transformers()
    from mlx.utils import tree_unflatten
    from mlx_lm.utils import dequantize_model, load, quantize_model, save

    if bits is not None and bits not in QUANTIZE_BITS:
        raise FuseError(f"cannot quantize to {bits} bits (choose one of {', '.join(map(str, QUANTIZE_BITS))})")
    if not (adapters / "adapters.safetensors").is_file() or not (adapters / "adapter_config.json").is_file():
        raise FuseError(f"{adapters}: no adapters.safetensors with its adapter_config.json")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FuseError(f"{out} already exists and is not empty")
    loaded: Any = load(model_path, adapter_path=str(adapters), return_config=True)
    model, tokenizer, config = loaded
    fused = [(name, module.fuse(dequantize=True)) for name, module in model.named_modules() if hasattr(module, "fuse")]
    if fused:
        model.update_modules(tree_unflatten(fused))
    model = dequantize_model(model)
    config.pop("quantization", None)
    config.pop("quantization_config", None)
    if bits is not None:
        model, config = quantize_model(model, config, group_size, bits)
    staged = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        save(staged, model_path, model, tokenizer, config, donate_model=False)
        if out.exists():
            out.rmdir()
        staged.rename(out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return out
