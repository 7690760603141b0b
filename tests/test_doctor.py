"""`curate doctor` on damage made by hand: a broken manifest, a file changed after export, split
files without a manifest, a lockfile naming examples the store lacks, and leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.cli import main
from curate.store import Store


def test_doctor_names_every_damage_and_cleans_leftovers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, mixes, outputs = tmp_path / "s.duckdb", tmp_path / "mixes", tmp_path / "out"
    Store.open(db).close()
    mixes.mkdir()
    (mixes / "gone.toml").write_text('name = "gone"\n[[components]]\ncount = 1\n')
    (mixes / "gone.lock.json").write_text("{not json")
    good = outputs / "good"
    good.mkdir(parents=True)
    (good / "train.jsonl").write_text('{"messages": []}\n')
    digest = "0" * 64
    (good / "manifest.json").write_text(json.dumps({"files": {"train.jsonl": {"bytes": 17, "sha256": digest}}}))
    (outputs / "broken").mkdir()
    (outputs / "broken" / "manifest.json").write_text('{"files": []}')
    (outputs / "half").mkdir()
    (outputs / "half" / "valid.jsonl").write_text("{}\n")
    (outputs / ".good.tmp-abc").mkdir()
    (outputs / ".good.tmp-abc" / "train.jsonl").write_text("{}\n")
    common = ["--db", str(db), "--mixes", str(mixes), "doctor", "--outputs", str(outputs)]
    assert main(common) == 1
    out = capsys.readouterr().out
    assert f"PROBLEM {good}: train.jsonl does not match its sha256" in out
    assert f"PROBLEM {outputs / 'broken'}: manifest.json does not read" in out
    assert f"PROBLEM {outputs / 'half'}: split files without a manifest (a half-written export)" in out
    assert "PROBLEM lockfile gone: " in out
    assert "1 leftovers of killed processes (" in out
    (mixes / "gone.lock.json").unlink()
    for name in ("broken", "half"):
        for path in (outputs / name).iterdir():
            path.unlink()
        (outputs / name).rmdir()
    (good / "manifest.json").unlink()
    (good / "train.jsonl").unlink()
    assert main([*common, "--clean"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 leftovers of killed processes" in out and out.rstrip().endswith("healthy")
    assert not (outputs / ".good.tmp-abc").exists()
