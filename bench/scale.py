"""Both mining engines on the same corpus of at least 5,000 real Python files: files/s and lines/s.

The corpus: the first `--files` (5,000) `.py` files, sorted by path, of the standard library and the
installed packages of this environment (`site-packages`), copied into one temporary folder (one
source). Each engine mines it cold into a fresh store: `local` (the process pool, `--jobs` all
cores) and `ray` (Ray Data on a local runtime with as many CPUs; its start-up is inside the figure,
as a user pays it). Best of `--repeat`, alternating.

Target on 2 cores: ray / local <= 1.3 (Ray's gain comes with more cores; `docs/scale.md`).
Exits 1 when it is missed, 2 when Ray is not installed.
Usage: uv run --extra ray python bench/scale.py [--files 5000] [--repeat 1] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from mine_python import print_table, verdict, write_figures

TARGET = 1.3
SECTION = "scale"
ROOTS = (Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"]))


def build_corpus(folder: Path, wanted: int) -> tuple[int, int, int]:
    """Copy `wanted` files; (files, lines, bytes)."""
    files = lines = size = 0
    for root in ROOTS:
        for path in sorted(root.rglob("*.py")):
            if files == wanted:
                return files, lines, size
            if path.is_symlink() or not path.is_file() or "site-packages" in path.relative_to(root).parts:
                continue
            target = folder / root.name / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            data = target.read_bytes()
            files, lines, size = files + 1, lines + data.count(b"\n"), size + len(data)
    return files, lines, size


def timed_mine(corpus: Path, db: Path, engine: str) -> float:
    db.unlink(missing_ok=True)
    command = [sys.executable, "-m", "curate", "--db", str(db), "mine", str(corpus), "--engine", engine]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{engine} mine failed:\n{done.stderr[-2000:]}")
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args(argv)
    try:
        import ray  # noqa: F401
    except ImportError:
        print("Ray is not installed: uv sync --extra ray", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        corpus = folder / "corpus"
        files, lines, size = build_corpus(corpus, arguments.files)
        print(f"corpus: {files:,} files, {lines:,} lines, {size / 1e6:.1f} MB", file=sys.stderr)
        times: dict[str, list[float]] = {"local": [], "ray": []}
        for number in range(arguments.repeat):
            for engine in ("local", "ray"):
                times[engine].append(timed_mine(corpus, folder / f"{engine}.duckdb", engine))
            print(f"run {number + 1}: local {times['local'][-1]:.1f} s, ray {times['ray'][-1]:.1f} s", file=sys.stderr)
    local, on_ray = min(times["local"]), min(times["ray"])
    ratio = on_ray / local
    rows = [
        ("corpus", f"{files:,} files, {lines:,} lines, {size / 1e6:.1f} MB (stdlib and site-packages)"),
        ("local (process pool)", f"{local:.1f} s = {files / local:,.0f} files/s, {lines / local:,.0f} lines/s"),
        (
            "ray (Ray Data, local runtime)",
            f"{on_ray:.1f} s = {files / on_ray:,.0f} files/s, {lines / on_ray:,.0f} lines/s",
        ),
        ("ray / local", f"{ratio:.2f}x"),
        ("target: <= 1.3x", verdict(ratio <= TARGET)),
    ]
    print_table(rows)
    if arguments.write:
        versions = f"Python {platform.python_version()}, ray {version('ray')}, duckdb {version('duckdb')}"
        note = f" Both engines cold, each in a fresh process and store, best of {arguments.repeat}."
        write_figures(arguments.write, SECTION, "bench/scale.py", argv, versions, rows, note=note)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
