"""Mining HTML: `mine()` against a bare `lxml.html.parse` of the same pages, measured in the same run.

The corpus is the first `--limit` pages (sorted by path) under a folder, by default the Rust
documentation rustup installs, copied into a temporary folder so that both sides see exactly the
same files. Three figures over it:

- baseline: one process calling `lxml.html.parse(path)` on every page (reading included, as in the
  miner; a page lxml rejects still counts, with the time its parse took);
- cold mine: `mine()` into a fresh store (a new file each repeat), all cores;
- warm mine: `mine()` again on that store with nothing changed, so nothing is parsed.

Of the cold mine it also reports where the processor time went: the worker processes (secret scan,
parse, extract) and the parent (read, hash, collect, write the store, link), and how fast the store
took the facts (fact rows over the seconds spent in `Store.write_files`, commits included).

Targets, on 2 cores: cold / baseline <= 6 (extracting the facts is the work, not parsing), parent
CPU / baseline <= 1.5 (the one process that writes the store must not be what the cores wait on),
store writes >= 1,000,000 fact rows/s, warm / cold <= 0.05. Exits 1 when a target is missed, 2 when
there are fewer than 2,000 pages to measure.
Usage: uv run python bench/mine_html.py [--repeat N] [--root PATH] [--limit N] [--write FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lxml.etree  # type: ignore[import-untyped, unused-ignore]
import lxml.html  # type: ignore[import-untyped, unused-ignore]

# The sibling benchmark; importable because running a script puts its folder first on `sys.path`.
from mine_python import Summary, cpu_model, invocation, print_table, replace_section, verdict

from curate.mine import MineStats, mine
from curate.store import FileWrite, Store
from sources.files import MAX_FILE_BYTES, SKIPPED_DIRS

RUST_DOCS = "/root/.rustup/toolchains/*/share/doc/rust/html"
DEFAULT_LIMIT = 2_500
MIN_PAGES = 2_000
DOMAIN = "html-bench"
COLD_TARGET = 6.0
PARENT_TARGET = 1.5
WRITE_TARGET = 1_000_000
WARM_TARGET = 0.05
SECTION = "mine_html"
SHOWN_FAILURES = 5


def rust_docs() -> Path | None:
    """The installed Rust documentation: the stable toolchain's if there is one, else the first by name."""
    toolchains = Path(RUST_DOCS.split("*", 1)[0])
    found = sorted(Path("/").glob(RUST_DOCS.lstrip("/")))
    stable = [path for path in found if path.relative_to(toolchains).parts[0].startswith("stable")]
    return (stable or found)[0] if found else None


@dataclass(frozen=True)
class Corpus:
    """The pages both sides see: copies, under `folder`, of the first `limit` pages under `root`."""

    root: Path
    limit: int
    folder: Path
    pages: tuple[str, ...]
    """Relative to `folder` (and to `root`), `/`-separated, sorted."""
    size: int
    found: int
    """Pages under `root` the miner would read, before `limit` applied."""
    left_out: Counter[str]
    """What under `root` was never a candidate, counted by reason."""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(str(self.folder / page) for page in self.pages)


def find_pages(root: Path) -> tuple[list[str], Counter[str]]:
    """Every `.html` page under `root` the miner would read whole, sorted; the rest counted by reason.

    Folders the miner always skips and links are pruned as it prunes them; a page over its read limit
    is left out, since the miner would record it as failed without parsing it.
    """
    pages: list[str] = []
    left_out: Counter[str] = Counter()
    top = str(root)
    for folder, dirs, names in os.walk(top, followlinks=False):
        relative = os.path.relpath(folder, top).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        kept = []
        for name in dirs:
            if name in SKIPPED_DIRS:
                left_out["folders the miner skips"] += 1
            elif os.path.islink(os.path.join(folder, name)):
                left_out["linked folders"] += 1
            else:
                kept.append(name)
        dirs[:] = sorted(kept)
        for name in names:
            if not name.endswith(".html"):
                continue
            full = os.path.join(folder, name)
            if os.path.islink(full):
                left_out["linked pages"] += 1
            elif os.path.getsize(full) > MAX_FILE_BYTES["html"]:
                left_out[f"pages over {MAX_FILE_BYTES['html']:,} bytes"] += 1
            else:
                pages.append(prefix + name)
    return sorted(pages), left_out


def copy_corpus(root: Path, limit: int, folder: Path) -> Corpus:
    pages, left_out = find_pages(root)
    chosen = pages[:limit]
    size = 0
    for page in chosen:
        target = folder / page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / page, target)
        size += target.stat().st_size
    return Corpus(root, limit, folder, tuple(chosen), size, len(pages), left_out)


@dataclass(frozen=True)
class Machine:
    cores: int
    python: str
    lxml: str
    libxml2: str
    system: str
    cpu: str

    def describe(self) -> str:
        cpu = f", {self.cpu}" if self.cpu else ""
        return f"{self.cores} cores{cpu}, {self.system}, Python {self.python}, lxml {self.lxml}, libxml2 {self.libxml2}"


def dotted(numbers: Sequence[int]) -> str:
    return ".".join(str(number) for number in numbers)


def this_machine() -> Machine:
    return Machine(
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        lxml=dotted(lxml.etree.LXML_VERSION),
        libxml2=dotted(lxml.etree.LIBXML_VERSION),
        system=f"{platform.system()} {platform.machine()}",
        cpu=cpu_model(),
    )


def parse_all(paths: Sequence[str]) -> tuple[float, int]:
    """Seconds to read and parse every page in this process, and how many lxml rejected."""
    failed = 0
    started = time.perf_counter()
    for path in paths:
        try:
            lxml.html.parse(path)
        except (lxml.etree.LxmlError, OSError, ValueError):
            failed += 1
    return time.perf_counter() - started, failed


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str
    error: str


@dataclass(frozen=True)
class Cpu:
    """Where a cold mine's processor time went: its worker processes (secret scan, parse, extract),
    and the parent (read, hash, collect results, write the store, link). The parent is one process:
    its time is a floor under the cold mine's wall time. Also the seconds (wall) the store writes
    took, and the fact rows they wrote."""

    workers: float
    parent: float
    store_writes: float
    fact_rows: int

    @property
    def rows_per_second(self) -> float:
        return self.fact_rows / self.store_writes if self.store_writes else 0.0


@dataclass(frozen=True)
class Run:
    baseline: float
    baseline_failed: int
    cold: float
    cold_stats: MineStats
    cold_cpu: Cpu
    warm: float
    warm_stats: MineStats
    failures: tuple[Failure, ...]


class TimedStore(Store):
    """The store, with the time its `write_files` took (the parent writes every mined file's rows)
    and the fact rows it wrote."""

    writing = 0.0
    fact_rows = 0

    def write_files(self, source: str, writes: Sequence[FileWrite]) -> None:
        started = time.perf_counter()
        super().write_files(source, writes)
        self.writing += time.perf_counter() - started
        self.fact_rows += sum(
            len(write.rows) if write.facts is None else write.facts["fact_id"].length for write in writes
        )


def timed_mine(store: TimedStore, corpus: Corpus) -> tuple[float, MineStats, Cpu]:
    before, children, writing, fact_rows = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        store.writing,
        store.fact_rows,
    )
    started = time.perf_counter()
    stats = mine(store, corpus.folder, domain=DOMAIN)
    seconds = time.perf_counter() - started
    after, children_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = Cpu(
        workers=children_after.ru_utime + children_after.ru_stime - children.ru_utime - children.ru_stime,
        parent=after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        store_writes=store.writing - writing,
        fact_rows=store.fact_rows - fact_rows,
    )
    return seconds, stats, cpu


def measure(corpus: Corpus, stores: Path, number: int) -> Run:
    baseline, baseline_failed = parse_all(corpus.paths)
    store = TimedStore.open(stores / f"run{number}.duckdb")
    assert isinstance(store, TimedStore)
    try:
        cold, cold_stats, cold_cpu = timed_mine(store, corpus)
        warm, warm_stats, _ = timed_mine(store, corpus)
        failures = tuple(
            Failure(record.path, record.reason or "unknown", record.error or "")
            for record in store.files(cold_stats.source, status="failed")
        )
    finally:
        store.close()
    if cold_stats.files != len(corpus.pages):
        raise SystemExit(f"mine_html: error: the miner saw {cold_stats.files} files, the baseline {len(corpus.pages)}")
    return Run(baseline, baseline_failed, cold, cold_stats, cold_cpu, warm, warm_stats, failures)


def parsed(stats: MineStats) -> int:
    return stats.mined + sum(stats.failed.values())


def describe_run(number: int, repeat: int, run: Run) -> str:
    return (
        f"run {number}/{repeat}: baseline {run.baseline:.2f} s ({run.baseline_failed} rejected by lxml), "
        f"cold {run.cold:.2f} s ({run.cold_stats.mined} mined, {sum(run.cold_stats.failed.values())} failed; "
        f"CPU: workers {run.cold_cpu.workers:.2f} s, parent {run.cold_cpu.parent:.2f} s, "
        f"store writes {run.cold_cpu.store_writes:.2f} s = {run.cold_cpu.rows_per_second:,.0f} fact rows/s), "
        f"warm {run.warm:.3f} s ({parsed(run.warm_stats)} parsed, {run.warm_stats.unchanged} unchanged)"
    )


def describe_mined(run: Run) -> list[str]:
    """What the cold mine made of the pages: counts, failures by reason with a few examples, facts."""
    stats = run.cold_stats
    lines = [f"mined: {stats.mined:,} of {stats.files:,} pages, {sum(stats.failed.values()):,} failed"]
    lines += [f"  failed, {reason}: {count:,}" for reason, count in sorted(stats.failed.items())]
    lines += [
        f"    e.g. {failure.path}: {failure.error.splitlines()[0] if failure.error else '(no message)'}"
        for failure in run.failures[:SHOWN_FAILURES]
    ]
    facts = ", ".join(f"{kind} {count:,}" for kind, count in sorted(stats.facts.items())) or "none"
    lines.append(f"facts: {sum(stats.facts.values()):,} ({facts})")
    return lines


def parent_ratio(runs: Sequence[Run], summary: Summary) -> float:
    """The least parent CPU of the cold mines over the best baseline."""
    return min(run.cold_cpu.parent for run in runs) / summary.baseline


def write_rate(runs: Sequence[Run]) -> float:
    """The best cold mine's store writes, in fact rows a second."""
    return max(run.cold_cpu.rows_per_second for run in runs)


def passed(runs: Sequence[Run], summary: Summary) -> bool:
    return (
        summary.cold_passed
        and summary.warm_passed
        and parent_ratio(runs, summary) <= PARENT_TARGET
        and write_rate(runs) >= WRITE_TARGET
    )


def table(corpus: Corpus, runs: Sequence[Run], summary: Summary, machine: Machine) -> list[tuple[str, str]]:
    last = runs[-1].cold_stats
    cpu = min(runs, key=lambda run: run.cold).cold_cpu  # the best run's
    parent, rate = parent_ratio(runs, summary), write_rate(runs)
    return [
        ("pages", f"{len(corpus.pages):,}"),
        ("bytes", f"{corpus.size:,}"),
        ("mined / failed (cold)", f"{last.mined:,} / {sum(last.failed.values()):,}"),
        ("baseline: `lxml.html.parse`, 1 process", f"{summary.baseline:.2f} s"),
        (f"cold mine, {machine.cores} jobs, fresh store", f"{summary.cold:.2f} s"),
        ("warm mine, nothing changed", f"{summary.warm:.3f} s"),
        (f"cold / baseline (target <= {COLD_TARGET:g})", f"{summary.cold_ratio:.3f} {verdict(summary.cold_passed)}"),
        (f"parent CPU / baseline (target <= {PARENT_TARGET:g})", f"{parent:.3f} {verdict(parent <= PARENT_TARGET)}"),
        (f"store writes, fact rows/s (target >= {WRITE_TARGET:,})", f"{rate:,.0f} {verdict(rate >= WRITE_TARGET)}"),
        (f"warm / cold (target <= {WARM_TARGET:g})", f"{summary.warm_ratio:.3f} {verdict(summary.warm_passed)}"),
        ("cold mine CPU: workers (secret scan, parse, extract)", f"{cpu.workers:.2f} s"),
        ("cold mine CPU: parent (read, hash, collect, store, link)", f"{cpu.parent:.2f} s"),
        ("store writes (wall, commits included)", f"{cpu.store_writes:.2f} s for {cpu.fact_rows:,} fact rows"),
    ]


def section(corpus: Corpus, runs: Sequence[Run], summary: Summary, machine: Machine, command: str) -> str:
    rows = "".join(f"| {name} | {value} |\n" for name, value in table(corpus, runs, summary, machine))
    repeat = len(runs)
    return (
        f"## {SECTION}\n\n"
        f"`mine()` over the first {len(corpus.pages):,} `.html` pages (sorted by path) of `{corpus.root}`, "
        "copied into a temporary folder, against a single-process `lxml.html.parse(path)` loop over the same "
        f"files (reading timed on both sides). Best of {repeat} run{'s' if repeat != 1 else ''}.\n\n"
        "| measure | value |\n|---|---|\n"
        f"{rows}\n"
        f"Machine: {machine.describe()}. Date: {datetime.date.today().isoformat()}.\n\n"
        f"Command: `{command}`\n"
    )


def write_section(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, SECTION, body), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    default_root = rust_docs()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=1, help="runs to make; the best of each figure is kept")
    parser.add_argument(
        "--root",
        type=Path,
        default=default_root,
        help=f"folder of HTML pages (default: the Rust documentation, {default_root or RUST_DOCS + ' (none found)'})",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"pages to copy and measure, the first by path (default: {DEFAULT_LIMIT:,}; at least {MIN_PAGES:,})",
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="write the results as a section of this markdown file"
    )
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    if arguments.limit < MIN_PAGES:
        parser.error(f"--limit must be at least {MIN_PAGES:,}")
    if arguments.root is None:
        print(f"mine_html: error: no Rust documentation at {RUST_DOCS}; pass --root PATH", file=sys.stderr)
        return 2
    if not arguments.root.is_dir():
        parser.error(f"--root {arguments.root}: not a folder")
    repeat: int = arguments.repeat

    machine = this_machine()
    print(f"machine: {machine.describe()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="mine_html-") as temporary:
        corpus = copy_corpus(arguments.root, arguments.limit, Path(temporary) / "pages")
        left_out = ", ".join(f"{count:,} {reason}" for reason, count in sorted(corpus.left_out.items()))
        print(
            f"corpus: {len(corpus.pages):,} of {corpus.found:,} pages under {corpus.root}"
            f"{f' (left out: {left_out})' if left_out else ''}, {corpus.size:,} bytes, copied to {corpus.folder}"
        )
        if len(corpus.pages) < MIN_PAGES:
            print(
                f"mine_html: error: {corpus.root}: {len(corpus.pages):,} HTML pages, "
                f"the benchmark needs at least {MIN_PAGES:,}; pass --root PATH",
                file=sys.stderr,
            )
            return 2
        stores = Path(temporary) / "stores"
        stores.mkdir()
        for number in range(1, repeat + 1):
            run = measure(corpus, stores, number)
            runs.append(run)
            print(describe_run(number, repeat, run), flush=True)
    summary = Summary(
        baseline=min(run.baseline for run in runs),
        cold=min(run.cold for run in runs),
        warm=min(run.warm for run in runs),
        cold_target=COLD_TARGET,
        warm_target=WARM_TARGET,
    )

    print()
    for line in describe_mined(runs[-1]):
        print(line)
    print()
    print_table(table(corpus, runs, summary, machine))

    if arguments.write is not None:
        command = invocation("bench/mine_html.py", argv)
        write_section(arguments.write, section(corpus, runs, summary, machine, command))
        print(f"\nwrote the {SECTION} section of {arguments.write}")
    return 0 if passed(runs, summary) else 1


if __name__ == "__main__":
    sys.exit(main())
