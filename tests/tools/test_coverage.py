"""Coverage: what a framework-bound tool searched, derived from the domain's imports and the packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.errors import InputError
from curate.mine import mine
from curate.store import Store
from curate.tools import Executor, result_content
from curate.tools.coverage import TOOL_KINDS, coverage, frameworks, known, load_frameworks, reads
from schemas.tool import Coverage
from sources.python.packs import PACKS
from tests.conftest import write_tree

TWO_FRAMEWORKS = {
    "api.py": """\
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/items")
        def items():
            return []
        """,
    "web.py": """\
        import flask

        site = flask.Flask(__name__)

        @site.route("/")
        def index():
            return "hi"
        """,
}


def test_every_framework_a_pack_reads_is_in_the_table() -> None:
    for pack in PACKS:
        for kind, names in pack.reads.items():
            assert kind in TOOL_KINDS.values(), (pack.name, kind)
            assert names <= {item.name for item in known(kind)}, (pack.name, kind)
    assert reads("route") == frozenset().union(*(pack.reads.get("route", frozenset()) for pack in PACKS))
    assert {"fastapi", "starlette"} <= reads("route") and reads("fixture") == {"pytest"}


def test_a_domain_importing_flask_and_fastapi_uses_both(store: Store, tmp_path: Path) -> None:
    mine(store, write_tree(tmp_path / "two", TWO_FRAMEWORKS), domain="two", jobs=1)
    result = Executor(store, "two")("find_routes", {})
    read = sorted(reads("route"))
    assert result.coverage == Coverage(
        uses=["fastapi", "flask"], reads=read, unread=sorted({"fastapi", "flask"} - set(read))
    )
    assert "fastapi" in read  # the FastAPI route is found, whatever else is
    assert any(match["route"] == "/items" for match in result.matches)
    shown = {"uses": ["fastapi", "flask"], "reads": read, "unread": sorted({"fastapi", "flask"} - set(read))}
    assert result_content(result).endswith(',"coverage":' + json.dumps(shown, separators=(",", ":")) + "}")
    other = Executor(store, "two")("find_cli_commands", {})
    assert other.coverage == Coverage(uses=["flask"], reads=sorted(reads("cli_command")), unread=[])  # app.cli is Click


def test_a_domain_importing_nothing_uses_nothing(store: Store, tmp_path: Path) -> None:
    mine(store, write_tree(tmp_path / "plain", {"calc.py": "def add(a, b):\n    return a + b\n"}), domain="p", jobs=1)
    executor = Executor(store, "p")
    for tool, kind in TOOL_KINDS.items():
        result = executor(tool, {})
        assert (result.total, result.coverage) == (0, Coverage(uses=[], reads=sorted(reads(kind)), unread=[]))
    plain = result_content(executor("find_symbols", {"kind": "function"}))
    assert plain.startswith('{"tool":"find_symbols","total":1,') and "coverage" not in plain


def test_which_imports_mean_a_framework_is_used() -> None:
    def used(kind: str, *names: str) -> list[str]:
        return coverage(kind, names).uses

    assert used("test", "unittest") == ["unittest"]  # `import unittest` reaches unittest.TestCase
    assert used("test", "unittest.mock") == []
    assert used("route", "django.urls.path", "aiohttp.web") == ["aiohttp", "django"]
    assert used("route", "django.db.models") == []
    assert used("route", "flaskext") == []
    assert used("cli_command", "argparse", "typer.Typer") == ["argparse", "typer"]
    assert coverage("route", ["bottle"]).unread == ["bottle"]  # a framework no pack reads


def test_the_table_is_checked_with_file_and_line(tmp_path: Path) -> None:
    assert frameworks()[0].name == "fastapi" and len({item.name for item in frameworks()}) == len(frameworks())
    table = tmp_path / "frameworks.toml"
    table.write_text(
        '[[framework]]\nname = "flask"\ndisplay = "Flask"\nkinds = ["route"]\nimports = ["flask"]\n\n'
        '[[framework]]\nname = "bottle"\ndisplay = "Bottle"\nkinds = ["routes"]\nimports = ["bottle"]\n'
    )
    with pytest.raises(InputError, match=rf"^{table}:7: bottle: kinds must be a non-empty list of cli_command, "):
        load_frameworks(table)
    table.write_text('[[framework]]\nname = "Flask"\ndisplay = "Flask"\nkinds = ["route"]\nimports = ["flask"]\n')
    with pytest.raises(InputError, match=rf"^{table}:1: name 'Flask' must be a lowercase distribution name$"):
        load_frameworks(table)
    table.write_text('[[framework]]\nname = "x"\nkinds = ["route"]\nimports = ["x"]\nurl = 1\n')
    with pytest.raises(InputError, match=rf"^{table}:1: entry #1 unknown key 'url'"):
        load_frameworks(table)
    table.write_text("[[framework]\n")
    with pytest.raises(InputError, match=rf"^{table}:1: not TOML: "):
        load_frameworks(table)
