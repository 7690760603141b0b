"""`curate demo`: the README's first command, the whole pipeline on embedded defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from curate.store import Store
from tests.conftest import REPO
from tests.test_cli import db, run  # noqa: F401  (the fixture)


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline_and_prints_the_phase_table(
    db: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixes = tmp_path / "mixes"
    shutil.copytree(REPO / "data" / "mixes", mixes, ignore=shutil.ignore_patterns("*.lock.json"))
    monkeypatch.setenv("CURATE_MIXES", str(mixes))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "demo", "--iters", "2")
    assert code == 0, err
    for expected in (
        "mined shop: 12 files (12 parsed, ",
        "mined asyncio: ",
        "mined typer: ",
        "mined site: ",
        "validated 400 stored examples: verified 400",
        "mix phase7: 310 examples (",
        "audit phase7: 310 examples, 4 domains, tool calls 76.1%, ",
        "base model demo-base: ",
        " other codebases; 0 of phase7's ",
        "training phase6: 2 iterations with mlx-lm LoRA on the CPU, from the demo base",
        "run demo-phase6-1 finished in ",
        "run demo-phase7-2 finished in ",
        "call/no-call test on phase7's test split: base, demo-phase6-1, demo-phase7-2",
        "| final val loss ",
        "| call / no-call accuracy ",
        "validation loss by phase: data/runs/phases.png",
    ):
        assert expected in out, expected
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert [cell.strip() for cell in table[0].split("|")[2:4]] == [
        "phase6",
        "phase7",
    ]
    assert (tmp_path / "data" / "runs" / "phases.png").read_bytes().startswith(b"\x89PNG")
    with Store.open(db, read_only=True) as store:
        runs = store.train_runs()
        assert [(run.mix, run.status) for run in runs] == [("phase6", "finished"), ("phase7", "finished")]
        results = store.eval_results()
        assert [result.config for result in results] == ["base", "demo-phase6-1", "demo-phase7-2"]
    # The shipped base decides before any phase trains it (a model that always calls: 76% / 0.86 / 0%),
    # and two LoRA iterations from it keep what it learned.
    for result in results:
        scores = result.scores
        assert scores["accuracy"] >= 0.8 and scores["call_f1"] >= 0.8, (result.config, scores)
        assert scores["irrelevance_accuracy"] >= 0.5 and scores["outcomes"]["no_call"] >= 5, (result.config, scores)
