"""Mining Python: `mine()` against a bare libcst parse of the same files, measured in the same run.

Three figures over one corpus (by default the stdlib without its `test/` folder and `site-packages/`):

- baseline: one process calling `libcst.parse_module(data)` on every file's bytes, already in memory
  (reading is not timed; a file libcst rejects still counts, with the time its parse took);
- cold mine: `mine()` into a fresh store (a new file each repeat), all cores, reading included;
- warm mine: `mine()` again on that store with nothing changed, so nothing is parsed.

Targets: cold / baseline <= 1.0 on 2 cores, warm / cold <= 0.05. Exits 1 when a target is missed.
Usage: uv run python bench/mine_python.py [--repeat N] [--root PATH] [--exclude GLOB]... [--write FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import libcst

from curate.mine import MineStats, mine
from curate.store import Store
from sources.files import read_source

STDLIB = Path(os.path.dirname(os.__file__))
STDLIB_EXCLUDE = ("test/*", "site-packages/*")
COLD_TARGET = 1.0
WARM_TARGET = 0.05
SECTION = "mine_python"


@dataclass(frozen=True)
class Corpus:
    """The files both sides see: `read_source` lists them, so the miner's default skips apply to both."""

    root: Path
    exclude: tuple[str, ...]
    sources: tuple[bytes, ...]
    unreadable: int
    lines: int

    @property
    def files(self) -> int:
        return len(self.sources) + self.unreadable


@dataclass(frozen=True)
class Run:
    baseline: float
    baseline_failed: int
    cold: float
    cold_stats: MineStats
    warm: float
    warm_stats: MineStats


@dataclass(frozen=True)
class Machine:
    cores: int
    python: str
    libcst: str
    system: str
    cpu: str

    def describe(self) -> str:
        cpu = f", {self.cpu}" if self.cpu else ""
        return f"{self.cores} cores{cpu}, {self.system}, Python {self.python}, libcst {self.libcst}"


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def load_corpus(root: Path, exclude: Sequence[str]) -> Corpus:
    sources: list[bytes] = []
    unreadable = 0
    for item in read_source(root, exclude):
        if item.data is None:
            unreadable += 1
        else:
            sources.append(item.data)
    return Corpus(root, tuple(exclude), tuple(sources), unreadable, sum(count_lines(data) for data in sources))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def this_machine() -> Machine:
    return Machine(
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        libcst=version("libcst"),
        system=f"{platform.system()} {platform.machine()}",
        cpu=cpu_model(),
    )


def parse_all(sources: Sequence[bytes]) -> tuple[float, int]:
    """Seconds to parse every source in this process, and how many libcst rejected."""
    failed = 0
    started = time.perf_counter()
    for data in sources:
        try:
            libcst.parse_module(data)
        except (libcst.ParserSyntaxError, RecursionError, MemoryError):  # what the miner catches; it pays too
            failed += 1
    return time.perf_counter() - started, failed


def timed_mine(store: Store, corpus: Corpus) -> tuple[float, MineStats]:
    started = time.perf_counter()
    stats = mine(store, corpus.root, exclude=corpus.exclude)
    return time.perf_counter() - started, stats


def measure(corpus: Corpus, folder: Path, number: int) -> Run:
    baseline, baseline_failed = parse_all(corpus.sources)
    store = Store.open(folder / f"run{number}.duckdb")
    try:
        cold, cold_stats = timed_mine(store, corpus)
        warm, warm_stats = timed_mine(store, corpus)
    finally:
        store.close()
    if cold_stats.files != corpus.files:
        raise SystemExit(f"mine_python: error: the miner saw {cold_stats.files} files, the baseline {corpus.files}")
    return Run(baseline, baseline_failed, cold, cold_stats, warm, warm_stats)


def describe_run(number: int, repeat: int, run: Run) -> str:
    failed = sum(run.cold_stats.failed.values())
    return (
        f"run {number}/{repeat}: baseline {run.baseline:.2f} s ({run.baseline_failed} rejected by libcst), "
        f"cold {run.cold:.2f} s ({run.cold_stats.mined} mined, {failed} failed), "
        f"warm {run.warm:.3f} s ({run.warm_stats.mined + sum(run.warm_stats.failed.values())} parsed)"
    )


@dataclass(frozen=True)
class Summary:
    baseline: float
    cold: float
    warm: float
    cold_target: float = COLD_TARGET
    warm_target: float = WARM_TARGET

    @property
    def cold_ratio(self) -> float:
        return self.cold / self.baseline

    @property
    def warm_ratio(self) -> float:
        return self.warm / self.cold

    @property
    def cold_passed(self) -> bool:
        return self.cold_ratio <= self.cold_target

    @property
    def warm_passed(self) -> bool:
        return self.warm_ratio <= self.warm_target


def print_table(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.replace('`', ''):<{width}}  {value}")


def invocation(script: str, argv: Sequence[str] | None) -> str:
    """The command line that reproduces this run, for the BENCHMARKS.md section."""
    return shlex.join(["uv", "run", "python", script, *(argv if argv is not None else sys.argv[1:])])


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def table(corpus: Corpus, summary: Summary, machine: Machine) -> list[tuple[str, str]]:
    return [
        ("files", f"{corpus.files:,}"),
        ("lines", f"{corpus.lines:,}"),
        ("baseline: `libcst.parse_module`, 1 process", f"{summary.baseline:.2f} s"),
        (f"cold mine, {machine.cores} jobs, fresh store", f"{summary.cold:.2f} s"),
        ("warm mine, nothing changed", f"{summary.warm:.3f} s"),
        (f"cold / baseline (target <= {COLD_TARGET})", f"{summary.cold_ratio:.3f} {verdict(summary.cold_passed)}"),
        (f"warm / cold (target <= {WARM_TARGET})", f"{summary.warm_ratio:.3f} {verdict(summary.warm_passed)}"),
    ]


def section(corpus: Corpus, summary: Summary, machine: Machine, repeat: int, command: str) -> str:
    rows = "".join(f"| {name} | {value} |\n" for name, value in table(corpus, summary, machine))
    excluded = ", ".join(f"`{pattern}`" for pattern in corpus.exclude) or "nothing"
    return (
        f"## {SECTION}\n\n"
        f"`mine()` over `{corpus.root}` (excluding {excluded} and the miner's default skips) against a "
        "single-process `libcst.parse_module` loop over the same files' bytes (reading not timed). "
        f"Best of {repeat} run{'s' if repeat != 1 else ''}.\n\n"
        "| measure | value |\n|---|---|\n"
        f"{rows}\n"
        f"Machine: {machine.describe()}. Date: {datetime.date.today().isoformat()}.\n\n"
        f"Command: `{command}`\n"
    )


def _is_heading(line: str) -> bool:
    return line.startswith(("# ", "## "))


def replace_section(text: str, name: str, body: str) -> str:
    """`text` with its `## name` section (up to the next `#`/`##` heading) replaced by `body`, or appended."""
    lines = text.splitlines(keepends=True)
    start: int | None = None
    end = len(lines)
    fenced = False
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not _is_heading(line):
            continue
        if start is None and line.rstrip() == f"## {name}":
            start = index
        elif start is not None:
            end = index
            break
    if start is None:
        head = text if not text or text.endswith("\n") else text + "\n"
        return head + ("\n" if head.strip() else "") + body
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + body + ("\n" + tail if tail else "")


def write_figures(
    path: Path,
    section: str,
    script: str,
    argv: Sequence[str] | None,
    versions: str,
    rows: Sequence[tuple[str, str]],
    note: str = "",
) -> None:
    """Write `rows` as the `## section` of `path`: the command, the date, this machine, `versions`,
    `note`, then a figure table; the other sections stay as they are."""
    machine = f"{os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.machine()}"
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    body = (
        f"## {section}\n\n`{invocation(script, argv)}` on {datetime.date.today().isoformat()}: "
        f"{machine}; {versions}.{note}\n\n| figure | value |\n|---|---|\n{table}\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, section, body), encoding="utf-8")
    print(f"\nwrote the {section} section of {path}")


def write_section(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, SECTION, body), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=1, help="runs to make; the best of each figure is kept")
    parser.add_argument("--root", type=Path, default=STDLIB, help="folder to mine (default: the stdlib)")
    parser.add_argument(
        "--exclude",
        action="append",
        metavar="GLOB",
        help=f"path glob or folder to leave out (default: {' '.join(STDLIB_EXCLUDE)})",
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="write the results as a section of this markdown file"
    )
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not arguments.root.is_dir():
        parser.error(f"--root {arguments.root}: not a folder")
    repeat: int = arguments.repeat
    exclude: tuple[str, ...] = tuple(arguments.exclude) if arguments.exclude else STDLIB_EXCLUDE

    machine = this_machine()
    corpus = load_corpus(arguments.root, exclude)
    print(f"machine: {machine.describe()}")
    print(
        f"corpus: {corpus.root} without {', '.join(exclude)}: {corpus.files:,} files "
        f"({corpus.unreadable} unreadable), {corpus.lines:,} lines"
    )
    if not corpus.sources:
        print("mine_python: error: no readable Python files to measure", file=sys.stderr)
        return 2

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="mine_python-") as folder:
        for number in range(1, repeat + 1):
            run = measure(corpus, Path(folder), number)
            runs.append(run)
            print(describe_run(number, repeat, run), flush=True)
    summary = Summary(
        baseline=min(run.baseline for run in runs),
        cold=min(run.cold for run in runs),
        warm=min(run.warm for run in runs),
    )

    print()
    print_table(table(corpus, summary, machine))

    if arguments.write is not None:
        command = invocation("bench/mine_python.py", argv)
        write_section(arguments.write, section(corpus, summary, machine, repeat, command))
        print(f"\nwrote the {SECTION} section of {arguments.write}")
    return 0 if summary.cold_passed and summary.warm_passed else 1


if __name__ == "__main__":
    sys.exit(main())
