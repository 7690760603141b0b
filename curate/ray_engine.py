"""`curate mine --engine ray`: extraction on Ray Data, DuckDB still the store of record.

The files are read by the same reader as the local engine (`sources.files`: its limits, its refusal
of links and archive members that climb out), so both engines see the same bytes. Ray Data spreads
the extraction over the cluster (`--ray-address`) or a local Ray runtime, each batch running the
very function the local worker pool runs (`sources.extract.extract_file`), and writes its results
as Parquet shards; the driver reads the shards back and ingests a source's files in one
transaction. The same function on the same bytes gives the same facts: a test compares the two
engines' stores.

Ray is an optional extra (`curate[ray]`), imported only here, and only when asked for.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from curate.errors import InputError
from sources.extraction import Extraction

BATCH_SIZE = 128
"""Files per Ray task. Each task costs Ray Data a schedule, a block fetch and a Parquet file: on
5,000 files, 128 a task mined in 130 s where 32 took 139 s (2 cores)."""


def _schema() -> Any:
    """Every shard's columns, typed: a batch whose `reason`s are all null must still be strings."""
    import pyarrow as pa

    text = pa.large_string()
    return pa.schema(
        [
            ("index", pa.int64()),
            ("rows", text),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("error", text),
            ("text", text),
            ("lines", pa.int64()),
            ("positions", pa.string()),
            ("secrets", pa.string()),
        ]
    )


@functools.cache  # once per worker process, before its first batch
def _freeze_worker_heap() -> None:
    """Keep the worker's own heap (Ray, Arrow, Ray Data: some 150,000 objects) out of the garbage
    collector's full passes, which extraction's many short-lived objects trigger: about a fifth of
    the extraction time otherwise."""
    gc.freeze()


def _extract_batch(batch: dict[str, Any]) -> Any:
    import pyarrow as pa

    from sources.extract import extract_file

    _freeze_worker_heap()

    columns: dict[str, list[Any]] = {
        name: [] for name in ("index", "rows", "status", "reason", "error", "text", "lines", "positions", "secrets")
    }
    for index, path, data, language, module, is_package, max_bytes in zip(
        batch["index"],
        batch["path"],
        batch["data"],
        batch["language"],
        batch["module"],
        batch["is_package"],
        batch["max_bytes"],
        strict=True,
    ):
        limit = int(max_bytes) if max_bytes >= 0 else None
        try:
            extraction = extract_file(
                str(path), bytes(data or b""), str(language), str(module), bool(is_package), limit
            )
        except Exception as error:  # what the local pool records as a crashed parser
            extraction = Extraction(status="failed", reason="parser_crashed", error=f"{type(error).__name__}: {error}")
        columns["index"].append(int(index))
        columns["rows"].append(json.dumps(extraction.rows, ensure_ascii=False))
        columns["status"].append(extraction.status)
        columns["reason"].append(extraction.reason)
        columns["error"].append(extraction.error)
        columns["text"].append(extraction.text)
        columns["lines"].append(extraction.lines)
        columns["positions"].append(extraction.positions)
        columns["secrets"].append(json.dumps(extraction.secrets))
    return pa.table(columns, schema=_schema())


def start(address: str | None) -> None:
    if address is None and not os.environ.get("RAY_ADDRESS"):
        # Under `uv run`, Ray (2.43+) starts every local worker with `uv run` in a packaged copy of
        # the working folder, which re-resolves and installs the project's environment for each
        # copy: minutes, or a hang without the registry. Local workers share this interpreter, so
        # they need none of it. Read when ray is imported; a user's own setting wins, and a
        # cluster (`--ray-address` or `RAY_ADDRESS`) keeps Ray's default.
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    try:
        import ray
    except ImportError:
        raise InputError("the ray engine needs Ray", hint="install curate[ray] (`uv sync --extra ray`)") from None
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise InputError(f"cannot start or reach Ray at {address or 'a local runtime'}: {error}") from None
        ray.data.DataContext.get_current().enable_progress_bars = False


def extract(
    tasks: Sequence[tuple[str, bytes | None, str, str, bool, int | None]], address: str | None
) -> Iterator[tuple[int, Extraction]]:
    """(task index, extraction) for every task, in task order. A task's last field is the size limit
    that replaces its language's (None: the language's)."""
    if not tasks:
        return
    start(address)
    import pyarrow.parquet as pq
    import ray

    items = [
        {
            "index": index,
            "path": path,
            "data": data,
            "language": language,
            "module": module,
            "is_package": package,
            "max_bytes": -1 if max_bytes is None else max_bytes,  # a numpy column holds no None
        }
        for index, (path, data, language, module, package, max_bytes) in enumerate(tasks)
    ]
    with tempfile.TemporaryDirectory(prefix="curate-shards-") as shards:
        dataset = ray.data.from_items(items).map_batches(_extract_batch, batch_size=BATCH_SIZE, batch_format="numpy")
        dataset.write_parquet(shards)
        table = pq.read_table(shards)
    for row in sorted(table.to_pylist(), key=lambda row: row["index"]):
        yield (
            row["index"],
            Extraction(
                rows=[tuple(fact) for fact in json.loads(row["rows"])],
                status=row["status"],
                reason=row["reason"],
                error=row["error"],
                text=row["text"],
                lines=row["lines"],
                positions=row["positions"],
                secrets=[(kind, line) for kind, line in json.loads(row["secrets"])],
            ),
        )


def stop() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _hash_batch(batch: dict[str, Any]) -> dict[str, Any]:
    from curate.dedup import minhashes

    hashes = minhashes([str(text) for text in batch["text"]])
    return {
        "index": batch["index"],
        "hashvalues": [minhash.hashvalues for minhash in hashes],
        "scheme": [minhash.scheme for minhash in hashes],
    }


def minhashes(texts: Sequence[str], address: str | None = None) -> list[Any]:
    """`curate.dedup.minhashes` computed on Ray Data: the same seed and permutations, so the same
    hashes, so the same clusters."""
    from datasketch import MinHash

    from curate.dedup import NUM_PERM

    if not texts:
        return []
    start(address)
    import ray

    items = [{"index": index, "text": text} for index, text in enumerate(texts)]
    rows = ray.data.from_items(items).map_batches(_hash_batch, batch_size=1024, batch_format="numpy").take_all()
    rows.sort(key=lambda row: int(row["index"]))
    return [MinHash(num_perm=NUM_PERM, seed=1, hashvalues=row["hashvalues"], scheme=str(row["scheme"])) for row in rows]
