"""The curation commands end to end: mix list/show/build/diff, audit, export, import, report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE
from tests.test_cli import db, run  # noqa: F401  (the fixture)


@pytest.fixture
def ready(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: F811
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "small.toml").write_text(
        'name = "small"\n[quotas]\ntool_call = 0.75\n[[components]]\nselect = { domain = "shop" }\ncount = 20\n'
    )
    (mixes / "bigger.toml").write_text(
        'name = "bigger"\nextends = "small"\nseed = 2\n[[components]]\nselect = { domain = "site" }\ncount = 8\n'
    )
    monkeypatch.setenv("CURATE_MIXES", str(mixes))
    for target, domain in ((SAMPLE, "shop"), (REPO / "data" / "samples" / "html" / "site", "site")):
        assert run(capsys, "mine", str(target), "--domain", domain, "--jobs", "1")[0] == 0
        assert run(capsys, "synth", "--domain", domain, "--n", "30", "--seed", "1")[0] == 0
    return mixes


def test_mix_build_list_show_diff_and_report(ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "mix", "list")
    assert (code, out) == (0, "bigger\tnot built\nsmall\tnot built\n")
    code, out, _ = run(capsys, "mix", "build", "small")
    assert code == 0 and out.startswith("small: 20 examples (") and "direct 5, tool_call 15" in out
    assert run(capsys, "mix", "build", "bigger")[0] == 0
    code, out, _ = run(capsys, "mix", "diff", "small", "bigger")
    assert out.startswith("small -> bigger: +8 added, -0 removed, 0 moved between splits (")
    assert "domain site" in out
    shown = json.loads(run(capsys, "mix", "show", "bigger")[1])
    assert shown["recipe"]["lineage"] == ["small", "bigger"] and shown["lock"]["counts"]["total"] == 28
    code, out, _ = run(capsys, "report", "mixes")
    assert out.splitlines()[0].split("|")[1:4] == [" metric               ", " bigger        ", " small         "]


def test_an_impossible_mix_prints_its_deficit_and_exits_1(ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ready / "huge.toml").write_text('name = "huge"\n[[components]]\nselect = { domain = "site" }\ncount = 500\n')
    code, out, err = run(capsys, "mix", "build", "huge")
    assert code == 1
    report = "deficit report for huge (nothing written):\n"
    assert out == report + "  huge#1 (domain=site) needs 500 examples, 30 eligible: 470 short\n"
    assert err.startswith("curate: error: mix 'huge' cannot be built: ")
    assert not (ready / "huge.lock.json").exists()


def test_audit_with_a_policy_json_and_html(ready: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "mix", "build", "small")
    code, out, _ = run(capsys, "audit", "--mix", "small", "--html", str(tmp_path / "a.html"))
    assert code == 0 and out.startswith("audit of mix small: 20 examples\n  by domain: shop 20 (100.0%)")
    assert (tmp_path / "a.html").read_text().startswith("<!doctype html>")
    report = json.loads(run(capsys, "audit", "--json")[1])
    assert report["examples"] == 60 and {s["value"] for s in report["breakdowns"]["domain"]} == {"shop", "site"}
    policy = tmp_path / "policy.toml"
    policy.write_text("min_per_domain = 40\n")
    code, out, err = run(capsys, "audit", "--policy", str(policy))
    assert code == 1 and "VIOLATION: domain shop has 30 examples, fewer than 40" in out
    assert err == "curate: error: 2 policy violations\n"


def test_export_then_import_round_trip(ready: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "mix", "build", "small")
    code, out, _ = run(capsys, "export", "small", "--out", str(tmp_path / "out"), "--turns", "last")
    assert code == 0 and "round trip through mlx-lm:" in out
    code, _, err = run(capsys, "export", "never", "--out", str(tmp_path / "x"))
    assert (code, err) == (2, "curate: error: mix 'never' was never built (run `curate mix build never`)\n")
    exported = tmp_path / "out" / "train.jsonl"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(exported.read_text() + "{oops\n")
    lines = len(exported.read_text().splitlines())
    code, out, err = run(capsys, "import", str(broken), "--domain", "again", "--format", "mlx")
    assert code == 1
    assert f"{lines} of {lines + 1} rows good, {lines} imported into again" in out
    assert f"{broken}:{lines + 1}: not JSON" in out
    shutil.rmtree(tmp_path / "out")
