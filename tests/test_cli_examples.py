"""The example commands end to end: synth, examples, validate, dedup, rejections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.store import Store
from schemas import Example
from tests.conftest import SAMPLE
from tests.test_cli import db, run  # noqa: F401  (the fixture)


@pytest.fixture
def mined(db: Path, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: F811
    assert run(capsys, "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1")[0] == 0
    return db


def test_synth_then_list_show_and_export_as_json_lines(mined: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "synth", "--domain", "shop", "--n", "25", "--seed", "4")
    assert code == 0
    assert out.startswith("shop: 25 examples (19 tool calls, 6 direct, ")
    assert out.splitlines()[0].endswith("25 new")
    assert "tool calls that find nothing: " in out and "at most 20%)" in out
    code, out, _ = run(capsys, "examples", "--json")
    lines = out.splitlines()
    assert len(lines) == 25
    records = [Example.model_validate_json(line) for line in lines]
    assert sum(record.kind == "tool_call" for record in records) == 19
    assert set(json.loads(lines[0])) >= {"id", "domain", "kind", "intent", "messages", "tools", "provenance"}
    first_call = next(record for record in records if record.kind == "tool_call")
    code, out, _ = run(capsys, "examples", "--show", first_call.id)
    assert code == 0
    assert out.startswith(f"example {first_call.id}  domain=shop  kind=tool_call  intent={first_call.intent}")
    assert "checks: schema pass, arguments pass, replay pass, grounding pass, secrets pass, length pass" in out
    assert f"[user] {first_call.query}" in out
    code, out, _ = run(capsys, "examples", "--domain", "shop", "--kind", "direct")
    assert len(out.splitlines()) == 6 and all("\tdirect\t" in line for line in out.splitlines())


def test_validate_passes_then_fails_after_tampering(mined: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "synth", "--domain", "shop", "--n", "10", "--seed", "1", "--tool-ratio", "1", "--intents", "routes")
    code, out, _ = run(capsys, "validate")
    assert (code, out) == (0, "10 examples: verified 10\n")
    code, out, err = run(capsys, "validate", "--max-tokens", "50")
    assert code == 1
    assert out.startswith("10 examples: rejected 10\nfailed length: 10 in shop")
    assert err == "curate: error: 10 examples failed verification\n"
    code, out, _ = run(capsys, "rejections", "--stage", "length")
    assert len(out.splitlines()) == 10
    assert out.splitlines()[0].startswith("shop\tlength\t") and "over the maximum of 50" in out
    code, out, _ = run(capsys, "rejections", "--json")
    assert json.loads(out.splitlines()[0])["stage"] == "length"
    assert run(capsys, "validate")[0] == 0
    assert run(capsys, "rejections")[1] == ""


def test_dedup_reports_per_domain(mined: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "synth", "--domain", "shop", "--n", "30", "--seed", "2")
    code, out, _ = run(capsys, "dedup", "--threshold", "0.9")
    assert code == 0
    assert out.startswith("shop: 30 examples, 0 exact clusters (0 duplicates), ")
    with Store.open(mined, read_only=True) as store:
        assert {cluster.method for cluster in store.clusters("shop")} <= {"near"}


def test_synth_errors_are_one_line(mined: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "synth", "--domain", "nope")
    assert (code, err) == (2, "curate: error: no domain 'nope' in the store (domains: shop)\n")
    code, _, err = run(capsys, "synth", "--domain", "shop", "--teacher", "http://127.0.0.1:9")
    assert (code, err) == (2, "curate: error: --teacher and --teacher-model go together\n")
    code, _, err = run(capsys, "synth", "--domain", "shop", "--n", "5", "--tool-ratio", "1", "--intents", "services")
    assert code == 1
    assert err.startswith("curate: error: domain 'shop' cannot give 5 examples: ") and err.count("\n") == 1
    code, _, err = run(capsys, "examples", "--show", "nope")
    assert (code, err) == (2, "curate: error: no example 'nope' in the store\n")
