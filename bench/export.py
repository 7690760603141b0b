"""Curation at scale: building a mix of and exporting 100,000 examples, and auditing them.

The examples: `--base` (10,000) real examples synthesized over ten stdlib packages, copied into ten
domains each (`asyncio`, `asyncio~1`, ...; ids recomputed), so the store holds `--n` (100,000) distinct
examples with real shapes. Not timed: mining, synthesis, copying, storing.

Figures, all on the same store:
- baseline: a bare DuckDB `COPY (SELECT json(messages) AS messages, json(tools) AS tools ...) TO
  'x.jsonl'` of the same examples (one row each, no split files, no checks);
- `curate mix build` (resolve a recipe taking every example) + `curate export --format mlx --turns
  last` (the same rows, split into three files, manifest, round trip through mlx-lm); also `--turns
  each` for reference (a row per assistant turn);
- `curate audit` of all the examples, and the pure `audit()` alone.

Targets: (mix build + export) / baseline <= 3; audit <= 5 s. Exits 1 when a target is missed.
Usage: uv run python bench/export.py [--n 100000] [--base 10000] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import duckdb
from mine_python import print_table, verdict, write_figures
from synth import DOMAINS, STDLIB

from curate.audit import audit
from curate.cli import main as curate
from curate.mine import mine
from curate.mix import build, write_lockfile
from curate.split import assign_splits
from curate.store import Store, StoredExample
from curate.synth import Synthesizer, example_id
from schemas import Splits

EXPORT_TARGET = 3.0
AUDIT_TARGET = 5.0
SECTION = "export"


def populate(store: Store, n: int, base: int) -> None:
    for domain in DOMAINS:
        mine(store, STDLIB / domain, domain=domain, exclude=["test", "tests", "idle_test"])
    originals: list[StoredExample] = []
    for domain in DOMAINS:
        originals.extend(Synthesizer(store, domain, seed=1).run(base // len(DOMAINS)).examples)
    copies = n // len(originals)
    for number in range(copies):
        batch = []
        for item in originals:
            record = copy.deepcopy(item.record) if number else item.record
            if number:
                record["domain"] = f"{record['domain']}~{number}"
                record["id"] = example_id(record["domain"], record["messages"], record["tools"])
                record.pop("pair_id", None)
            batch.append(StoredExample(record, item.status, item.checks, item.tokens))
        store.save_examples(batch, f"bench-{number}")


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        db, mixes = folder / "bench.duckdb", folder / "mixes"
        mixes.mkdir()
        with Store.open(db) as store:
            populate(store, arguments.n, arguments.base)
            total = len(store.example_ids())
        (mixes / "all.toml").write_text(f'name = "all"\n[[components]]\ncount = {total}\n')
        print(f"store holds {total:,} examples", file=sys.stderr)

        def baseline() -> None:
            with duckdb.connect(str(db), read_only=True) as connection:
                connection.execute(
                    "COPY (SELECT json(e.messages) AS messages, json(t.tools) AS tools FROM examples e "
                    f"JOIN toolsets t USING (toolset) ORDER BY e.id) TO '{folder / 'bare.jsonl'}' (FORMAT JSON)"
                )

        def mix_and_export(turns: str) -> None:
            with Store.open(db, read_only=True) as store:
                write_lockfile(mixes, build(store, mixes, "all"))
            code = curate(
                [
                    "--db",
                    str(db),
                    "--mixes",
                    str(mixes),
                    "export",
                    "all",
                    "--out",
                    str(folder / turns),
                    "--turns",
                    turns,
                ]
            )
            assert code == 0, "export failed"

        base_seconds = timed(baseline)
        last_seconds = timed(lambda: mix_and_export("last"))
        each_seconds = timed(lambda: mix_and_export("each"))
        audit_seconds = timed(lambda: curate(["--db", str(db), "audit"]))
        with Store.open(db, read_only=True) as store:
            examples = store.examples()
            splits = assign_splits(examples, store.clusters(), Splits(), 0)
            pure_seconds = timed(lambda: audit(examples, scope="all", splits=splits))
        sizes = {name: (folder / name).stat().st_size for name in ("bare.jsonl",)}
        exported = sum(path.stat().st_size for path in (folder / "last").glob("*.jsonl"))
    ratio = last_seconds / base_seconds
    rows = [
        (
            "examples",
            f"{total:,} ({arguments.base:,} synthesized, copied into "
            f"{len(DOMAINS) * (total // arguments.base)} domains)",
        ),
        ("baseline: DuckDB `COPY ... TO x.jsonl`", f"{base_seconds:.2f} s ({sizes['bare.jsonl'] / 1e6:,.0f} MB)"),
        (
            "`mix build` + `export --format mlx --turns last`",
            f"{last_seconds:.2f} s ({exported / 1e6:,.0f} MB, 3 files)",
        ),
        ("(mix build + export) / baseline", f"{ratio:.2f}x"),
        ("target: <= 3x", verdict(ratio <= EXPORT_TARGET)),
        ("`mix build` + `export --turns each` (a row per assistant turn)", f"{each_seconds:.2f} s"),
        ("`curate audit` (load + audit + print)", f"{audit_seconds:.2f} s"),
        ("`audit()` alone", f"{pure_seconds:.2f} s"),
        ("target: audit <= 5 s", verdict(audit_seconds <= AUDIT_TARGET)),
    ]
    print_table(rows)
    if arguments.write:
        versions = f"Python {platform.python_version()}, duckdb {version('duckdb')}, mlx-lm {version('mlx-lm')}"
        write_figures(arguments.write, SECTION, "bench/export.py", argv, versions, rows)
    return 0 if ratio <= EXPORT_TARGET and audit_seconds <= AUDIT_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
