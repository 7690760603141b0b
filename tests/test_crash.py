"""SIGKILL at random points of `mine`, `synth`, `mix build`, `export` and `dedup`, then a rerun: each
time `curate doctor` finds the store whole and every export complete or absent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from curate.cli import main
from tests.conftest import SAMPLE

KILLS = 20
EMAIL = Path(sysconfig.get_paths()["stdlib"]) / "email"


@pytest.mark.slow
def test_killed_runs_leave_a_whole_store_and_whole_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, mixes, exports = tmp_path / "s.duckdb", tmp_path / "mixes", tmp_path / "exports"
    mixes.mkdir()
    (mixes / "shop.toml").write_text('name = "shop"\n[[components]]\nselect = { domain = "shop" }\ncount = 30\n')
    common = ["--db", str(db), "--mixes", str(mixes)]
    assert main([*common, "mine", str(SAMPLE), "--domain", "shop", "--jobs", "1"]) == 0
    assert main([*common, "synth", "--domain", "shop", "--n", "40", "--seed", "1"]) == 0
    capsys.readouterr()
    commands = [
        ["mine", str(EMAIL), "--domain", "email", "--batch", "5"],
        ["synth", "--domain", "shop", "--n", "60", "--seed", "{seed}"],
        ["mix", "build", "shop"],
        ["export", "shop", "--out", str(exports / "shop")],
        ["dedup", "--domain", "shop"],
    ]
    rng = random.Random(8)
    killed = attempt = 0
    while killed < KILLS and attempt < 3 * KILLS:  # a command that finished before its kill does not count
        kill, attempt = attempt, attempt + 1
        command = [part.replace("{seed}", str(kill)) for part in commands[kill % len(commands)]]
        child = subprocess.Popen(
            [sys.executable, "-m", "curate", *common, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.3, 2.0))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.wait(timeout=60)
        assert main([*common, "doctor", "--outputs", str(exports)]) == 0, (kill, command, capsys.readouterr())
        rerun = subprocess.run(
            [sys.executable, "-m", "curate", *common, *command], capture_output=True, text=True, check=False
        )
        assert rerun.returncode == 0, (kill, command, rerun.stderr)
        assert main([*common, "doctor", "--outputs", str(exports)]) == 0, (kill, command, capsys.readouterr())
        capsys.readouterr()
    assert (exports / "shop" / "manifest.json").exists()
    assert killed == KILLS, f"only {killed} of {attempt} runs were still running when killed"
