"""The Python tools, over the sample shop project and inline snippets."""

from __future__ import annotations

from pathlib import Path

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from curate.tools.coverage import TOOL_KINDS
from tests.conftest import write_tree
from tests.tools.test_executor import PYTHON_TOOLS


def test_every_result_has_the_same_shape_and_order(shop: Store) -> None:
    arguments = {
        "find_symbols": {"kind": "class"},
        "find_imports": {"module": "shop"},
        "read_symbol": {"qualname": "Catalog"},
        "search_text": {"pattern": "def"},
    }
    for name in PYTHON_TOOLS:
        if name == "find_form_handlers":  # the shop has no forms: tests/tools/test_links.py
            continue
        result = call_tool(shop, "shop", name, arguments.get(name, {}), limit=0).model_dump()
        covered = {"coverage"} if name in TOOL_KINDS else set()
        assert set(result) == {"tool", "total", "truncated", "matches", *covered} and result["tool"] == name
        assert result["total"] == len(result["matches"]) > 0 and result["truncated"] is False
        keys = [(match["path"], match["line"]) for match in result["matches"]]
        assert keys == sorted(keys), name


def test_find_symbols_filters(shop: Store) -> None:
    def found(**arguments: object) -> list[str]:
        return [m["qualname"] for m in call_tool(shop, "shop", "find_symbols", dict(arguments), limit=0).matches]

    assert found(kind="async_method", path="src/shop/services.py") == [
        "Catalog.latest",
        "Catalog.get",
        "Catalog.add",
        "Catalog.remove",
        "Catalog.stream",
    ]
    assert found(kind="async_function", name="*item*", path="src/shop/routes") == [
        "list_items",
        "get_item",
        "create_item",
        "delete_item",
    ]
    assert found(kind="function", decorator="router.api_route") == ["replace_item"]
    assert found(kind="function", decorator="fastapi.APIRouter.delete") == ["delete_item"]
    assert found(kind="class", base="*Error") == ["ItemNotFound"]
    assert found(kind="generator") == ["lifespan", "Catalog.stream", "make_client"]
    assert found(kind="dataclass") == ["Money"] and found(kind="enum") == ["Status"]
    assert found(kind="protocol") == ["Priced"]


def test_read_symbol_returns_the_stored_source(shop: Store, tmp_path: Path) -> None:
    (match,) = call_tool(shop, "shop", "read_symbol", {"qualname": "replace_item"}).matches
    assert match["source"].splitlines()[0] == '@router.api_route("/{item_id}", methods=["PUT", "patch"])'
    assert match["source"].splitlines()[-1] == "    return item"
    assert (match["line"], match["end_line"], match["kind"]) == (32, 33, "function")


def test_find_imports_matches_modules_and_names(shop: Store) -> None:
    result = call_tool(shop, "shop", "find_imports", {"module": "fastapi.APIRouter"})
    assert [(m["path"], m["name"], m["alias"]) for m in result.matches] == [
        ("src/shop/routes/items.py", "APIRouter", "Router"),
        ("src/shop/routes/pages.py", "APIRouter", None),
    ]
    assert call_tool(shop, "shop", "find_imports", {"module": "svcs"}).total == 2


def test_search_text_literal_regex_and_case(shop: Store) -> None:
    literal = call_tool(shop, "shop", "search_text", {"pattern": "raise ItemNotFound(", "path": "src"})
    assert [(m["path"], m["line"]) for m in literal.matches] == [("src/shop/services.py", 29)]
    regex = call_tool(shop, "shop", "search_text", {"pattern": r"^class \w+\(Protocol\)", "regex": True})
    assert [m["text"] for m in regex.matches] == ["class Priced(Protocol):"]
    assert call_tool(shop, "shop", "search_text", {"pattern": "CLASS PRICED", "ignore_case": True}).total == 1
    slow = call_tool(shop, "shop", "search_text", {"pattern": "(a+)+$", "regex": True})
    assert slow.total == 0


def test_lower_case_methods_are_accepted(shop: Store) -> None:
    assert call_tool(shop, "shop", "find_routes", {"method": "post"}).matches[0]["name"] == "create_item"


def test_cli_commands_get_their_full_names(shop: Store) -> None:
    result = call_tool(shop, "shop", "find_cli_commands", {}, limit=0)
    assert [(m["name"], m["function"], m["framework"]) for m in result.matches] == [
        ("admin", "admin", "click"),
        ("reprice", "reprice_command", "click"),
        ("cache", "cache", "click"),
        ("cache clear", "clear_cache", "click"),
        ("serve", "serve", "typer"),
        ("import", "import_items", "typer"),
        ("users add-user", "add_user", "typer"),
        ("users rm", "remove_user", "typer"),
    ]
    assert call_tool(shop, "shop", "find_cli_commands", {"name": "users *"}).total == 2


def test_literal_search_agrees_with_the_store_query(shop: Store) -> None:
    from curate.tools import Executor

    executor = Executor(shop, "shop")
    files = [("shop", record.path) for record in shop.files("shop", status="ok")]
    for pattern, ignore_case in (("def ", False), ("DEF ", True), ("import", False), ("é", True), ("zzz", False)):
        expected = shop.search_lines(files, pattern, regex=False, ignore_case=ignore_case, limit=7)
        result = executor("search_text", {"pattern": pattern, "ignore_case": ignore_case}, limit=7)
        assert result.total == expected.total
        assert [(m["path"], m["line"], m["text"]) for m in result.matches] == [
            (hit.path, hit.line, hit.text.strip()) for hit in expected.matches
        ]


def test_read_symbol_counts_lines_as_python_does(store: Store, tmp_path: Path) -> None:
    source = "# a page break follows\n\x0c\ndef after_the_break():\n    return 1\n"
    write_tree(tmp_path / "ff", {"ff.py": source})
    mine(store, tmp_path / "ff", domain="ff", jobs=1)
    (match,) = call_tool(store, "ff", "read_symbol", {"qualname": "after_the_break"}).matches
    assert match["line"] == 3
    assert match["source"] == "def after_the_break():\n    return 1"
