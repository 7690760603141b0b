"""Stage 6: the conversation, tools included, fits the token budget.

Without a tokenizer the length is an estimate that errs long (it rejects early rather than letting
training truncate); `tokenizer_counter` counts with the model's real tokenizer.
"""

from __future__ import annotations

import json
import math

from curate.errors import InputError
from curate.verify.stage import Context, Passed, Stage, StageFailure, TokenCounter
from schemas import Example

DEFAULT_MAX_TOKENS = 4096
BYTES_PER_TOKEN = 3
"""The length estimate without a tokenizer: one token per 3 UTF-8 bytes of the JSON conversation and
tools, rounded up. BPE tokenizers of code models (Qwen2.5's included) average more bytes than that per
token on English, code and JSON, so the estimate errs long: it rejects early rather than truncating."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def conversation_text(example: Example) -> str:
    """What is counted: the messages and the offered tools as one JSON text."""
    return json.dumps(
        {"messages": [m.model_dump(exclude_none=True) for m in example.messages], "tools": example.tools},
        ensure_ascii=False,
    )


def tokenizer_counter(path: str) -> TokenCounter:
    """Count with a real tokenizer: a `tokenizer.json` file, or a model folder holding one."""
    from pathlib import Path

    from tokenizers import Tokenizer

    location = Path(path)
    file = location / "tokenizer.json" if location.is_dir() else location
    if not file.is_file():
        raise InputError("no tokenizer.json here", path=str(location))
    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as error:  # tokenizers raises its own exception types for any unreadable file
        raise InputError(f"not a tokenizer: {str(error).splitlines()[0]}", path=str(file)) from None
    return lambda text: len(tokenizer.encode(text).ids)


def check_length(example: Example, context: Context) -> Passed:
    tokens = context.count_tokens(conversation_text(example))
    if tokens > context.max_tokens:
        raise StageFailure("length", f"{tokens} tokens, over the maximum of {context.max_tokens}")
    return Passed(tokens=tokens)


LENGTH = Stage("length", check_length)
