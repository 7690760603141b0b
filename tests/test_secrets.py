"""Secrets: found and redacted as files are read, reported once each, and never in an export.

Every planted secret is made of pieces at run time (a made-up value of the real shape), so no
scanner takes this file itself for a leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.cli import main
from curate.store import RedactedSecret, Store, StoredExample
from curate.tools import call_tool
from sources.secrets import KINDS, find_secrets, redact_secrets
from tests.conftest import write_tree

AWS = "AKIA" + "QX7ZL4MR2TNB6WEP"
PLANTED = {
    "aws_access_key": AWS,
    "aws_secret_key": "wJalrXUtnFEMI" + "/K7MDENG/bPxRfiCYz9x8Q4mT2a",
    "github_token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "slack_token": "xoxb-" + "2048-981273-Zq8fKe3Lw0Pn",
    "stripe_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google_api_key": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n"
    + "kkl0Ff0b+Zx9Y5ZbUzJ7rQ2VqGhCw==\n-----END RSA PRIVATE KEY-----",
    "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "password": "Tr0ub4dor&" + "3xkcd",
    "url_credentials": "s3cr3tPassw0rd",
    "generic_secret": "f9a8d7c6b5" + "e4f3a2b1c0d9e8f7",
}


def project(root: Path) -> Path:
    return write_tree(
        root,
        {
            "app/settings.py": f'''
                """Settings of a service that should never have been committed."""

                AWS_ACCESS_KEY_ID = "{PLANTED["aws_access_key"]}"
                aws_secret_access_key = "{PLANTED["aws_secret_key"]}"
                GITHUB_TOKEN = "{PLANTED["github_token"]}"
                SLACK = {{"bot": "{PLANTED["slack_token"]}"}}
                DATABASE_URL = "postgresql://admin:{PLANTED["url_credentials"]}@db.internal:5432/app"
                SESSION_SECRET = "{PLANTED["generic_secret"]}"


                def connect(password="{PLANTED["password"]}", retries=3):
                    """Open the connection."""
                    return (password, retries)
            ''',
            "app/keys.py": '''
                DEPLOY_KEY = """
                '''
            + PLANTED["private_key"]
            + '''
                """


                def deploy_key():
                    return DEPLOY_KEY
            ''',
            "app/payments.py": f'''
                STRIPE = "{PLANTED["stripe_key"]}"


                def charge(amount):
                    return STRIPE, amount
            ''',
            "site/index.html": f"""
                <!doctype html>
                <html lang="en"><head><title>Maps</title>
                <meta name="maps-key" content="{PLANTED["google_api_key"]}"></head>
                <body><main><h1>Maps</h1><p>Session: {PLANTED["jwt"]}</p></main></body></html>
            """,
        },
    )


# -- the scanner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_kind_is_found_and_redacted(kind: str, tmp_path: Path) -> None:
    text = (project(tmp_path) / ("site/index.html" if kind in ("google_api_key", "jwt") else "app/x")).parent
    data = b"".join(path.read_bytes() for path in sorted(text.iterdir()))
    redacted, findings = redact_secrets(data, html=kind in ("google_api_key", "jwt"))
    assert kind in {found for found, _ in findings}
    assert PLANTED[kind].encode() not in redacted
    assert redacted.count(b"\n") == data.count(b"\n")  # every line keeps its number


def test_lines_placeholders_html_and_idempotence() -> None:
    source = f'# header\nKEY = "{AWS}"\npassword = "changeme"\ntoken = "xxxxxxxxxxxxxxxxxxxxxxxx"\n'.encode()
    redacted, findings = redact_secrets(source)
    assert findings == [("aws_access_key", 2)]
    assert (
        redacted
        == b'# header\nKEY = "<REDACTED:aws_access_key>"\npassword = "changeme"\ntoken = "xxxxxxxxxxxxxxxxxxxxxxxx"\n'
    )
    assert redact_secrets(redacted) == (redacted, [])
    html, _ = redact_secrets(f"<p>{AWS}</p>".encode(), html=True)
    assert html == b"<p>&lt;REDACTED:aws_access_key&gt;</p>"
    assert find_secrets(f"call me with {AWS}") == [("aws_access_key", 1)]
    assert set(PLANTED) <= set(KINDS)


def test_a_file_without_markers_is_returned_as_is() -> None:
    data = b"def f():\n    return 1\n"
    assert redact_secrets(data) == (data, [])


# -- mining, tools, examples, exports --------------------------------------------------------------


def test_planted_secrets_are_reported_once_and_reach_no_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "leaky")
    db, mixes = tmp_path / "s.duckdb", tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "all.toml").write_text('name = "all"\n[[components]]\nselect = { domain = "leaky" }\ncount = 40\n')

    def curate(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), "--mixes", str(mixes), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, err = curate("mine", str(root), "--domain", "leaky", "--jobs", "1")
    assert code == 0, err
    assert "secrets redacted: " in out
    with Store.open(db, read_only=True) as store:
        found = store.secrets()
        assert sorted(secret.kind for secret in found) == sorted(PLANTED)  # each reported once
        assert RedactedSecret("leaky", "app/settings.py", 4, "aws_access_key") in found
        assert RedactedSecret("leaky", "app/keys.py", 3, "private_key") in found
        texts = [store.file_text("leaky", item.path) or "" for item in store.files("leaky")]
        facts = json.dumps([item.fact.model_dump() for item in store.facts(domain="leaky")])
        source = call_tool(store, "leaky", "read_symbol", {"qualname": "connect"})
        hits = call_tool(store, "leaky", "search_text", {"pattern": "KEY"})
    everything = "\n".join([*texts, facts, json.dumps(source.matches), json.dumps(hits.matches)])
    assert "<REDACTED:password>" in json.dumps(source.matches)
    for kind, secret in PLANTED.items():
        for piece in secret.splitlines():
            if len(piece) > 12 and "PRIVATE KEY" not in piece:
                assert piece not in everything, kind
    assert curate("synth", "--domain", "leaky", "--n", "40", "--seed", "3")[0] == 0
    assert curate("mix", "build", "all")[0] == 0
    code, _, err = curate("export", "all", "--out", str(tmp_path / "export"))
    assert code == 0, err
    exported = "\n".join(path.read_text() for path in (tmp_path / "export").glob("*.jsonl"))
    assert "REDACTED" in exported and find_secrets(exported) == []
    for secret in PLANTED.values():
        assert all(piece not in exported for piece in secret.splitlines() if len(piece) > 12 and "KEY" not in piece)
    code, out, _ = curate("audit", "--mix", "all", "--json")
    assert json.loads(out)["secrets"] == dict.fromkeys(sorted(PLANTED), 1)


def test_an_imported_secret_is_rejected_and_an_unscanned_one_stops_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, mixes = tmp_path / "s.duckdb", tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "mine.toml").write_text('name = "mine"\n[[components]]\nselect = { domain = "ref" }\ncount = 2\n')
    rows = [
        {
            "messages": [
                {"role": "user", "content": "What is a context manager?"},
                {"role": "assistant", "content": "An object with __enter__ and __exit__."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "What is my key?"},
                {"role": "assistant", "content": f"It is {AWS}."},
            ]
        },
    ]
    file = tmp_path / "handmade.jsonl"
    file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["--db", str(db), "import", str(file), "--domain", "ref", "--format", "openai"]) == 1
    err = capsys.readouterr().err + capsys.readouterr().out
    with Store.open(db) as store:
        assert [item.record["messages"][0]["content"] for item in store.examples()] == ["What is a context manager?"]
        assert [(r.stage, r.reason) for r in store.example_rejections()] == [
            ("secrets", "message 2 (assistant) holds a secret: aws_access_key")
        ]
        # an example stored by an older curate, never scanned, carrying a secret
        (kept,) = store.examples()
        record = json.loads(json.dumps(kept.record))
        record["messages"][1]["content"] = f"It is {AWS}."
        record["id"] = "0123456789abcdef"
        checks = dict.fromkeys(("schema", "arguments", "grounding", "length"), "pass")
        store.save_examples([StoredExample(record, "unverified", checks, kept.tokens)], "old")
    assert main(["--db", str(db), "--mixes", str(mixes), "mix", "build", "mine"]) == 0
    code = main(["--db", str(db), "--mixes", str(mixes), "export", "mine", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "would export 1 example(s) that fail the secrets check (0123456789abcdef: message 2" in err
    assert not (tmp_path / "out").exists()


def test_a_key_split_over_string_literals_keeps_the_file_parsing() -> None:
    import ast

    body = PLANTED["private_key"].splitlines()
    source = "KEY = (\n" + "".join(f'    "{line}\\n"\n' for line in body) + ")\n"
    redacted, findings = redact_secrets(source.encode())
    ast.parse(redacted)  # the quotes and escapes stay
    assert findings == [("private_key", 2)]
    assert all(line not in redacted.decode() for line in body[1:-1])
    assert redact_secrets(redacted) == (redacted, [])


def test_mining_again_replaces_a_text_an_older_curate_stored_unredacted(tmp_path: Path) -> None:
    from curate.mine import mine
    from curate.store import FileWrite
    from schemas import FileRecord

    root = write_tree(tmp_path / "p", {"keys.py": f'KEY = "{AWS}"\n'})
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, root, domain="p", jobs=1)
        (record,) = store.files("p")
        # what a store written before secrets were redacted holds: the raw text, an older extractor
        raw = (root / "keys.py").read_text()
        stale = FileRecord.model_validate(record.model_dump())
        store.write_files("p", [FileWrite(stale, raw, [], None, "py1")])
        assert AWS in (store.file_text("p", "keys.py") or "")
        mine(store, root, domain="p", jobs=1)
        assert store.file_text("p", "keys.py") == 'KEY = "<REDACTED:aws_access_key>"\n'


def test_a_tool_spec_is_scanned_unless_it_is_curates_own_word_for_word() -> None:
    from curate.tools import TOOLS
    from curate.verify.secrets import check_secrets
    from curate.verify.stage import StageFailure
    from schemas import Example

    ours = TOOLS["find_routes"].spec.as_openai()
    record = {
        "id": "0" * 16,
        "domain": "d",
        "kind": "direct",
        "intent": "concept:x",
        "template": "t",
        "messages": [{"role": "user", "content": "What is a route?"}, {"role": "assistant", "content": "A path."}],
        "tools": [ours],
        "provenance": {"generator": "test", "generator_version": "1", "seed": 0},
        "catalog_version": "x",
    }
    check_secrets(Example.model_validate(record))
    leaky = json.loads(json.dumps(ours))
    leaky["function"]["description"] += " Token: " + PLANTED["github_token"]
    with pytest.raises(StageFailure, match="a tool's description holds a secret: github_token"):
        check_secrets(Example.model_validate({**record, "tools": [leaky]}))
