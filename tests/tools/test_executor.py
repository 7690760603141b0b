"""The executor over the whole catalog: its order and shape, limits, argument errors, domains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.errors import InputError, ToolCallError
from curate.mine import mine
from curate.store import Store
from curate.tools import DEFAULT_LIMIT, call_tool, catalog
from tests.conftest import write_tree

PYTHON_TOOLS = (
    "find_symbols",
    "find_routes",
    "find_form_handlers",
    "find_fixtures",
    "find_cli_commands",
    "find_services",
    "find_tests",
    "find_imports",
    "read_symbol",
    "search_text",
)
HTML_TOOLS = ("query_html", "find_forms", "find_tables", "html_outline", "find_landmarks", "check_accessibility")


def test_catalog_is_an_openai_tools_list() -> None:
    tools = catalog()
    assert [tool["function"]["name"] for tool in tools] == [*PYTHON_TOOLS, *HTML_TOOLS]
    for tool in tools:
        assert tool["type"] == "function"
        parameters = tool["function"]["parameters"]
        assert parameters["type"] == "object" and parameters["additionalProperties"] is False
        assert "title" not in json.dumps(parameters)
        assert "anyOf" not in json.dumps(parameters)
    symbols = tools[0]["function"]["parameters"]
    assert symbols["required"] == ["kind"] and "async_function" in symbols["properties"]["kind"]["enum"]


def test_limit_truncates_and_zero_means_all(shop: Store) -> None:
    everything = call_tool(shop, "shop", "find_symbols", {"kind": "function"}, limit=0)
    assert everything.total > 5 and not everything.truncated
    first = call_tool(shop, "shop", "find_symbols", {"kind": "function"}, limit=5)
    assert first.truncated and first.total == everything.total and first.matches == everything.matches[:5]
    default = call_tool(shop, "shop", "find_symbols", {"kind": "function"})
    assert everything.total > DEFAULT_LIMIT and len(default.matches) == DEFAULT_LIMIT == 20


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("find_nothing", {}, "no such tool"),
        ("find_symbols", {}, "kind: Field required"),
        ("find_symbols", {"kind": "lambda"}, "kind: Input should be"),
        ("find_symbols", {"kind": "function", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("find_symbols", {"kind": "function", "base": "X"}, "base applies to class kinds only"),
        ("find_routes", {"path": "../etc"}, "must be relative to the project root"),
        ("find_routes", {"path": "/etc"}, "must be relative to the project root"),
        ("search_text", {"pattern": "(", "regex": True}, "search_text"),
        ("search_text", {"pattern": ""}, "at least 1 character"),
    ],
)
def test_bad_calls_are_clear_errors(shop: Store, name: str, arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ToolCallError, match=message.replace("(", r"\(")):
        call_tool(shop, "shop", name, arguments)


def test_unknown_domain_names_the_known_ones(shop: Store) -> None:
    with pytest.raises(InputError, match="no domain 'nope' in the store \\(domains: shop\\)"):
        call_tool(shop, "nope", "find_routes", {})


def test_a_domain_of_several_sources_prefixes_paths(store: Store, tmp_path: Path) -> None:
    one = write_tree(tmp_path / "one", {"a.py": "async def a(): ...\n"})
    two = write_tree(tmp_path / "two", {"a.py": "async def b(): ...\n"})
    mine(store, one, domain="both", jobs=1)
    mine(store, two, domain="both", jobs=1)
    result = call_tool(store, "both", "find_symbols", {"kind": "async_function", "path": "two"})
    assert [(m["path"], m["name"]) for m in result.matches] == [("two/a.py", "b")]
    (source,) = call_tool(store, "both", "read_symbol", {"qualname": "a"}).matches
    assert source["path"] == "one/a.py" and source["source"] == "async def a(): ..."
