"""`curate train` end to end on the embedded tiny model: a real mlx-lm LoRA run, recorded in the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.errors import InputError
from curate.store import Store
from tests.test_cli import db, run  # noqa: F401  (the fixture)
from tests.test_cli_curation import ready  # noqa: F401  (the fixture)


@pytest.mark.slow
def test_train_records_the_run_and_every_report(
    ready: Path,  # noqa: F811
    db: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (ready / "train.toml").write_text(
        'name = "train"\n[splits]\ntrain = 0.6\nvalid = 0.4\ntest = 0.0\n'
        '[[components]]\nselect = { domain = "shop" }\ncount = 24\n'
    )
    assert run(capsys, "mix", "build", "train")[0] == 0
    code, out, err = run(
        capsys,
        "train",
        "train",
        "--iters",
        "6",
        "--batch-size",
        "2",
        "--learning-rate",
        "0.002",
        "--steps-per-eval",
        "3",
        "--save-every",
        "3",
        "--steps-per-report",
        "3",
        "--val-batches",
        "1",
        "--runs",
        str(tmp_path / "runs"),
    )
    assert code == 0, err
    ours = [line for line in out.splitlines() if line.startswith(("iter ", "run "))]  # mlx-lm prints too
    assert ours[0].startswith("iter 0: val loss ") and ours[-1].startswith("run train-train-")
    assert " finished in " in ours[-1] and len(ours) == 6
    with Store.open(db, read_only=True) as store:
        (train_run,) = store.train_runs()
        reports = store.train_reports(train_run.run_id)
    assert train_run.status == "finished" and train_run.model == "tiny" and train_run.settings["iters"] == 6
    assert [(kind, iteration) for kind, iteration, _ in reports] == [
        ("val", 0),
        ("train", 3),
        ("val", 3),
        ("train", 6),
        ("val", 6),
    ]
    adapters = Path(train_run.folder) / "adapters"
    assert (adapters / "0000003_adapters.safetensors").exists() and (adapters / "adapters.safetensors").exists()
    code, out, _ = run(capsys, "runs")
    assert out.startswith(f"{train_run.run_id}\ttrain\ttiny\tfinished\tval loss ")
    (ready / "evaluated.toml").write_text(
        'name = "evaluated"\n[splits]\ntrain = 0.4\nvalid = 0.2\ntest = 0.4\n'
        '[[components]]\nselect = { domain = "shop" }\ncount = 10\n'
    )
    assert run(capsys, "mix", "build", "evaluated")[0] == 0
    code, out, err = run(
        capsys, "eval", "evaluated", "--configs", "base", "--configs", train_run.run_id, "--max-tokens", "8"
    )
    assert code == 0, err
    table = out.splitlines()
    assert table[0].split() == ["base", train_run.run_id]
    assert table[1].startswith("prompts") and table[2].startswith("call / no-call accuracy")
    with Store.open(db, read_only=True) as store:
        stored = store.eval_results()
    assert [config for _, mix, config, _ in stored] == ["base", train_run.run_id]
    assert all(scores["cases"] == int(table[1].split()[-1]) for _, _, _, scores in stored)


def test_a_missing_model_folder_is_one_clear_error(tmp_path: Path) -> None:
    from curate.training import resolve_model

    with pytest.raises(InputError, match=r"no model folder at 'Qwen/Qwen2\.5-Coder-7B-Instruct'"):
        resolve_model("Qwen/Qwen2.5-Coder-7B-Instruct", tmp_path)
