"""Latency of using what was trained: a tool call served by curate, and a question answered by `curate chat`.

Figures, on one store (`--db`, default the demo's `data/curate.duckdb`; without it, the sample shop
mined into a temporary store), in one warm process, the median over `--calls` calls of each of four
tool calls (routes, async functions, fixtures, imports of `fastapi` on `--domain`):
- baseline: a direct DuckDB query of the same facts on an open connection (the facts of the kind,
  joined to the domain's sources, sorted by path and line, the first 20, details parsed);
- the executor: a fresh `Executor` (as chat, eval and `curate tool call` make) running the call on
  an open store: validation, the tool, paging, coverage, the result record;
- `curate serve mcp`'s per-call work (`ToolServer.call`): the store opened read-only, the call, the
  result's JSON, the store closed (what lets a `curate mine` run between two calls).
Then, with a training run (`--run`, default the store's latest), `curate chat`'s loop on the six
questions of the quickstart: seconds per query end to end, and how they split into model and tools.

Target: the executor's median <= 10 ms. Exits 1 when it is missed.
Usage: uv run python bench/chat.py [--db data/curate.duckdb] [--calls 200] [--run RUN] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
from mine_python import print_table, verdict, write_figures

from curate.chat import Session, converse, local_model
from curate.mine import mine
from curate.serve_mcp import ToolServer
from curate.store import Store
from curate.tools import DEFAULT_LIMIT, Executor

REPO = Path(__file__).resolve().parent.parent
SECTION = "chat"
TARGET_MS = 10.0
CALLS: list[tuple[str, dict[str, Any], str, str]] = [
    ("find_routes", {}, "f.kind = 'route'", ""),
    (
        "find_symbols",
        {"kind": "async_function"},
        "f.kind = 'function'",
        "json_extract(f.detail, '$.is_async')::BOOLEAN",
    ),
    ("find_fixtures", {}, "f.kind = 'fixture'", ""),
    (
        "find_imports",
        {"module": "fastapi"},
        "f.kind = 'import'",
        "json_extract_string(f.detail, '$.module') = 'fastapi'",
    ),
]
QUESTIONS = [
    ("shop", "Show me the FastAPI route definitions"),
    ("shop", "Find all pytest fixtures"),
    ("asyncio", "Find all async functions in this codebase"),
    ("site", "Find all form elements in this HTML"),
    ("site", "Show me the navigation component"),
    ("site", "Which images lack alt text?"),
]


def median_ms(action: Callable[[], object], calls: int) -> float:
    action()  # warm: the first call pays for imports and caches
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def direct(connection: duckdb.DuckDBPyConnection, domain: str, kind: str, extra: str) -> Callable[[], object]:
    query = (
        "SELECT f.path, f.line, f.name, f.qualname, f.detail FROM facts f JOIN sources s ON s.name = f.source "
        f"WHERE s.domain = ? AND {kind}{f' AND {extra}' if extra else ''} ORDER BY f.path, f.line LIMIT {DEFAULT_LIMIT}"
    )

    def run() -> object:
        return [(*row[:4], json.loads(row[4])) for row in connection.execute(query, [domain]).fetchall()]

    return run


def tool_rows(db: str, domain: str, calls: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    executor_medians = []
    connection = duckdb.connect(db, read_only=True)
    store = Store.open(db, read_only=True)
    try:
        for name, arguments, kind, extra in CALLS:
            baseline = median_ms(direct(connection, domain, kind, extra), calls)
            executor = median_ms(lambda: Executor(store, domain)(name, arguments), calls)  # noqa: B023
            executor_medians.append(executor)
            total = Executor(store, domain)(name, arguments).total
            rows.append(
                (
                    f"`{name} {json.dumps(arguments)}` ({total} found): DuckDB / executor",
                    f"{baseline:.2f} ms / {executor:.2f} ms ({executor / baseline:.1f}x)",
                )
            )
    finally:
        store.close()
        connection.close()
    server = ToolServer(db, [domain])
    served = [median_ms(lambda: server.call(name, arguments), calls) for name, arguments, _, _ in CALLS]  # noqa: B023
    overall = statistics.median(executor_medians)
    rows.append(
        (
            "`curate serve mcp` per call (open store, call, close), median of the four",
            f"{statistics.median(served):.2f} ms",
        )
    )
    rows.append(
        (
            f"executor, median of the four (target <= {TARGET_MS:.0f} ms)",
            f"{overall:.2f} ms {verdict(overall <= TARGET_MS)}",
        )
    )
    return rows


def chat_rows(db: str, run: str | None) -> list[tuple[str, str]]:
    with Store.open(db, read_only=True) as store:
        runs = store.train_runs()
        if not runs and run is None:
            return [("`curate chat` end to end", "no training run in the store (run `curate demo`)")]
        name = run or runs[-1].run_id
        domains = set(store.domains())
        model = local_model(store, name)
    seconds, model_seconds, tool_seconds, outcomes = [], [], [], []
    for domain, question in QUESTIONS:
        if domain not in domains:
            continue
        with Store.open(db, read_only=True) as store:
            transcript = converse(question, model, Session(store, domain))
        seconds.append(transcript.seconds)
        model_seconds.append(sum(step.model_seconds for step in transcript.steps))
        tool_seconds.append(sum(call.seconds for step in transcript.steps for call in step.calls))
        outcomes.append(transcript.status)
    counts = ", ".join(f"{outcomes.count(status)} {status}" for status in sorted(set(outcomes)))
    return [
        ("`curate chat` model", f"run `{name}` (base + adapters, greedy, 256 tokens a turn at most)"),
        ("questions (the quickstart's)", f"{len(seconds)}: {counts}"),
        ("seconds per query, median / mean", f"{statistics.median(seconds):.2f} s / {statistics.fmean(seconds):.2f} s"),
        (
            "of which the model / the tools (mean)",
            f"{statistics.fmean(model_seconds):.2f} s / {statistics.fmean(tool_seconds) * 1000:.1f} ms",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", default=str(REPO / "data" / "curate.duckdb"))
    parser.add_argument("--domain", default="shop")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--run")
    parser.add_argument("--write", type=Path)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = arguments.db
        if not Path(db).exists():
            db = str(Path(folder) / "shop.duckdb")
            with Store.open(db) as store:
                mine(store, REPO / "data" / "samples" / "python" / "shop", domain=arguments.domain)
        rows = [
            (
                "store",
                f"`{arguments.db if db == arguments.db else 'the sample shop'}`, domain `{arguments.domain}`",
            ),
            ("calls a figure", f"{arguments.calls} after one warm-up, median"),
        ]
        rows += tool_rows(db, arguments.domain, arguments.calls)
        rows += chat_rows(db, arguments.run)
    print_table(rows)
    if arguments.write:
        versions = ", ".join(
            [f"Python {sys.version.split()[0]}", *(f"{name} {version(name)}" for name in ("duckdb", "mlx-lm", "mcp"))]
        )
        note = (
            " The demo's tiny model is randomly initialised and trained 30 iterations: it writes newlines, calls"
            " no tool, so its queries time the model alone; each call it made would add the executor's figure."
        )
        write_figures(arguments.write, SECTION, "bench/chat.py", argv, versions, rows, note)
    passed = all("FAIL" not in value for _, value in rows)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
