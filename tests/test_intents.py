"""The intent catalog: the shipped files, their version, every load error at its file and line, and a
toy intent added from a TOML file that synthesizes verified examples."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate import answers
from curate.errors import InputError
from curate.intents import (
    CATALOG_VERSION,
    INTENTS,
    INTENTS_DIR,
    WRITERS,
    Call,
    extra_intents,
    load_catalog,
    writer,
)
from curate.mine import mine
from curate.store import Store
from curate.synth import run_synth
from curate.tools import TOOLS
from curate.tools.html import HTML_TOOLS
from curate.verify import Verifier
from schemas import ToolResult
from tests.conftest import SAMPLE

TOY = """\
# a toy intent
[[intent]]
name = "toy_classes"
tool = "find_symbols"
language = "python"
calls = { builder = "by_folder", fact_kind = "class", arguments = { kind = "class" } }
answer = { writer = "toy_listing" }
templates = [
    "Which classes does the toy catalog know about?",
    "toy classes under {path}?",
]
"""


def toy_listing(result: ToolResult, call: Call, style: answers.Style) -> str:
    subject = answers.Subject("toy class", "toy classes", "in the toy catalog")
    return answers.listing(result, subject, answers.symbol_item, style)


@pytest.fixture
def toy_writer() -> Iterator[None]:
    writer("toy_listing")(toy_listing)
    yield
    WRITERS.unregister("toy_listing")


def test_the_shipped_catalog_holds_every_intent_in_order() -> None:
    assert len(INTENTS) == 32
    assert sum(len(intent.templates) for intent in INTENTS.values()) == 141
    assert list(INTENTS)[:2] == ["async_functions", "generators"]
    assert list(INTENTS)[-2:] == ["css_query", "xpath_query"]
    assert INTENTS["routes"].templates[4] == "Which routes handle {method} requests?"
    languages = [intent.language for intent in INTENTS.values()]
    assert languages == sorted(languages, key=["python", "html"].index)


def test_every_tool_serves_its_language() -> None:
    assert {name: sorted(tool.languages) for name, tool in TOOLS.items() if tool.languages != {"python"}} == {
        "search_text": ["html", "python"],
        "find_form_handlers": ["html", "python"],
        **{tool.name: ["html"] for tool in HTML_TOOLS},
    }


def test_the_version_is_a_hash_of_the_files(tmp_path: Path) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", CATALOG_VERSION)
    assert load_catalog(INTENTS_DIR).version == CATALOG_VERSION
    copy = shutil.copytree(INTENTS_DIR, tmp_path / "intents")
    assert load_catalog(copy).version == CATALOG_VERSION
    python = copy / "10-python.toml"
    python.write_text(python.read_text() + "\n")
    assert load_catalog(copy).version != CATALOG_VERSION


def test_a_toy_intent_from_a_file_synthesizes_verified_examples(tmp_path: Path, toy_writer: None) -> None:
    folder = tmp_path / "intents"
    folder.mkdir()
    (folder / "toy.toml").write_text(TOY)
    store = Store.open(tmp_path / "s.duckdb")
    try:
        mine(store, SAMPLE, domain="shop", jobs=1)
        with extra_intents(folder) as catalog:
            assert list(catalog.intents)[-1] == "toy_classes"
            assert catalog.version != CATALOG_VERSION
            synthesis, added = run_synth(
                store, "shop", 3, run_id="toy", tool_ratio=1.0, seed=1, intents=["toy_classes"]
            )
        assert "toy_classes" not in INTENTS
        assert {item.record["catalog_version"] for item in synthesis.examples} == {catalog.version}
        assert added == 3
        verifier = Verifier(store, "shop")
        for item in synthesis.examples:
            assert item.record["intent"] == "toy_classes"
            assert "toy class" in item.record["messages"][-1]["content"]
            outcome = verifier.verify(item.record)
            assert outcome.passed, outcome.rejection
        queries = {item.query for item in synthesis.examples}
        assert "Which classes does the toy catalog know about?" in queries
    finally:
        store.close()


# -- load errors: each names the file and the line -----------------------------------------------
ERRORS = [
    ('tool = "find_symbols"', 'tool = "find_everything"', "unknown tool 'find_everything'", 'tool = "find_everything"'),
    ('language = "python"', 'language = "html"', "tool find_symbols serves python, not 'html'", 'language = "html"'),
    ("templates = [", 'colour = "blue"\ntemplates = [', "unknown key 'colour'", 'colour = "blue"'),
    (
        'answer = { writer = "listing", singular = "class", plural = "classes", item = "symbol" }\n',
        "",
        "lacks 'answer'",
        "[[intent]]",
    ),
    ('writer = "listing"', 'writer = "poem"', "unknown answer writer 'poem'", "answer = "),
    ('builder = "by_folder"', 'builder = "by_moon"', "unknown call builder 'by_moon'", "calls = "),
    ('fact_kind = "class"', 'fact_kind = "class", depth = 2', "depth: Extra inputs are not permitted", "calls = "),
    ('fact_kind = "class", ', "", "fact_kind: Field required", "calls = "),
    ('item = "symbol"', 'item = "poem"', "unknown item 'poem'", "answer = "),
    ('plural = "classes"', "plural = 2", "plural: Input should be a valid string", "answer = "),
    (
        '"classes under {path}?"',
        '"classes named {name}?"',
        "names ['name'], which no call of by_folder fills",
        "classes named",
    ),
    ('"classes under {path}?"', '"classes under {path?"', "template 'classes under {path?'", "classes under {path?"),
    ('name = "toy"', 'name = "classes"', "intent 'classes' repeats", 'name = "classes"'),
    ("# a toy catalog", "version = 2\n# a toy catalog", "unknown key 'version'", "version = 2"),
    ('item = "symbol" }', 'item = "symbol"', "not TOML", 'answer = { writer = "listing"'),
    ('{ kind = "class" }', '{ kind = "klass" }', "arguments for find_symbols: kind: Input should be", "calls = "),
    ('{ kind = "class" }', '{ kinds = "class" }', "arguments for find_symbols: kinds: Extra inputs", "calls = "),
]
BASE = """\
# a toy catalog

[[intent]]
name = "other"
tool = "find_symbols"
language = "python"
calls = { builder = "everything" }
answer = { writer = "listing", singular = "thing", plural = "things", item = "symbol" }
templates = ["things?"]

[[intent]]
name = "toy"
tool = "find_symbols"
language = "python"
calls = { builder = "by_folder", fact_kind = "class", arguments = { kind = "class" } }
answer = { writer = "listing", singular = "class", plural = "classes", item = "symbol" }
templates = [
    "Which classes are there?",
    "classes under {path}?",
]
"""


def test_the_base_of_the_error_cases_loads(tmp_path: Path) -> None:
    (tmp_path / "toy.toml").write_text(BASE)
    assert list(load_catalog(tmp_path).intents) == ["other", "toy"]


@pytest.mark.parametrize(("old", "new", "message", "at"), ERRORS, ids=[case[2][:40] for case in ERRORS])
def test_a_bad_entry_is_an_error_at_its_file_and_line(
    tmp_path: Path, old: str, new: str, message: str, at: str
) -> None:
    head, header, tail = BASE.rpartition("[[intent]]")
    text = head + header + tail.replace(old, new, 1) if old in tail else BASE.replace(old, new, 1)
    path = tmp_path / "toy.toml"
    path.write_text(text)
    folders = [tmp_path] if "repeats" not in message else [INTENTS_DIR, tmp_path]
    with pytest.raises(InputError) as raised:
        load_catalog(*folders)
    error = raised.value
    wanted = max(number for number, line in enumerate(text.splitlines(), start=1) if at in line)
    assert (error.path, error.line) == (str(path), wanted), str(error)
    assert message in str(error)
    assert str(error).startswith(f"{path}:{wanted}: ")


def test_a_name_twice_in_one_file_points_at_the_second(tmp_path: Path) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(BASE.replace('name = "other"', 'name = "toy"'))
    with pytest.raises(InputError, match=r"toy.toml:12: intent 'toy' repeats .*toy.toml:4"):
        load_catalog(tmp_path)


def test_a_folder_without_intent_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no intent files"):
        load_catalog(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        load_catalog(tmp_path / "missing")
