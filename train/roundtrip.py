"""The export round trip, with mlx-lm's own code: rows load through `mlx_lm.tuner.datasets`, render
through the tokenizer's chat template with their tools, tokenize with the prompt masked as training
will mask it, and every rendered tool call parses back, with mlx-lm's tool parser, to the same name
and arguments as the row's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from train import quiet_transformers

SPLITS = ("train", "valid", "test")


@dataclass
class RoundTrip:
    rows: int = 0
    calls: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sample_indexes(size: int, sample: int) -> list[int]:
    """Evenly spread, always the first and the last: the same rows every time."""
    if size <= sample:
        return list(range(size))
    step = (size - 1) / (sample - 1)
    return sorted({round(index * step) for index in range(sample)})


def check_export(folder: Path, tokenizer_dir: Path, *, sample: int = 200) -> RoundTrip:
    """Check up to `sample` rows of each split file (the same rows every time). The system turn is
    skipped when looking for calls: it shows the call format itself in its instructions."""
    quiet_transformers()
    from mlx_lm.tokenizer_utils import load as load_tokenizer
    from mlx_lm.tuner.datasets import load_local_dataset

    tokenizer: Any = load_tokenizer(Path(tokenizer_dir))
    if tokenizer.tool_parser is None:
        return RoundTrip(problems=[f"{tokenizer_dir}: its chat template has no tool-call format mlx-lm can parse"])
    config = SimpleNamespace(mask_prompt=True, chat_feature="messages", text_feature="text")
    loaded = load_local_dataset(Path(folder), tokenizer, config)
    outcome = RoundTrip()
    for split, dataset in zip(SPLITS, loaded, strict=True):
        for index in sample_indexes(len(dataset), sample):
            row: dict[str, Any] = dataset[index]
            where = f"{split}.jsonl row {index + 1}"
            tokens, offset = dataset.process(row)
            if not 0 < offset < len(tokens):
                outcome.problems.append(
                    f"{where}: the masked prompt leaves nothing to train ({offset} of {len(tokens)} tokens)"
                )
            text = tokenizer.apply_chat_template(row["messages"], tools=row.get("tools"), tokenize=False)
            expected = [
                {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}
                for message in row["messages"]
                for call in message.get("tool_calls") or []
            ]
            first_user = next((m.get("content") or "" for m in row["messages"] if m.get("role") == "user"), "")
            body = text[conversation_start(text, first_user) :]
            parsed = [_parse(tokenizer, segment, row.get("tools")) for segment in _segments(tokenizer, body)]
            if parsed != expected:
                outcome.problems.append(f"{where}: calls render and parse back as {json.dumps(parsed)[:200]}")
            outcome.rows += 1
            outcome.calls += len(expected)
    return outcome


def conversation_start(text: str, first_user: str) -> int:
    """Where the rendered conversation starts: at the first user turn (ChatML's marker when the
    template has it), past the system turn that shows the call format in its instructions."""
    for needle in (f"<|im_start|>user\n{first_user}", first_user):
        tools_end = text.rfind("</tools>")
        position = text.find(needle, tools_end if tools_end >= 0 else 0)
        if needle and position >= 0:
            return position
    return 0


def _segments(tokenizer: Any, text: str) -> list[str]:
    start, end = tokenizer.tool_call_start, tokenizer.tool_call_end
    segments = []
    position = text.find(start)
    while position != -1:
        stop = text.find(end, position)
        if stop == -1:
            break
        segments.append(text[position + len(start) : stop])
        position = text.find(start, stop)
    return segments


def _parse(tokenizer: Any, segment: str, tools: Any) -> Any:
    try:
        return tokenizer.tool_parser(segment, tools)
    except Exception as error:  # a parser failure is a finding, not a crash
        return {"unparsable": f"{type(error).__name__}: {error}"}
