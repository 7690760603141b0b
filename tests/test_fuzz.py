"""Fuzzing with hypothesis: the extractors, the secret scanner, the example validator and the importer
take anything and never raise; what they say about a bad input is a recorded reason.

CI runs the `ci` profile (a bounded budget, a few seconds per target). The nightly run takes the
`nightly` profile, a hundred times longer:

    HYPOTHESIS_PROFILE=nightly uv run pytest tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from curate.import_formats import FORMATS, READERS, RowError
from curate.importer import import_file
from curate.mine import mine
from curate.store import Store
from curate.verify import Verifier
from sources.html import extract_html, parse_html
from sources.html.document import HtmlParseError
from sources.python import extract_python
from sources.secrets import LINE_BREAK, PATTERNS, matches, redact_secrets
from tests.conftest import SAMPLE

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("nightly", max_examples=15_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PYTHON_PIECES = st.sampled_from(
    [
        "def f(a, b=1):\n", "async def g():\n", "class C(Base):\n", "    return x\n", "    pass\n", "@app.get('/x')\n",
        "@pytest.fixture\n", "import os\n", "from . import y\n", "x = (\n", ")\n", "'''doc\n", "\"\"\"\n", "\t", " ",
        "\\\n", "# coding: latin-1\n", "lambda: (yield)\n", "match x:\n    case 1:\n", "\x0c", "\r", "\x00",
        "ü", "\ud800",
    ]
)  # fmt: skip
HTML_PIECES = st.sampled_from(
    [
        "<html>", "<body>", "<form action='/x'>", "<input name=a required>", "<label for=a>", "</label>", "<table>",
        "<tr><th scope=col>", "<td>", "<img src=x>", "<nav>", "</nav>", "<h1>", "<h3>", "<!--", "-->", "<![CDATA[",
        "<!DOCTYPE html>", "<meta charset='koi8-r'>", "&amp;", "&#0;", "&lol;", "<svg><title>t</title></svg>",
        "<script>", "</script>", "<", ">", "\n", "\r", "\x00", "\ufeff", "é",
    ]
)  # fmt: skip


def _texts(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    joined = st.lists(pieces, max_size=40).map("".join).map(lambda text: text.encode("utf-8", "surrogatepass"))
    return st.one_of(joined, st.binary(max_size=2000))


@given(_texts(PYTHON_PIECES))
def test_the_python_extractor_takes_anything(data: bytes) -> None:
    result = extract_python("fuzz.py", data, "fuzz", False)
    assert result.status in ("ok", "failed")
    assert (result.reason is None) == (result.status == "ok")
    for fact in result.facts:
        assert 1 <= fact.line <= max(result.lines, 1)


@given(_texts(HTML_PIECES))
def test_the_html_extractor_takes_anything(data: bytes) -> None:
    result = extract_html("fuzz.html", data)
    assert result.status in ("ok", "failed")
    for fact in result.facts:
        assert 1 <= fact.line <= max(result.lines, 1)


@given(st.lists(HTML_PIECES, max_size=40).map("".join))
def test_element_paths_are_libxml2s(text: str) -> None:
    try:
        document = parse_html(text)
    except HtmlParseError:
        return
    tree = document.root.getroottree()
    for element in document.root.iter(etree.Element):
        assert document.xpath_of(element) == tree.getpath(element)


SECRET_PIECES = st.sampled_from(
    [
        "AKIA" + "QX7ZL4MR2TNB6WEP", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "password = 'Tr0ub4dor&3'",
        "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyu\r\nvBjM==\n-----END PRIVATE KEY-----",
        "https://user:hunter22@example.org", "token: 'f9a8d7c6b5e4f3a2b1c0d9e8'", "\n", "\r\n", "\r", " ", "'", "x",
    ]
)  # fmt: skip


@given(st.lists(SECRET_PIECES, max_size=30).map("".join).map(str.encode) | st.binary(max_size=2000))
def test_redaction_keeps_every_line_and_leaves_nothing_to_find(data: bytes) -> None:
    redacted, findings = redact_secrets(data)
    assert redact_secrets(redacted) == (redacted, [])
    assert len(LINE_BREAK.findall(redacted)) == len(LINE_BREAK.findall(data))
    assert [line for _, line in findings] == sorted(line for _, line in findings)


ANCHORED = [pattern for pattern in PATTERNS if pattern.anchor is not None]
NEAR_MISSES = st.sampled_from(
    [
        "://", "http", "s3+x.y-z", "x://", "a", "u", ":", "@", "@h.io", "/", "pwd", "PassWord", "passwd", "token",
        "Secret", "api_key", "apikey", "ACCESS_KEY", "_", "__", "x1", "é", " = ", ": ", " => ", "'", '"', "r'",
        "hunter22", "f9a8d7c6b5e4f3a2b1c0d9e8", "Tr0ub4dor&3", "\\n", "\n", " ", "<", ">", "b" * 39, "c" * 41,
    ]
)  # fmt: skip


@given(st.lists(NEAR_MISSES, max_size=40).map("".join).map(str.encode) | st.binary(max_size=500))
def test_anchored_patterns_find_what_their_regex_finds(data: bytes) -> None:
    for pattern in ANCHORED:
        assert [match.span() for match in matches(pattern, data)] == [
            match.span() for match in pattern.regex.finditer(data)
        ]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("fuzz") / "s.duckdb")
    mine(store, SAMPLE, domain="shop", jobs=1)
    yield store
    store.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "tool", "system", "robot"]), "content": st.text(max_size=50) | JSON}
)
RECORD = st.fixed_dictionaries(
    {
        "id": st.text(max_size=16),
        "domain": st.just("shop"),
        "kind": st.sampled_from(["tool_call", "direct", "other"]),
        "messages": st.lists(MESSAGE, max_size=5) | JSON,
    },
    optional={"tools": JSON, "provenance": JSON, "intent": st.text(max_size=10), "template": st.text(max_size=10)},
)


@given(RECORD | JSON)
def test_the_validator_takes_any_record(shop: Store, record: Any) -> None:
    verdict = Verifier(shop, "shop").verify(record)
    assert verdict.status in ("verified", "unverified", "rejected", "stale")
    if verdict.status in ("rejected", "stale"):
        assert verdict.rejection is not None and verdict.rejection.reason


@given(st.lists(st.one_of(RECORD.map(json.dumps), JSON.map(json.dumps), st.text(max_size=200)), max_size=6))
def test_the_importer_takes_any_file(shop: Store, tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    path: Path = tmp_path_factory.mktemp("import") / "rows.jsonl"
    path.write_text(
        "\n".join(line.replace("\n", " ") for line in lines) + "\n", encoding="utf-8", errors="surrogatepass"
    )
    for format in FORMATS:
        report = import_file(shop, path, "fuzzed", format=format, run_id="fuzz")
        counted = report.imported + report.already + report.folded + len(report.bad)
        assert report.failed is not None or counted == report.rows  # every row accounted for


ROW_KEYS = sorted(
    {"messages", "tools", "functions", "conversations", "system", "chat", "query", "answers"}
    | {"instruction", "input", "output", "history"}
)
TEXT_WITH_MARKERS = st.lists(
    st.sampled_from(["USER: ", "ASSISTANT: ", "FUNCTION RESPONSE: ", "<functioncall> ", "{", "}", "'", '"', "\n", "x"]),
    max_size=12,
).map("".join)


@given(st.dictionaries(st.sampled_from(ROW_KEYS), JSON | TEXT_WITH_MARKERS, max_size=5))
def test_every_reader_takes_any_row(row: dict[str, Any]) -> None:
    for format, reader in READERS.items():
        try:
            messages, tools = reader(row)
        except (RowError, AttributeError, TypeError, KeyError, ValueError, RecursionError):  # what import_file reports
            continue
        assert isinstance(messages, list) and isinstance(tools, list), format
