"""`curate train`, `--resume`, `fuse`, `eval`, `runs` and `report phases` on the embedded tiny model:
real mlx-lm LoRA runs on the CPU, recorded in a real store."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.errors import CheckFailed, InputError
from curate.store import Store
from curate.training import run_training
from tests.conftest import SAMPLE
from train.lora import LoraSettings, checkpoints

PNG = b"\x89PNG\r\n\x1a\n"
SETTINGS = ("--batch-size", "2", "--learning-rate", "0.001", "--val-batches", "2", "--max-seq-length", "4096")


@dataclass(frozen=True)
class Trained:
    db: Path
    mixes: Path
    runs: Path
    straight: str
    """Six iterations in one go."""
    resumed: str
    """The same six, interrupted after the fourth and resumed from the checkpoint at the third."""


def curate(capsys: pytest.CaptureFixture[str] | None, trained: Trained, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(trained.db), "--mixes", str(trained.mixes), *argv])
    if capsys is None:
        return code, "", ""
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("training")
    mixes = root / "mixes"
    mixes.mkdir()
    (mixes / "train.toml").write_text(
        'name = "train"\n[splits]\ntrain = 0.6\nvalid = 0.4\ntest = 0.0\n'
        '[[components]]\nselect = { domain = "shop" }\ncount = 24\n'
    )
    (mixes / "evaluated.toml").write_text(
        'name = "evaluated"\n[splits]\ntrain = 0.4\nvalid = 0.2\ntest = 0.4\n'
        '[[components]]\nselect = { domain = "shop" }\ncount = 10\n'
    )
    partial = Trained(root / "t.duckdb", mixes, root / "runs", "", "")
    for argv in (
        ("mine", str(SAMPLE), "--domain", "shop", "--jobs", "1"),
        ("synth", "--domain", "shop", "--n", "30", "--seed", "1", "--shapes", "all"),  # a mix of every shape
        ("mix", "build", "train"),
        ("mix", "build", "evaluated"),
    ):
        assert curate(None, partial, *argv)[0] == 0
    schedule = ("--iters", "6", "--save-every", "3", "--steps-per-eval", "3", "--steps-per-report", "3")
    assert curate(None, partial, "train", "train", *SETTINGS, *schedule, "--runs", str(partial.runs))[0] == 0
    with Store.open(partial.db) as store:
        straight = store.train_runs()[0].run_id

        def interrupt(kind: str, iteration: int, info: dict[str, Any]) -> None:
            if kind == "train" and iteration == 4:
                raise KeyboardInterrupt

        settings = LoraSettings(
            iters=6,
            batch_size=2,
            learning_rate=0.001,
            val_batches=2,
            max_seq_length=4096,
            save_every=3,
            steps_per_eval=3,
            steps_per_report=1,
        )
        with pytest.raises(CheckFailed, match=r"interrupted; its last checkpoint is at iteration 3"):
            run_training(
                store,
                mixes,
                "train",
                model="tiny",
                settings=settings,
                runs=partial.runs,
                run_id="interrupted",
                on_report=interrupt,
            )
    return Trained(partial.db, mixes, partial.runs, straight, "interrupted")


@pytest.fixture(scope="module")
def resumed(trained: Trained) -> Trained:
    with Store.open(trained.db, read_only=True) as store:
        (run,) = store.train_runs([trained.resumed])
    assert run.status == "interrupted" and checkpoints(Path(run.folder) / "adapters") == [3]
    assert curate(None, trained, "train", "--resume", trained.resumed)[0] == 0
    return trained


@pytest.mark.slow
def test_a_run_records_every_report_checkpoint_and_loss_curve(trained: Trained) -> None:
    with Store.open(trained.db, read_only=True) as store:
        (run,) = store.train_runs([trained.straight])
        reports = store.train_reports(run.run_id)
    assert run.status == "finished" and run.model == "tiny" and run.settings["iters"] == 6
    assert [(report.kind, report.iteration) for report in reports] == [
        ("val", 0),
        ("train", 3),
        ("val", 3),
        ("train", 6),
        ("val", 6),
    ]
    assert reports[-1].metrics["val_loss"] < reports[0].metrics["val_loss"]  # it learns
    train = reports[1].metrics
    assert set(train) >= {"train_loss", "learning_rate", "iterations_per_second", "tokens_per_second", "peak_memory"}
    folder = Path(run.folder)
    assert checkpoints(folder / "adapters") == [3, 6]
    assert (folder / "adapters" / "adapters.safetensors").exists()
    assert json.loads((folder / "adapters" / "adapter_config.json").read_text())["fine_tune_type"] == "lora"
    assert (folder / "loss.png").read_bytes().startswith(PNG)
    manifest = json.loads((folder / "data" / "manifest.json").read_text())
    assert manifest["mix"] == "train" and manifest["lockfile_sha256"] == run.lockfile_sha256


@pytest.mark.slow
def test_resume_goes_on_at_the_checkpoint_and_ends_where_an_uninterrupted_run_does(resumed: Trained) -> None:
    import mlx.core as mx

    with Store.open(resumed.db, read_only=True) as store:
        straight, again = store.train_runs([resumed.straight]), store.train_runs([resumed.resumed])
        reports = store.train_reports(resumed.resumed)
        straight_reports = store.train_reports(resumed.straight)
    run = again[0]
    assert run.status == "finished" and run.resumed_from == "0000003_adapters.safetensors"
    # the report of iteration 4, made before the interruption, is gone: that work was redone
    assert [(report.kind, report.iteration) for report in reports] == [
        ("val", 0),
        ("train", 1),
        ("train", 2),
        ("train", 3),
        ("val", 3),
        ("train", 4),
        ("train", 5),
        ("train", 6),
        ("val", 6),
    ]
    adapters = Path(run.folder) / "adapters"
    assert checkpoints(adapters) == [3, 6] and not list(adapters.glob(".resume-*"))
    # same batches, same optimizer state: the same adapters, and the same training loss at 6
    mine = mx.load(str(adapters / "adapters.safetensors"))
    theirs = mx.load(str(Path(straight[0].folder) / "adapters" / "adapters.safetensors"))
    assert isinstance(mine, dict) and isinstance(theirs, dict) and mine.keys() == theirs.keys()
    assert all(mx.array_equal(mine[name], theirs[name]).item() for name in mine)
    # it reported every iteration where the straight run averaged over three
    resumed_losses = [r.metrics["train_loss"] for r in reports if r.kind == "train" and r.iteration > 3]
    straight_loss = straight_reports[-2].metrics["train_loss"]
    assert sum(resumed_losses) / 3 == pytest.approx(straight_loss, rel=1e-5)
    # every validation scores the same batches, so equal models give equal validation losses
    val = {r.iteration: r.metrics["val_loss"] for r in reports if r.kind == "val"}
    straight_val = {r.iteration: r.metrics["val_loss"] for r in straight_reports if r.kind == "val"}
    assert val[0] == straight_val[0] and val[6] == pytest.approx(straight_val[6], rel=1e-6)


@pytest.mark.slow
def test_a_finished_run_resumes_only_to_train_further(resumed: Trained, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = curate(capsys, resumed, "train", "--resume", resumed.straight)
    assert (
        code == 2
        and err
        == f"curate: error: run {resumed.straight} is finished (pass --iters above its last iteration to train on)\n"
    )
    code, _, err = curate(capsys, resumed, "train", "--resume", resumed.straight, "--rank", "4")
    assert code == 2 and "only --iters may change" in err


@pytest.mark.slow
def test_fuse_gives_a_model_that_loads_and_answers_like_the_adapters(
    resumed: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlx.core as mx
    from mlx_lm import generate
    from mlx_lm.utils import load

    code, out, err = curate(capsys, resumed, "fuse", resumed.straight)
    assert code == 0, err
    folder = Path(out.split(" -> ")[1].strip())
    assert folder.name == "fused" and (folder / "config.json").exists()
    with Store.open(resumed.db, read_only=True) as store:
        (run,) = store.train_runs([resumed.straight])
    adapted, tokenizer = load(str(Path(run.folder) / "model"), adapter_path=str(Path(run.folder) / "adapters"))[:2]
    fused = load(str(folder))[0]
    tokens = mx.array([tokenizer.encode("Find all pytest fixtures")])
    assert mx.allclose(adapted(tokens), fused(tokens), atol=1e-4).item()
    code, out, _ = curate(capsys, resumed, "fuse", resumed.straight, "--quantize", "8")
    assert code == 0 and out.rstrip().endswith("fused-q8 (8-bit)")
    quantized = Path(run.folder) / "fused-q8"
    assert json.loads((quantized / "config.json").read_text())["quantization"]["bits"] == 8
    model, tokenizer = load(str(quantized))[:2]
    assert isinstance(generate(model, tokenizer, "Find all pytest fixtures", max_tokens=4), str)
    code, _, err = curate(capsys, resumed, "fuse", resumed.straight)
    assert code == 2 and "already exists and is not empty" in err


@pytest.mark.slow
def test_eval_compares_base_runs_and_a_fused_model(resumed: Trained, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(resumed.db, read_only=True) as store:
        (run,) = store.train_runs([resumed.straight])
    fused = Path(run.folder) / "fused"
    if not fused.exists():
        assert curate(capsys, resumed, "fuse", resumed.straight)[0] == 0
    code, out, err = curate(
        capsys,
        resumed,
        "eval",
        "evaluated",
        "--configs",
        "base",
        "--configs",
        resumed.straight,
        "--configs",
        str(fused),
        "--max-tokens",
        "8",
    )
    assert code == 0, err
    table = out.splitlines()
    assert table[0].split() == ["base", resumed.straight, str(fused)]
    assert table[1].startswith("prompts") and table[2].startswith("call / no-call accuracy")
    with Store.open(resumed.db, read_only=True) as store:
        stored = store.eval_results()
    assert [result.config for result in stored][-3:] == ["base", resumed.straight, str(fused)]
    assert all(result.scores["cases"] == int(table[1].split()[-1]) for result in stored)


@pytest.mark.slow
def test_runs_and_the_phase_report(resumed: Trained, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = curate(capsys, resumed, "runs")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{resumed.straight}\ttrain\ttiny\tfinished\t6/6 iterations\tval loss ")
    assert lines[1].startswith("interrupted\ttrain\ttiny\tfinished\t6/6 iterations\tval loss ")
    chart = tmp_path / "phases.png"
    code, out, err = curate(capsys, resumed, "report", "phases", resumed.straight, "interrupted", "--chart", str(chart))
    assert code == 0, err
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]] for line in out.splitlines()[2:-1]
    }
    assert out.splitlines()[0].split("|")[2].strip() == f"train ({resumed.straight})"
    assert rows["run"] == [resumed.straight, "interrupted"] and rows["examples"] == ["24", "24"]
    assert rows["iterations"] == ["6", "6"] and rows["domains"] == ["1", "1"]
    assert all(cell.endswith(" GB") for cell in rows["peak memory"])
    assert chart.read_bytes().startswith(PNG) and out.rstrip().endswith(f"validation loss by run: {chart}")
    code, out, _ = curate(capsys, resumed, "report", "phases", "--chart", str(chart))
    assert code == 0 and out.splitlines()[0].split("|")[2].strip() == "train"  # the latest run of each mix
    code, _, err = curate(capsys, resumed, "report", "phases", "nope", "--chart", str(chart))
    assert code == 2 and err == "curate: error: no training run 'nope' (`curate runs` lists them)\n"


# -- bad input: one line, exit 2, nothing kept -------------------------------------------------------


@pytest.mark.slow
def test_bad_input_is_one_line_and_leaves_nothing(
    trained: Trained, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"

    def nothing_kept() -> None:
        assert not runs.exists() or not any(runs.iterdir())
        with Store.open(trained.db, read_only=True) as store:
            assert {run.run_id for run in store.train_runs()} <= {trained.straight, trained.resumed}

    (trained.mixes / "never.toml").write_text(
        'name = "never"\n[[components]]\nselect = { domain = "shop" }\ncount = 4\n'
    )
    cases = [
        (("train", "never"), "mix 'never' was never built"),
        (("train", "train", "--model", str(tmp_path / "nowhere")), "no model folder at"),
        (
            ("train", "train", "--model", "curate-tests/no-such-model-0000"),
            "cannot fetch 'curate-tests/no-such-model-0000'",
        ),
        (("train", "train", "--max-seq-length", "64"), "nothing of their answer would be trained"),
        (("train",), "which mix?"),
        (("train", "--resume", "nope"), "no training run 'nope'"),
        (("fuse", "nope"), "no training run 'nope'"),
    ]
    for argv, message in cases:
        code, _, err = curate(capsys, trained, *argv, *(("--runs", str(runs)) if argv[0] == "train" else ()))
        assert (code, err.count("\n")) == (2, 1) and err.startswith("curate: error: ") and message in err, (argv, err)
        nothing_kept()
    (trained.mixes / "never.toml").unlink()


def test_mlx_missing_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "mlx_lm", None)
    code = main(["--db", str(tmp_path / "s.duckdb"), "train", "anything"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("curate: error: MLX is not available here (") and "mlx-lm[cpu]" in err


def test_an_unreachable_hub_id_is_one_clear_error(tmp_path: Path) -> None:
    from curate.training import resolve_model

    with pytest.raises(InputError, match=r"cannot fetch 'curate-tests/no-such-model-0000' from the Hugging Face Hub"):
        resolve_model("curate-tests/no-such-model-0000", tmp_path)
    with pytest.raises(InputError, match=r"not a model folder \(it has no config.json\)"):
        resolve_model(str(tmp_path), tmp_path)
