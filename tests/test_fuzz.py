"""Fuzzing with hypothesis: the extractors, the secret scanner, the example validator and the importer
take anything and never raise; what they say about a bad input is a recorded reason.

CI runs the `ci` profile (a bounded budget, a few seconds per target). The nightly run takes the
`nightly` profile, a hundred times longer:

    HYPOTHESIS_PROFILE=nightly uv run pytest tests/test_fuzz.py
"""

from __future__ import annotations

import html
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
from curate.verify import StageFailure, Verifier, check_secrets
from schemas import Example
from sources.extract import extract_file
from sources.files import SourceFile
from sources.html import extract_html, parse_html
from sources.html.document import HtmlParseError
from sources.python import extract_python
from sources.secrets import LINE_BREAK, MARKERS, PATTERNS, REDACTION_ROUNDS, markers_in, matches, redact_secrets
from sources.spellings import (
    _markers_once_resolved,
    find_secrets_in_spellings,
    hide_secret_names,
    redact_strings,
    redact_text,
    strings_in,
)
from tests import test_secret_spellings as spelled
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


# -- secrets in random spellings (`tests/test_secret_spellings.py` plants each in each, end to end) --

PLANTED = st.lists(st.tuples(st.sampled_from(spelled.SAMPLES), st.booleans()), min_size=1, max_size=6)
FILLER = st.sampled_from(["", "# note\n", "\n", "x = 1\n", "def f():\n    return 'a+b'\n", "Y = '&#65;KI'\n"])


def _unfound(text: str, planted: list[spelled.Sample]) -> None:
    for sample in planted:
        assert all(piece not in text for piece in spelled.pieces(sample.secret)), sample.kind


@given(PLANTED, st.lists(FILLER, min_size=6, max_size=6), st.booleans())
def test_a_planted_secret_in_any_python_spelling_is_redacted(
    planted: list[tuple[spelled.Sample, bool]], filler: list[str], seven: bool
) -> None:
    """Samples between random lines, the module plain or in UTF-7 (`seven`), `True` placing the
    sample inside a function."""
    body = "".join(
        filler[index]
        + (f"def g{index}():\n    v = '''{sample.text}'''\n" if inside else f"V{index} = '''{sample.text}'''\n")
        for index, (sample, inside) in enumerate(planted)
    )
    module = "# -*- coding: utf-7 -*-\n" + spelled.utf7(body) if seven else body
    result = extract_file("fuzz.py", module.encode(), "python", "fuzz", False)
    assert result.status == "ok", result.error
    assert {sample.kind for sample, _ in planted} <= {kind for kind, _ in result.secrets}
    _unfound((result.text or "") + json.dumps(result.rows), [sample for sample, _ in planted])
    assert result.lines == len(module.encode().decode("utf-7" if seven else "utf-8").splitlines())


@given(PLANTED, st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_a_planted_secret_in_any_html_spelling_is_redacted(
    planted: list[tuple[spelled.Sample, bool]], encoding: str
) -> None:
    """Samples in a page, each plain or in character references (`True`), the page in an encoding."""
    rows = "".join(
        f"<pre>{spelled.character_references(sample.text) if refs else sample.text.replace('<', '&lt;')}</pre>\n"
        for sample, refs in planted
    )
    page = (
        f"<!doctype html>\n<html><head><meta charset={encoding}><title>t</title></head><body>\n{rows}</body></html>\n"
    )
    result = extract_file("fuzz.html", page.encode(encoding), "html", "", False)
    assert result.status == "ok", result.error
    assert {sample.kind for sample, _ in planted} <= {kind for kind, _ in result.secrets}
    _unfound((result.text or "") + json.dumps(result.rows), [sample for sample, _ in planted])
    assert result.lines == page.count("\n")
    assert [line for _, line in result.secrets] == sorted(line for _, line in result.secrets)


SPELLINGS = st.sampled_from(["plain", "json", "nested", "references", "argument"])


@given(
    st.sampled_from(spelled.SAMPLES), SPELLINGS, st.text(max_size=20), st.sampled_from(["tool", "assistant", "user"])
)
def test_a_planted_secret_in_any_message_spelling_is_rejected(
    sample: spelled.Sample, spelling: str, around: str, role: str
) -> None:
    escaped = "{" + json.dumps(around) + ": " + spelled.json_escaped(sample.text) + "}"
    content = {
        "plain": f"{around} {sample.text}",
        "json": escaped,
        "nested": json.dumps([around, escaped]),
        "references": around + " " + spelled.character_references(sample.text),
        "argument": "ok",
    }[spelling]
    call = {"id": "c", "type": "function", "function": {"name": "search_text", "arguments": {around: sample.text}}}
    message: dict[str, Any] = {"role": role, "content": content}
    if role == "tool":
        message.update(tool_call_id="c", name="search_text")
    if spelling == "argument":
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    messages = [{"role": "user", "content": "Find it"}, message]
    if message["role"] == "user":
        messages = [message, {"role": "assistant", "content": "ok"}]
    record = {
        "id": "x",
        "domain": "d",
        "kind": "tool_call",
        "intent": "i",
        "template": "t",
        "messages": messages,
        "tools": [],
        "provenance": {"generator": "fuzz", "generator_version": "1", "seed": 0},
        "catalog_version": "fuzz",
    }
    with pytest.raises(StageFailure, match=sample.kind):
        check_secrets(Example.model_validate(record))
    kept = redact_strings(record)  # what a rejection keeps
    assert [text for text in strings_in(kept) if find_secrets_in_spellings(text)] == []


NAME_PARTS = st.sampled_from(
    ["app", "src", "x.py", "a&b", "&#65;", "tokens", "ghp_", *(s.text for s in spelled.NAMEABLE)]
)


@given(st.lists(st.lists(NAME_PARTS, min_size=1, max_size=4).map("/".join), max_size=8, unique=True), st.booleans())
def test_no_name_holding_a_secret_survives(paths: list[str], references: bool) -> None:
    if references:
        paths = list(dict.fromkeys(spelled.character_references(path).replace("&#47;", "/") for path in paths))
    files = [SourceFile(path, "python", 1, b"x") for path in paths]
    hidden = hide_secret_names(files)
    assert len({item.path for item in hidden}) == len(files)
    for before, after in zip(files, hidden, strict=True):
        assert find_secrets_in_spellings(after.path) == []
        assert (after == before) == (not find_secrets_in_spellings(before.path))
        assert (after.reason == "secret_in_name") == (after != before)


REFERENCE_PIECES = st.sampled_from(
    [
        "&#65;", "&#x41;", "&quot;", "&amp;", "&lt;", "&#1;", "&#0;", "&ampx", "&#10;", "&#13;", "&", "#", ";",
        "\n", "\r\n", "\r", "<p>", "'", '"', "é", "\ud800", "AKIA", "QX7ZL4MR2TNB6WEP", "password = ",
        "Tr0ub4dor&amp;3xkcd",
        "-----BEGIN PRIVATE KEY-----", "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyu", "-----END PRIVATE KEY-----",
    ]
)  # fmt: skip


def _spelled_marker(marker: bytes, at: int) -> str:
    """The marker with its character at `at` written as a character reference."""
    text = marker.decode()
    at %= len(text)
    return f"{text[:at]}&#{ord(text[at])};{text[at + 1 :]}"


MARKER_PIECES = st.sampled_from(MARKERS).map(bytes.decode) | st.builds(
    _spelled_marker, st.sampled_from(MARKERS), st.integers(0, 20)
)


@given(st.lists(REFERENCE_PIECES | MARKER_PIECES, max_size=8).map("".join))
def test_the_markers_given_for_resolved_text_hold_every_marker_it_holds(text: str) -> None:
    """Redaction searches a page with its references resolved only for the markers this gives."""
    held = markers_in(text.encode("utf-8", "surrogatepass"))
    resolved = markers_in(html.unescape(text).encode("utf-8", "surrogatepass"))
    assert resolved <= _markers_once_resolved(text, held)


@given(
    st.lists(
        REFERENCE_PIECES | st.sampled_from(spelled.SAMPLES).map(lambda s: spelled.character_references(s.text)),
        max_size=REDACTION_ROUNDS - 2,
    ).map("".join)
)
def test_redacting_references_keeps_every_line_and_leaves_nothing_to_find(text: str) -> None:
    redacted, findings = redact_text(text, html=True)
    assert redact_text(redacted, html=True) == (redacted, [])
    assert len(LINE_BREAK.findall(redacted.encode("utf-8", "surrogatepass"))) == len(
        LINE_BREAK.findall(text.encode("utf-8", "surrogatepass"))
    )
    assert [line for _, line in findings] == sorted(line for _, line in findings)
    assert redact_secrets(html.unescape(redacted).encode("utf-8", "surrogatepass"))[1] == []
