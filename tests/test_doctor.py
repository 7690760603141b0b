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


def test_lockfiles_of_another_store_are_noted_not_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The recipes folder is shared by every `--db`: a lockfile naming none of this store's examples
    was built from another store and is noted; one naming some it lacks is damage."""
    from tests.conftest import SAMPLE

    mixes, built, other = tmp_path / "mixes", str(tmp_path / "built.duckdb"), str(tmp_path / "other.duckdb")
    mixes.mkdir()
    (mixes / "small.toml").write_text('name = "small"\n[[components]]\nselect = { domain = "shop" }\ncount = 5\n')
    for argv in (["mine", str(SAMPLE), "--domain", "shop", "--jobs", "1"], ["synth", "--domain", "shop", "--n", "8"]):
        assert main(["--db", built, *argv]) == 0
    assert main(["--db", built, "--mixes", str(mixes), "mix", "build", "small"]) == 0
    Store.open(Path(other)).close()
    capsys.readouterr()
    doctor = ["--mixes", str(mixes), "doctor", "--outputs", str(tmp_path / "none")]
    assert main(["--db", other, *doctor]) == 0
    out = capsys.readouterr().out
    assert "note lockfile small: built from another store (none of its 5 examples is here); not checked" in out
    assert "checked 0 lockfiles in " in out and out.rstrip().endswith("healthy")
    assert main(["--db", built, *doctor]) == 0
    assert "checked 1 lockfiles in " in capsys.readouterr().out
    lockfile = json.loads((mixes / "small.lock.json").read_text())
    lockfile["splits"]["train"].append("0" * 64)
    (mixes / "small.lock.json").write_text(json.dumps(lockfile))
    assert main(["--db", built, *doctor]) == 1
    assert "PROBLEM lockfile small: names 1 examples the store does not hold" in capsys.readouterr().out


def test_report_mixes_names_each_unreadable_lockfile_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad JSON, bytes that are not UTF-8, a folder in a lockfile's place: each is one warning, and
    with nothing left to show the error says so (not that no mix was built)."""
    db, mixes = tmp_path / "s.duckdb", tmp_path / "mixes"
    Store.open(db).close()
    mixes.mkdir()
    for name in ("json", "bytes", "folder"):
        (mixes / f"{name}.toml").write_text(f'name = "{name}"\n[[components]]\ncount = 1\n')
    (mixes / "json.lock.json").write_text("{not json")
    (mixes / "bytes.lock.json").write_bytes(b"\xff\xfe{")
    (mixes / "folder.lock.json").mkdir()
    assert main(["--db", str(db), "--mixes", str(mixes), "report", "mixes"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2].strip() for line in err[:3]] == [
        "left out mix bytes",
        "left out mix folder",
        "left out mix json",
    ]
    assert err[3] == "curate: error: none of the 3 built mixes reads (rebuild them: `curate mix build NAME`)"
