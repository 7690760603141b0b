"""Generating a model's next turn with mlx-lm: a conversation and its tools in, the raw text out.

`curate chat` runs its agent loop over this when the model is local (a base model with a run's
adapters, a fused folder, or a hub id in the local cache). What the text means (a tool call, a
malformed one, an answer) is for the caller to read: `tool_call_start` and `tool_call_end` say how
this model's chat template marks a call. mlx and mlx-lm are imported when a model is loaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Generated:
    text: str
    """Everything the model wrote, special markers included (`<tool_call>...</tool_call>`)."""
    tokens: int
    seconds: float


class LocalModel:
    """A model loaded once (with its adapters, when given) that writes the next assistant turn."""

    def __init__(self, model_path: str, adapter_path: str | None = None) -> None:
        from train import quiet_transformers

        quiet_transformers()
        from mlx_lm.utils import load

        loaded: Any = load(model_path, adapter_path=adapter_path)
        self.model, self.tokenizer = loaded[0], loaded[1]
        self.tool_call_start: str = self.tokenizer.tool_call_start or "<tool_call>"
        self.tool_call_end: str = self.tokenizer.tool_call_end or "</tool_call>"

    def generate(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, *, max_tokens: int = 256
    ) -> Generated:
        """The next assistant turn, generated greedily after the chat template renders `messages`
        (tool-call arguments as objects) with `tools`."""
        from mlx_lm import generate

        prompt = self.tokenizer.apply_chat_template(
            messages, tools=tools or None, add_generation_prompt=True, tokenize=False
        )
        began = time.perf_counter()
        text = generate(self.model, self.tokenizer, prompt=prompt, max_tokens=max_tokens)
        seconds = time.perf_counter() - began
        return Generated(text, len(self.tokenizer.encode(text)), seconds)
