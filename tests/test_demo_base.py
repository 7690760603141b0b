"""The demo base: the shipped model folder loads, says what it learned, and its rows are cut as documented."""

from __future__ import annotations

import json

from curate.demo_base import DEMO_BASE, opening, turn_key


def test_an_answer_in_words_keeps_its_first_sentence_and_a_call_is_kept_whole() -> None:
    asked = {"role": "user", "content": "What is dependency injection?"}
    answer = {"role": "assistant", "content": "It passes collaborators in. So tests can pass fakes.\nMore."}
    row = json.loads(opening(json.dumps({"messages": [asked, answer]})))
    assert row["messages"][-1]["content"] == "It passes collaborators in."
    call = {"type": "function", "function": {"name": "find_symbols", "arguments": {"kind": "class"}}}
    calling = json.dumps({"messages": [asked, {"role": "assistant", "content": "", "tool_calls": [call]}]})
    assert opening(calling) == calling
    one_line = {"role": "assistant", "content": "A single sentence with no end"}
    assert json.loads(opening(json.dumps({"messages": [asked, one_line]})))["messages"][-1] == one_line


def test_the_shipped_base_records_what_it_learned_by_normalized_turn() -> None:
    record = json.loads((DEMO_BASE / "base.json").read_text())
    assert record["made_by"] == "python -m curate.demo_base" and record["parameters"] > 100_000
    assert "site" not in record["domains"] and "asyncio" not in record["domains"]  # the phases' own codebases
    learned = set(record["learned_turns"])
    assert len(learned) > 100 and all(len(key) == 16 for key in learned)
    assert turn_key("Find all   classes!") == turn_key("find all classes")
    config = json.loads((DEMO_BASE / "config.json").read_text())
    assert config["model_type"] == "qwen2" and config["num_hidden_layers"] == record["shape"]["num_hidden_layers"]
