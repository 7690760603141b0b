"""The curation commands end to end: mix list/show/build/diff, audit, export, import, report."""

from __future__ import annotations

import json
import os
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
    umask = os.umask(0)
    os.umask(umask)
    assert (ready / "small.lock.json").stat().st_mode & 0o777 == 0o666 & ~umask
    (ready / "bigger.lock.json").write_text("{not json")
    code, out, err = run(capsys, "report", "mixes")
    assert code == 0 and out.splitlines()[0].split("|")[1:3] == [" metric               ", " small         "]
    assert err.startswith("curate: warning: left out mix bigger: ") and "bigger.lock.json" in err


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
    assert (code, err) == (2, "curate: error: no mix 'never' (known: bigger, small)\n")
    exported = tmp_path / "out" / "train.jsonl"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(exported.read_text() + "{oops\n")
    lines = len(exported.read_text().splitlines())
    code, out, err = run(capsys, "import", str(broken), "--domain", "again", "--format", "mlx")
    assert code == 1
    assert f"{lines} of {lines + 1} rows good, {lines} imported into again" in out
    assert f"{broken}:{lines + 1}: not JSON" in out
    shutil.rmtree(tmp_path / "out")


def test_audit_of_one_domain_counted_with_a_tokenizer(
    ready: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from curate.store import Store
    from curate.verify import conversation_text
    from schemas import Example

    with Store.open(os.environ["CURATE_DB"], read_only=True) as store:
        site = [Example.model_validate(item.record) for item in store.examples(domain="site")]
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"])
    tokenizer.train_from_iterator([example.query for example in site], trainer)
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    code, out, err = run(capsys, "audit", "--domain", "site", "--tokenizer", str(tmp_path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert code == 0 and report["scope"] == "the store, domain site" and report["examples"] == len(site) == 30
    assert [share["value"] for share in report["breakdowns"]["domain"]] == ["site"]
    lengths = sorted(len(tokenizer.encode(conversation_text(example)).ids) for example in site)
    assert report["lengths"]["counted_with"] == f"tokenizer {tmp_path}"
    assert (report["lengths"]["minimum"], report["lengths"]["maximum"]) == (lengths[0], lengths[-1])


def test_a_mix_diff_prints_each_change_and_the_drift_of_every_share() -> None:
    from curate.mix import Drift, MixDiff, render_diff

    result = MixDiff(
        "a",
        "b",
        added={"train": ["e3", "e4"], "valid": [], "test": []},
        removed={"train": [], "valid": ["e1"], "test": []},
        moved=[("e2", "train", "test")],
        drift=[Drift("kind", "direct", 0.25, 0.5), Drift("split", "train", 1.0, 0.8)],
    )
    assert render_diff(result, "old", "new") == (
        "old -> new: +2 added, -1 removed, 1 moved between splits (train +2/-0, valid +0/-1, test +0/-0)\n"
        "+ train\te3\n"
        "+ train\te4\n"
        "- valid\te1\n"
        "~ train->test\te2\n"
        f"{'share':<40}       old       new     drift\n"
        f"{'kind direct':<40}     25.0%     50.0%     +25.0\n"
        f"{'split train':<40}    100.0%     80.0%     -20.0\n"
    )
