"""`curate train` against mlx-lm's own `mlx_lm lora` command: the same data, model and iterations.

(Not `bench/train.py`: run as a script, that name would hide the `train` package.)

Set-up (not timed): a store with the sample shop project mined and `--examples` examples
synthesized, a mix of them built, exported with `curate export` for mlx-lm, and the embedded tiny
model built on that export.

Timed, each command in a fresh process, alternating, best of `--repeat`:
- baseline: `python -m mlx_lm lora --model M --data EXPORT --train --iters N ...`;
- `python -m curate train MIX --model M --iters N ...` with the same settings: it exports the mix
  itself, checks the export's round trip, trains through mlx-lm's trainer, records every report in
  the store and draws the loss curve, so all of curate's overhead is inside the figure.

`--iters` defaults to two epochs of the train split, so both runs train on the same batches however
each orders them (mlx-lm's trainer pads each batch to its longest row: orders that group rows
differently would cost differently). Validation runs on the whole validation set, at the start and
at the end, in both.

Target: curate / mlx_lm <= 1.05. Exits 1 when it is missed.
Usage: uv run python bench/train_lora.py [--examples 40] [--iters N] [--repeat 2] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from mine_python import print_table, verdict, write_figures

from curate.cli import main as curate
from curate.mine import mine
from curate.store import Store
from curate.synth import run_synth
from train.model import TinyModel, build_tiny_model

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "samples" / "python" / "shop"
TARGET = 1.05
SECTION = "train"
BATCH = 2


def run(command: Sequence[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} failed:\n{done.stderr[-2000:]}")
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--iters", type=int, help="default: two epochs of the train split")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        db, mixes, export = folder / "bench.duckdb", folder / "mixes", folder / "export"
        mixes.mkdir()
        with Store.open(db) as store:
            mine(store, SAMPLE, domain="shop")
            run_synth(store, "shop", arguments.examples, run_id="bench", seed=0)
        (mixes / "bench.toml").write_text(
            'name = "bench"\n[splits]\ntrain = 0.7\nvalid = 0.3\ntest = 0.0\n'
            f'[[components]]\nselect = {{ domain = "shop" }}\ncount = {arguments.examples}\n'
        )
        common = ["--db", str(db), "--mixes", str(mixes)]
        assert curate([*common, "mix", "build", "bench"]) == 0
        assert curate([*common, "export", "bench", "--out", str(export)]) == 0
        rows = [json.loads(line) for split in ("train", "valid") for line in (export / f"{split}.jsonl").open()]
        model = build_tiny_model(rows, folder / "model", TinyModel())
        train_rows = sum(1 for _ in (export / "train.jsonl").open())
        iters = arguments.iters or 2 * (train_rows // BATCH)
        settings = [
            "--iters", str(iters), "--batch-size", str(BATCH), "--learning-rate", "1e-3", "--num-layers", "2",
            "--max-seq-length", "4096", "--steps-per-eval", str(iters), "--steps-per-report", "10",
            "--save-every", str(iters), "--val-batches", "-1", "--seed", "0",
        ]  # fmt: skip
        baseline_command = [
            sys.executable, "-m", "mlx_lm", "lora", "--model", str(model), "--data", str(export), "--train",
            "--mask-prompt", "--adapter-path", str(folder / "mlx-adapters"), *settings,
        ]  # fmt: skip
        curate_command = [
            sys.executable, "-m", "curate", *common, "train", "bench", "--model", str(model),
            "--runs", str(folder / "runs"), *settings,
        ]  # fmt: skip
        baseline_times, curate_times = [], []
        for number in range(arguments.repeat):
            baseline_times.append(run(baseline_command, REPO))
            curate_times.append(run(curate_command, REPO))
            print(
                f"round {number + 1}: mlx_lm lora {baseline_times[-1]:.1f} s, curate train {curate_times[-1]:.1f} s",
                file=sys.stderr,
            )
        with Store.open(db, read_only=True) as store:
            reports = sum(len(store.train_reports(run.run_id)) for run in store.train_runs())
    baseline, ours = min(baseline_times), min(curate_times)
    ratio = ours / baseline
    shape = TinyModel()
    rows_table = [
        ("data", f"{arguments.examples} examples of the sample project: {train_rows} train rows, batch {BATCH}"),
        ("model", f"the embedded tiny qwen2 ({shape.num_hidden_layers} layers, hidden {shape.hidden_size})"),
        ("iterations", f"{iters} (two epochs), validation on the whole split at the start and the end"),
        ("baseline: `python -m mlx_lm lora`", f"{baseline:.1f} s (best of {arguments.repeat})"),
        ("`python -m curate train` (export, train, record, chart)", f"{ours:.1f} s (best of {arguments.repeat})"),
        ("curate / mlx_lm", f"{ratio:.3f}x ({(ratio - 1) * 100:+.1f}%)"),
        ("reports recorded in the store", f"{reports} over {arguments.repeat} runs"),
        ("target: <= 1.05x", verdict(ratio <= TARGET)),
    ]
    print_table(rows_table)
    if arguments.write:
        versions = f"Python {platform.python_version()}, mlx {version('mlx')}, mlx-lm {version('mlx-lm')}"
        write_figures(arguments.write, SECTION, "bench/train_lora.py", argv, versions, rows_table)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
