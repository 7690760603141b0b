"""Secrets in every spelling a reader decodes: plain, HTML character references, a declared encoding
(UTF-7 Python, UTF-16 HTML), JSON string escapes in an imported row, file and folder names. Each of
the scanner's patterns is planted in each spelling; the project is mined, synthesized from, imported
into, mixed, exported and audited, and no secret is anywhere: not in a table of the store, a tool
result, an example, the export or the audit.

Every planted secret is made of pieces at run time (a made-up value of the real shape), so no
scanner takes this file itself for a leak.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from curate.cli import main
from curate.importer import import_file
from curate.store import Store
from curate.tools import call_tool
from curate.verify import StageFailure, check_secrets
from schemas import Example
from sources.extract import extract_file
from sources.files import SourceFile
from sources.secrets import KINDS, PATTERNS, find_secrets
from sources.spellings import find_secrets_in_spellings, hide_secret_names, redact_path, redact_text


class Sample(NamedTuple):
    kind: str
    text: str
    """The secret in the context its pattern needs (an assignment, a URL)."""
    secret: str
    """What must never be stored."""


def _sample(kind: str, secret: str, text: str | None = None) -> Sample:
    return Sample(kind, secret if text is None else text.format(secret), secret)


PASSWORD = "Tr0ub4dor&" + "3xkcd"
SAMPLES = (
    _sample("aws_access_key", "AKIA" + "QX7ZL4MR2TNB6WEP"),
    _sample("aws_secret_key", "wJalrXUtnFEMI" + "xK7MDENGxbPxRfiCYz9x8Q4mT2a", 'aws_secret_access_key = "{}"'),
    _sample("github_token", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    _sample("github_token", "github_pat_" + "11ABCDEFG0" + "aZ9" * 24),
    _sample("gitlab_token", "glpat-" + "x7Yh2Kd9Lm3Np5Qr8St1"),
    _sample("slack_token", "xoxb-" + "2048-981273-Zq8fKe3Lw0Pn"),
    _sample("slack_webhook", "https://hooks.slack.com/" + "services/T0ABCDEF1/B0ABCDEF2/" + "q7Rw3Et9Yu1Io5Pa8Sd2Fg6H"),
    _sample("stripe_key", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    _sample("google_api_key", "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    _sample("openai_key", "sk-proj-" + "Ab3De5Gh7Jk9Mn2Pq4St" + "T3Blbk" + "FJ" + "Vw6Yz8Bc1Ef3Hi5Kl7No"),
    _sample("anthropic_key", "sk-ant-" + "api03-" + "Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xc" * 3),
    _sample("huggingface_token", "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"),
    _sample("npm_token", "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    _sample("sendgrid_key", "SG." + "Ab3De5Gh7Jk9Mn2Pq4St6V" + "." + "Xy8Za1Bc3De5Fg7Hi9Jk2Lm4No6Pq8Rs0Tu2Vw4Xy6z"),
    _sample("twilio_key", "SK" + "0123456789abcdef" * 2),
    _sample(
        "private_key",
        "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n" + "kkl0Ff0b+Zx9Y5ZbUzJ7rQ2VqGhCw==",
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
    ),
    _sample("jwt", "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    _sample("url_credentials", "s3cr3t" + "Passw0rd", "postgresql://admin:{}@db.internal:5432/app"),
    _sample("password", PASSWORD, 'password = "{}"'),
    _sample("generic_secret", "f9a8d7c6b5" + "e4f3a2b1c0d9e8f7", 'session_secret = "{}"'),
)
NAMEABLE = tuple(sample for sample in SAMPLES if "/" not in sample.text and "\n" not in sample.text)
"""The samples a file name can hold (no `/`, no line break)."""


def pieces(secret: str) -> list[str]:
    """What must not be found: the secret, or each long line of a key."""
    return [piece for piece in secret.splitlines() if len(piece) > 12]


# -- spellings -------------------------------------------------------------------------------------


def character_references(text: str) -> str:
    """Every character as HTML writes it, by turns a decimal reference, a hex one and itself."""
    named = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
    spelled = []
    for index, character in enumerate(text):
        if character in "\r\n":
            spelled.append(character)
        elif character in named:
            spelled.append(named[character])
        else:
            spelled.append((f"&#{ord(character)};", f"&#x{ord(character):X};", character)[index % 3])
    return "".join(spelled)


def utf7(text: str) -> str:
    """UTF-7 with every other character (and every `+`, quote and backslash) in base64: no pattern
    finds a secret in these bytes."""
    spelled = []
    for index, character in enumerate(text):
        if character in "\r\n" or (index % 2 and character not in "+\"'\\~"):
            spelled.append(character)
        else:
            spelled.append("+" + base64.b64encode(character.encode("utf-16-be")).decode().rstrip("=") + "-")
    return "".join(spelled)


def json_escaped(text: str) -> str:
    """A JSON string literal of the text with every other character a `\\u` escape."""
    spelled = []
    for index, character in enumerate(text):
        if character in '"\\\n':
            spelled.append({'"': '\\"', "\\": "\\\\", "\n": "\\n"}[character])
        else:
            spelled.append(f"\\u{ord(character):04x}" if index % 2 == 0 else character)
    return '"' + "".join(spelled) + '"'


def python_module(samples: tuple[Sample, ...] = SAMPLES) -> str:
    body = "".join(f"S{number} = '''{sample.text}'''\n" for number, sample in enumerate(samples))
    inner = "".join(f"    s{number} = '''{sample.text}'''\n" for number, sample in enumerate(samples))
    return f'"""Settings."""\n\n{body}\n\ndef settings():\n    """The settings."""\n{inner}    return locals()\n'


def html_page(samples: tuple[Sample, ...], spell: object) -> str:
    def spelled(text: str) -> str:
        return spell(text) if callable(spell) else text.replace("<", "&lt;")

    rows = "".join(
        f'<pre id="s{number}">{spelled(sample.text)}</pre>\n<input name="i{number}" value="{spelled(sample.text)}">\n'
        for number, sample in enumerate(samples)
    )
    head = '<!doctype html>\n<html lang="en"><head><title>Keys</title></head>\n'
    return f"{head}<body><main><h1>Keys</h1>\n{rows}</main></body></html>\n"


def test_the_samples_cover_every_pattern() -> None:
    assert {sample.kind for sample in SAMPLES} == set(KINDS)
    assert len(SAMPLES) == len(PATTERNS) == 20
    for sample in SAMPLES:
        assert [kind for kind, _ in find_secrets(sample.text)] == [sample.kind], sample.kind
        # every spelling hides it from the plain scan of the bytes (a name is plain: it is scanned)
        for spelled in (character_references(sample.text), utf7(sample.text), json_escaped(sample.text)):
            assert find_secrets(spelled) == [], (sample.kind, spelled)


# -- each spelling, at the worker's entry point ----------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.kind)
def test_character_references_are_resolved_and_redacted_where_written(sample: Sample) -> None:
    page = html_page((sample,), character_references)
    result = extract_file("site/keys.html", page.encode(), "html", "", False)
    assert result.status == "ok" and result.text is not None
    assert [kind for kind, _ in result.secrets] == [sample.kind, sample.kind]  # the text and the attribute
    stored = result.text + json.dumps(result.rows)
    assert all(piece not in stored for piece in pieces(sample.secret))
    assert find_secrets_in_spellings(stored) == []
    assert result.lines == page.count("\n")  # every line keeps its number
    first = page.splitlines().index(next(line for line in page.splitlines() if line.startswith("<pre")))
    assert result.secrets[0][1] == first + 1


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.kind)
def test_a_declared_encoding_is_scanned_as_decoded(sample: Sample) -> None:
    module = "# -*- coding: utf-7 -*-\n" + utf7(python_module((sample,)))
    assert find_secrets(module) == []
    result = extract_file("app/seven.py", module.encode("ascii"), "python", "app.seven", False)
    assert result.status == "ok", result.error
    decoded = module.encode("ascii").decode("utf-7").splitlines()
    lines = [number for number, line in enumerate(decoded, start=1) if line.strip().startswith(("S0 =", "s0 ="))]
    assert result.secrets == [(sample.kind, line) for line in lines]  # found on the lines of S0 and s0
    assert result.lines == len(decoded)
    assert all(piece not in (result.text or "") + json.dumps(result.rows) for piece in pieces(sample.secret))
    page = html_page((sample,), None).encode("utf-16")  # a byte-order mark: the bytes scan finds nothing
    result = extract_file("site/sixteen.html", page, "html", "", False)
    assert result.status == "ok" and [kind for kind, _ in result.secrets] == [sample.kind, sample.kind]
    assert all(piece not in (result.text or "") + json.dumps(result.rows) for piece in pieces(sample.secret))


def test_a_page_declaring_utf7_is_read_as_browsers_read_it() -> None:
    """Browsers refuse UTF-7 (the page is read as UTF-8), so its `+...-` runs are text, not a secret."""
    sample = SAMPLES[0]
    page = f'<meta charset="utf-7"><p>{utf7(sample.text)}</p><p>{sample.text}</p>'.encode()
    result = extract_file("site/seven.html", page, "html", "", False)
    assert result.status == "ok" and [kind for kind, _ in result.secrets] == [sample.kind]
    assert sample.secret not in (result.text or "")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.kind)
def test_json_escapes_hide_nothing_from_the_secrets_stage(sample: Sample) -> None:
    def example(**message: object) -> Example:
        return Example.model_validate(
            {
                "id": "x",
                "domain": "d",
                "kind": "tool_call",
                "intent": "i",
                "template": "t",
                "messages": [{"role": "user", "content": "Find the settings"}, message],
                "tools": [],
                "provenance": {"generator": "test", "generator_version": "1", "seed": 0},
                "catalog_version": "test",
            }
        )

    escaped = '{"result": ' + json_escaped(sample.text) + "}"
    nested = json.dumps({"outer": escaped})  # JSON text inside JSON text
    call = {"id": "c", "type": "function", "function": {"name": "search_text", "arguments": {"pattern": sample.text}}}
    for message in (
        {"role": "tool", "tool_call_id": "c", "name": "search_text", "content": escaped},
        {"role": "tool", "tool_call_id": "c", "name": "search_text", "content": nested},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "assistant", "content": f"It reads {character_references(sample.text)}."},
    ):
        with pytest.raises(StageFailure, match=sample.kind):
            check_secrets(example(**message))


def test_names_holding_a_secret_are_redacted_and_not_read() -> None:
    files = [SourceFile(f"app/{sample.text}.py", "python", 3, b"x=1") for sample in NAMEABLE]
    files += [
        SourceFile(f"{SAMPLES[0].secret}/config.py", "python", 3, b"x=1"),
        SourceFile(f"other/{SAMPLES[0].secret}.py", "python", 3, b"x=1"),
        SourceFile(f"other/{SAMPLES[2].secret}.py", "python", 3, b"x=1"),  # two keys: the same redacted path
        SourceFile("app/plain.py", "python", 3, b"x=1"),
    ]
    hidden = hide_secret_names(files)
    assert [item.path for item in hidden][-4:] == [
        "<REDACTED:aws_access_key>/config.py",
        "other/<REDACTED:aws_access_key>.py",
        "other/<REDACTED:github_token>.py",
        "app/plain.py",
    ]
    assert len({item.path for item in hidden}) == len(files)
    assert hidden[-1] == files[-1]
    for item in hidden[:-1]:
        assert (item.data, item.reason) == (None, "secret_in_name")
        assert find_secrets_in_spellings(item.path) == [] and "REDACTED" in item.path
    assert redact_path("app/" + character_references(SAMPLES[0].secret) + ".py")[1] == ["aws_access_key"]


# -- the whole way: mine, import, synthesize, mix, export, audit -----------------------------------


def project(root: Path) -> Path:
    files = {
        "app/__init__.py": "",
        "app/plain.py": python_module(),
        "app/seven.py": "# -*- coding: utf-7 -*-\n" + utf7(python_module()),
        "site/plain.html": html_page(SAMPLES, None),
        "site/refs.html": html_page(SAMPLES, character_references),
        "app/named/ok.py": "def ok():\n    return 1\n",
        "app/small.py": 'def credentials():\n    """The credentials."""\n'
        + f'    return "{SAMPLES[0].text}", "{SAMPLES[2].text}"\n',
        "app/seven_small.py": "# -*- coding: utf-7 -*-\n"
        + utf7(f"def login():\n    '''Log in.'''\n    return '{SAMPLES[1].text}', '{SAMPLES[3].text}'\n"),
        f"app/{SAMPLES[0].secret}/config.py": "def config():\n    return 1\n",
    }
    files.update({f"app/named/{sample.text}.py": "def leak():\n    return 1\n" for sample in NAMEABLE})
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="ascii")
    (root / "site/sixteen.html").write_bytes(html_page(SAMPLES, None).encode("utf-16"))
    return root


def imported_rows() -> list[dict[str, object]]:
    tool = {
        "type": "function",
        "function": {
            "name": "search_text",
            "description": "Search the project's files",
            "parameters": {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]},
        },
    }
    rows = []
    for sample in SAMPLES:
        escaped = '{"matches": ["app/plain.py:3", ' + json_escaped(sample.text) + "]}"
        for result, pattern in ((escaped, "S0"), ("app/plain.py:3: S0", sample.text)):
            rows.append(
                {
                    "messages": [
                        {"role": "user", "content": "Where is S0 set?"},
                        {
                            "role": "assistant",
                            "tool_calls": [
                                {
                                    "id": "c1",
                                    "type": "function",
                                    "function": {"name": "search_text", "arguments": {"pattern": pattern}},
                                }
                            ],
                        },
                        {"role": "tool", "tool_call_id": "c1", "name": "search_text", "content": result},
                        {"role": "assistant", "content": "S0 is set in app/plain.py."},
                    ],
                    "tools": [tool],
                }
            )
    return rows


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings(item)]
    return []


def store_dump(db: Path) -> str:
    """Every value of every table of the store, as text."""
    connection = duckdb.connect(str(db), read_only=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(
            json.dumps(connection.execute(f'SELECT * FROM "{table}"').fetchall(), default=str, ensure_ascii=False)
            for table in tables
        )
    finally:
        connection.close()


def test_no_spelling_of_any_secret_reaches_the_store_an_example_the_export_or_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "leaky")
    db, mixes = tmp_path / "s.duckdb", tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "all.toml").write_text('name = "all"\n[[components]]\nselect = { domain = "leaky" }\ncount = 30\n')

    def curate(*argv: str) -> tuple[int, str]:
        code = main(["--db", str(db), "--mixes", str(mixes), *argv])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return code, captured.out

    curate("mine", str(root), "--domain", "leaky", "--jobs", "1")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(row) + "\n" for row in imported_rows()))
    with Store.open(db) as store:
        report = import_file(store, rows, "leaky", format="mlx", run_id="import")
        assert (report.rows, report.imported) == (2 * len(SAMPLES), 0)
        assert {why.split(":")[0] for _, why in report.bad} == {"secrets"}
        found: dict[str, set[str]] = {}
        for secret in store.secrets():
            found.setdefault(secret.path, set()).add(secret.kind)
        failed = {item.path: item.reason for item in store.files("leaky") if item.status == "failed"}
        results = [
            call_tool(store, "leaky", "search_text", {"pattern": "S"}, limit=0),
            call_tool(store, "leaky", "search_text", {"pattern": "value"}, limit=0),
            call_tool(store, "leaky", "read_symbol", {"qualname": "settings"}, limit=0),
            call_tool(store, "leaky", "query_html", {"selector": "pre"}, limit=0),
            call_tool(store, "leaky", "query_html", {"selector": "input"}, limit=0),
        ]
    for path in ("app/plain.py", "app/seven.py", "site/plain.html", "site/refs.html", "site/sixteen.html"):
        assert found[path] == set(KINDS), path
    assert set(failed.values()) == {"secret_in_name"} and len(failed) == len(NAMEABLE) + 1
    assert "app/<REDACTED:aws_access_key>/config.py" in failed
    assert set().union(*(kinds for path, kinds in found.items() if "REDACTED" in path)) == {
        sample.kind for sample in NAMEABLE
    }
    curate("synth", "--domain", "leaky", "--n", "30", "--seed", "5")
    curate("mix", "build", "all")
    curate("export", "all", "--out", str(tmp_path / "export"))
    _, audit = curate("audit", "--mix", "all", "--json")
    exported = "\n".join(path.read_text() for path in sorted((tmp_path / "export").rglob("*")) if path.is_file())
    assert "REDACTED" in exported
    tools = json.dumps([result.matches for result in results], ensure_ascii=False)
    assert "REDACTED" in tools
    everything = {"store": store_dump(db), "tool results": tools, "export": exported, "audit": audit}
    for where, text in everything.items():
        for sample in SAMPLES:
            for piece in pieces(sample.secret):
                assert piece not in text, (where, sample.kind)
        if where != "tool results":
            assert find_secrets_in_spellings(text) == [], where
    # each value of a tool result alone (a key's header in one line's match and its footer in the
    # next would read, joined, as a key around the JSON between them)
    values = [value for result in results for match in result.matches for value in strings(match)]
    assert [value for value in values if find_secrets_in_spellings(value)] == []
    assert json.loads(audit)["secrets"]["aws_access_key"] >= 6  # five files and two names at least


def test_redaction_of_decoded_text_is_idempotent_and_keeps_lines() -> None:
    text = html_page(SAMPLES, character_references)
    redacted, findings = redact_text(text, html=True)
    assert redact_text(redacted, html=True) == (redacted, [])
    assert redacted.count("\n") == text.count("\n")
    assert [line for _, line in findings] == sorted(line for _, line in findings)
    assert len(findings) == 2 * len(SAMPLES)
