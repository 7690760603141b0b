"""The embedded default model: a small, randomly initialised model of mlx-lm's `qwen2` architecture
with a byte-level BPE tokenizer trained here and the Qwen2.5-style chat template, saved as a model
folder that `mlx_lm.load` (and so `mlx_lm lora`, `generate`, `server`) reads like any hub model.

It learns nothing about code by itself; it exists so the whole pipeline (train, evaluate, fuse)
runs for real on any machine, in minutes on a CPU, without a model hub.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from train.chat_template import TEMPLATES, render
from train.tokenizer import build_tokenizer

HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


class ModelNotFound(ValueError):
    """A model that is neither a local folder nor a hub id that can be fetched."""


def locate_model(name: str, *, cached_only: bool = False) -> Path:
    """A local model folder, or a Hugging Face hub id fetched (or found in the local cache) the way
    `mlx_lm.load` fetches it; with `cached_only`, only found in the cache (nothing is fetched)."""
    folder = Path(name)
    if folder.exists():
        if not (folder / "config.json").is_file():
            raise ModelNotFound(f"{name}: not a model folder (it has no config.json)")
        return folder
    if not HUB_ID.match(name):
        raise ModelNotFound(f"no model folder at {name!r}, and it is not a hub id (owner/name)")
    from huggingface_hub import snapshot_download
    from mlx_lm.utils import DEFAULT_ALLOW_PATTERNS

    try:
        return Path(snapshot_download(name, allow_patterns=DEFAULT_ALLOW_PATTERNS, local_files_only=cached_only))
    except Exception as error:  # the hub client raises many kinds: offline, unknown repo, gated, ...
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if cached_only:
            raise ModelNotFound(f"{name!r} is not in the local Hugging Face cache ({reason})") from None
        raise ModelNotFound(
            f"cannot fetch {name!r} from the Hugging Face Hub and it is not in the local cache ({reason})"
        ) from None


@dataclass(frozen=True)
class TinyModel:
    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 128
    vocab_size: int = 4096
    max_position_embeddings: int = 8192
    seed: int = 0
    template: str = "qwen"
    """A name in `train.chat_template.TEMPLATES`: how the chat template writes the tool list."""


def build_tiny_model(rows: Iterable[dict[str, Any]], folder: Path, shape: TinyModel = TinyModel()) -> Path:
    """Train the tokenizer on `rows` (mlx-lm chat rows) as the chat template renders them, so the
    tool lists every row repeats become a few tokens; initialise the model with `shape.seed`; save
    both in `folder`."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen2

    folder.mkdir(parents=True, exist_ok=True)
    template = TEMPLATES[shape.template]
    texts = (render(row["messages"], row.get("tools"), template=template) for row in rows)
    build_tokenizer(texts, folder, vocab_size=shape.vocab_size, chat_template=template)
    vocab = len(json.loads((folder / "tokenizer.json").read_text("utf-8"))["model"]["vocab"]) + _added(folder)
    config: dict[str, Any] = {
        "model_type": "qwen2",
        "architectures": ["Qwen2ForCausalLM"],
        "hidden_size": shape.hidden_size,
        "num_hidden_layers": shape.num_hidden_layers,
        "num_attention_heads": shape.num_attention_heads,
        "num_key_value_heads": shape.num_key_value_heads,
        "intermediate_size": shape.intermediate_size,
        "vocab_size": vocab,
        "max_position_embeddings": shape.max_position_embeddings,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": True,
        "curate_tiny_model": asdict(shape),
    }
    mx.random.seed(shape.seed)
    arguments: Any = qwen2.ModelArgs
    model = qwen2.Model(arguments.from_dict(config))
    mx.eval(model.parameters())
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(str(folder / "model.safetensors"), weights, metadata={"format": "mlx"})
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def _added(folder: Path) -> int:
    """Added tokens that are not in the BPE vocabulary itself."""
    tokenizer = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    vocab = tokenizer["model"]["vocab"]
    return sum(1 for token in tokenizer.get("added_tokens", []) if token["content"] not in vocab)
