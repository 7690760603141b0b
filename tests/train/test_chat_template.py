"""The two chat templates: the compact one lists each tool on a line, and writes every turn as the
Qwen-style one does, so the same parser reads both models' calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.tools import catalog
from train.chat_template import CHAT_TEMPLATE, COMPACT_TEMPLATE, render
from train.model import TinyModel, build_tiny_model

CALL = {"type": "function", "function": {"name": "find_symbols", "arguments": {"kind": "class"}}}
CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "content": "Find all classes"},
    {"role": "assistant", "content": "", "tool_calls": [CALL]},
    {"role": "tool", "content": '{"matches": []}'},
    {"role": "assistant", "content": "There are none."},
]


def tools_block(text: str) -> list[str]:
    return text.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0].splitlines()


def test_the_compact_template_gives_each_tool_one_line_with_its_parameters_and_allowed_values() -> None:
    tools = catalog()
    lines = tools_block(render(CONVERSATION[:1], tools, template=COMPACT_TEMPLATE))
    assert [line.split("(", 1)[0] for line in lines] == [tool["function"]["name"] for tool in tools]
    symbols = lines[0]
    assert "kind=function|async_function|" in symbols and "decorator" in symbols
    assert symbols.endswith(
        ") Find functions, methods, classes or modules by kind, name, decorator, base class or path."
    )
    accessibility = next(line for line in lines if line.startswith("check_accessibility("))
    assert "rules=image-alt|label|" in accessibility  # an array's allowed items count as its values
    assert len(render(CONVERSATION[:1], tools, template=COMPACT_TEMPLATE)) * 3 < len(render(CONVERSATION[:1], tools))


def test_both_templates_write_the_conversation_itself_identically() -> None:
    tools = catalog()[:2]
    qwen = render(CONVERSATION, tools, template=CHAT_TEMPLATE)
    compact = render(CONVERSATION, tools, template=COMPACT_TEMPLATE)
    assert qwen.split("<|im_end|>\n", 1)[1] == compact.split("<|im_end|>\n", 1)[1]
    assert '<tool_call>\n{"name": "find_symbols", "arguments": {"kind": "class"}}\n</tool_call>' in compact
    assert render(CONVERSATION, None, template=COMPACT_TEMPLATE) == render(CONVERSATION, None)


def test_a_compact_model_reads_its_template_and_parses_calls_with_mlx_lms_tool_parser(tmp_path: Path) -> None:
    from mlx_lm import load

    rows = [{"messages": CONVERSATION, "tools": catalog()}]
    folder = build_tiny_model(rows, tmp_path / "compact", TinyModel(vocab_size=600, template="compact"))
    _, tokenizer = load(str(folder))
    prompt = tokenizer.apply_chat_template(
        CONVERSATION[:1], tools=catalog(), add_generation_prompt=True, tokenize=False
    )
    assert "\nfind_forms(path) Find HTML forms" in prompt and '"type": "object"' not in prompt
    assert tokenizer.tool_parser is not None
    parsed = tokenizer.tool_parser('{"name": "find_forms", "arguments": {"path": "site"}}', catalog())
    assert parsed["name"] == "find_forms" and parsed["arguments"] == {"path": "site"}
    assert json.loads((folder / "config.json").read_text())["curate_tiny_model"]["template"] == "compact"
