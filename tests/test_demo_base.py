"""The demo base: the shipped model folder loads, says what it learned, and its rows are cut as documented."""

from __future__ import annotations

import json

from curate.demo_base import DEMO_BASE, turn_key
from train.chat_template import COMPACT_TEMPLATE


def test_the_shipped_base_records_what_it_learned_by_normalized_turn() -> None:
    record = json.loads((DEMO_BASE / "base.json").read_text())
    assert record["made_by"] == "python -m curate.demo_base" and record["parameters"] > 100_000
    assert "site" not in record["domains"] and "asyncio" not in record["domains"]  # the phases' own codebases
    learned = set(record["learned_turns"])
    assert len(learned) > 100 and all(len(key) == 16 for key in learned)
    assert turn_key("Find all   classes!") == turn_key("find all classes")
    config = json.loads((DEMO_BASE / "config.json").read_text())
    assert config["model_type"] == "qwen2" and config["num_hidden_layers"] == record["shape"]["num_hidden_layers"]
    assert record["shape"]["template"] == "compact"
    assert (DEMO_BASE / "chat_template.jinja").read_text() == COMPACT_TEMPLATE
