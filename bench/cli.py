"""The command line as users feel it: whole processes, start-up included, against a bare
`python -c "import duckdb"` process measured in the same run.

Figures (median wall time of `--repeat` runs each, after one unmeasured warm-up run):

- baseline: `python -c "import duckdb"`, the least a command that opens the store can cost;
- `curate --help`;
- `curate tool call find_symbols` on a mined store (the call an assistant makes at run time);
- `curate mine` of the stdlib, cold (a fresh store) and warm (the same store again, nothing changed).

Targets: `--help` and `tool call` at most 2x the baseline; a warm mine at most 5% of a cold one.
Exits 1 when a target is missed.

Every command runs as an installed Python runs it, with its modules' bytecode cached (in a folder of
this run, `PYTHONPYCACHEPREFIX`): where `PYTHONDONTWRITEBYTECODE` is set, each process would compile
every module it imports, curate's, click's, pydantic's and duckdb's alike, at each start.
Usage: uv run python bench/cli.py [--repeat 7] [--root PATH] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# The sibling benchmark; importable because running a script puts its folder first on `sys.path`.
from mine_python import STDLIB, cpu_model, invocation, print_table, replace_section, verdict

SECTION = "cli"
START_TARGET = 2.0
WARM_TARGET = 0.05
CURATE = [sys.executable, "-m", "curate"]


def timed(command: Sequence[str], repeat: int, env: dict[str, str]) -> float:
    """The median wall time of `repeat` runs, after one run that warms the page and bytecode caches."""
    subprocess.run(command, check=True, capture_output=True, env=env)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def once(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def cached_bytecode(folder: str) -> dict[str, str]:
    """The environment with bytecode written to, and read from, `folder`."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(Path(folder) / "pycache")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7, help="runs per start-up figure (default 7)")
    parser.add_argument("--root", type=Path, default=STDLIB, help="what to mine (default: the stdlib)")
    parser.add_argument("--write", type=Path, help="replace this script's section of that file (BENCHMARKS.md)")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "cli.duckdb")
        env = cached_bytecode(folder)
        mine = [*CURATE, "--db", db, "mine", str(arguments.root), "--domain", "stdlib", "--exclude", "test/*"]
        mine += ["--exclude", "site-packages/*"]
        # the cold mine's modules compiled beforehand, so that it measures mining, not compiling
        once([sys.executable, "-c", "import curate.cli, curate.mine, curate.tools, sources.extract"], env)
        cold = once(mine, env)
        warm = statistics.median(once(mine, env) for _ in range(3))
        baseline = timed([sys.executable, "-c", "import duckdb"], arguments.repeat, env)
        helped = timed([*CURATE, "--help"], arguments.repeat, env)
        call = [*CURATE, "--db", db, "tool", "call", "find_symbols", "--domain", "stdlib"]
        called = timed([*call, "--args", '{"kind": "dataclass"}'], arguments.repeat, env)
    rows = [
        ("baseline: python -c 'import duckdb'", f"{baseline:.3f} s"),
        ("curate --help", f"{helped:.3f} s = {helped / baseline:.2f}x baseline"),
        ("curate tool call find_symbols (stdlib store)", f"{called:.3f} s = {called / baseline:.2f}x baseline"),
        ("target: --help and tool call <= 2x baseline", verdict(max(helped, called) / baseline <= START_TARGET)),
        ("curate mine, cold (stdlib, fresh store)", f"{cold:.2f} s"),
        ("curate mine, warm (nothing changed; median of 3)", f"{warm:.2f} s = {warm / cold:.1%} of cold"),
        ("target: warm <= 5% of cold", verdict(warm / cold <= WARM_TARGET)),
    ]
    print_table(rows)
    if arguments.write:
        machine = f"{os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.machine()}"
        lines = "\n".join(f"| {name} | {value} |" for name, value in rows)
        body = (
            f"## {SECTION}\n\n`{invocation('bench/cli.py', argv)}` on {datetime.date.today().isoformat()}: "
            f"{machine}; Python {platform.python_version()}.\n\n| figure | value |\n|---|---|\n{lines}\n"
        )
        text = arguments.write.read_text(encoding="utf-8") if arguments.write.exists() else "# Benchmarks\n"
        arguments.write.write_text(replace_section(text, SECTION, body))
        print(f"\nwrote the {SECTION} section of {arguments.write}")
    passed = max(helped, called) / baseline <= START_TARGET and warm / cold <= WARM_TARGET
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
