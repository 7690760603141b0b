"""`curate export MIX`: a built mix as training files, written atomically, byte-identical for the
same lockfile, and checked on every export by a round trip through mlx-lm's own loader and parser.

Formats:

- `mlx`: `train.jsonl`, `valid.jsonl`, `test.jsonl`, one row a line: `{"messages": [...], "tools":
  [...]}` (mlx-lm's `chat`/`tools` format; `tools` is left out when an example offers none). mlx-lm's
  `mask_prompt` trains only the last message, so with `turns="each"` a conversation gives one row per
  assistant turn (the call decision, then the final answer); `turns="last"` gives whole conversations.
- `parquet`: `train.parquet`, ... with columns `id, domain, kind, intent, template, pair_id, turn,
  messages, tools` where `messages` and `tools` are JSON text: tool-call arguments are objects whose
  keys differ from tool to tool, and one Arrow struct for all of them would add keys that are not there.
- `hf`: a `datasets.DatasetDict` saved with `save_to_disk` in `hf/`, plus the Parquet files.

Every export writes `manifest.json`: the lockfile's hash, each file's sha256, bytes and rows, the
counts, and the round trip's result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curate.errors import CheckFailed, InputError
from curate.mix import lock_path, read_lockfile
from curate.store import Store, StoredExample
from schemas import SPLIT_NAMES, Lockfile

Format = Literal["mlx", "hf", "parquet"]
Turns = Literal["each", "last"]
ROUND_TRIP_SAMPLE = 200
TOKENIZER_CORPUS = 2_000


MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


def canonical_message(message: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order people read them (the store keeps them sorted)."""
    ordered = {key: message[key] for key in MESSAGE_KEYS if key in message}
    if "tool_calls" in ordered:
        ordered["tool_calls"] = [
            {
                "id": call["id"],
                "type": call["type"],
                "function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]},
            }
            for call in ordered["tool_calls"]
        ]
    return ordered


def canonical_tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    return {
        "type": tool["type"],
        "function": {
            "name": function["name"],
            "description": function["description"],
            "parameters": function["parameters"],
        },
    }


@dataclass(frozen=True)
class Row:
    example: StoredExample
    turn: int
    messages: list[dict[str, Any]]

    def mlx(self) -> dict[str, Any]:
        row: dict[str, Any] = {"messages": [canonical_message(message) for message in self.messages]}
        if self.example.record["tools"]:
            row["tools"] = [canonical_tool(tool) for tool in self.example.record["tools"]]
        return row


def rows_of(item: StoredExample, turns: Turns) -> list[Row]:
    messages: list[dict[str, Any]] = item.record["messages"]
    if turns == "last":
        return [Row(item, len(messages) - 1, messages)]
    return [Row(item, index, messages[: index + 1]) for index, m in enumerate(messages) if m["role"] == "assistant"]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Export:
    folder: Path
    manifest: dict[str, Any]


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` that replaces it only when everything in it was written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, retired)
    os.replace(temporary, out)
    shutil.rmtree(retired, ignore_errors=True)


def load_rows(store: Store, lockfile: Lockfile, turns: Turns) -> dict[str, list[Row]]:
    wanted = lockfile.ids()
    examples = {item.id: item for item in store.examples(ids=wanted)}
    missing = sorted(set(wanted) - set(examples))
    if missing:
        raise InputError(
            f"mix {lockfile.name!r} names {len(missing)} examples the store does not hold (first: {missing[0]})",
            hint=f"rebuild it with `curate mix build {lockfile.name}`",
        )
    return {
        split: [row for example_id in lockfile.splits.get(split, []) for row in rows_of(examples[example_id], turns)]
        for split in SPLIT_NAMES
    }


def write_jsonl(folder: Path, rows: dict[str, list[Row]]) -> None:
    """An empty split gets no file: mlx-lm's loader fails on an empty one (`data[0]`) but reads a
    missing one as empty."""
    for split, split_rows in rows.items():
        if not split_rows:
            continue
        with (folder / f"{split}.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
            for row in split_rows:
                handle.write(dumps(row.mlx()) + "\n")


def arrow_table(split_rows: Sequence[Row]) -> Any:
    import pyarrow as pa

    records = [row.example.record for row in split_rows]
    return pa.table(
        {
            "id": pa.array([record["id"] for record in records], pa.string()),
            "domain": pa.array([record["domain"] for record in records], pa.string()),
            "kind": pa.array([record["kind"] for record in records], pa.string()),
            "intent": pa.array([record["intent"] for record in records], pa.string()),
            "template": pa.array([record["template"] for record in records], pa.string()),
            "pair_id": pa.array([record.get("pair_id") for record in records], pa.string()),
            "turn": pa.array([row.turn for row in split_rows], pa.int32()),
            "messages": pa.array([dumps(row.mlx()["messages"]) for row in split_rows], pa.string()),
            "tools": pa.array([dumps(row.mlx().get("tools", [])) for row in split_rows], pa.string()),
        }
    )


def write_parquet(folder: Path, rows: dict[str, list[Row]]) -> None:
    import pyarrow.parquet as pq

    for split, split_rows in rows.items():
        pq.write_table(arrow_table(split_rows), folder / f"{split}.parquet", compression="zstd")


def write_hf(folder: Path, rows: dict[str, list[Row]], fingerprint: str) -> None:
    from datasets import Dataset, DatasetDict, disable_progress_bars

    disable_progress_bars()
    splits = {
        split: Dataset(arrow_table(split_rows), fingerprint=f"{fingerprint[:16]}-{split}")
        for split, split_rows in rows.items()
    }
    DatasetDict(splits).save_to_disk(str(folder / "hf"))


def export(
    store: Store,
    mixes: Path,
    name: str,
    out: Path,
    *,
    format: Format = "mlx",
    turns: Turns = "each",
    tokenizer: Path | None = None,
    check: Callable[[Path, Path], Any] | None = None,
    build_tokenizer: Callable[[list[str], Path], Path] | None = None,
) -> Export:
    """Write a built mix to `out`. `check(folder, tokenizer_dir)` is the round trip (train's
    `check_export`); without `tokenizer`, `build_tokenizer(texts, folder)` makes a small one."""
    lockfile = read_lockfile(mixes, name)
    lock_hash = sha256_file(lock_path(mixes, name))
    rows = load_rows(store, lockfile, turns)
    if not any(rows.values()):
        raise InputError(f"mix {name!r} holds no examples")
    with staged(out) as folder:
        write_jsonl(folder, rows)
        round_trip = _round_trip(folder, rows, tokenizer, check, build_tokenizer)
        if format != "mlx":
            write_parquet(folder, rows)
            for split in SPLIT_NAMES:
                (folder / f"{split}.jsonl").unlink(missing_ok=True)
        if format == "hf":
            write_hf(folder, rows, lock_hash)
        files = {
            str(path.relative_to(folder)): {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        for part, part_rows in rows.items():
            for suffix in (".jsonl", ".parquet"):
                if f"{part}{suffix}" in files:
                    files[f"{part}{suffix}"]["rows"] = len(part_rows)
        manifest = {
            "mix": name,
            "lockfile_sha256": lock_hash,
            "recipe_hash": lockfile.recipe_hash,
            "format": format,
            "turns": turns,
            "examples": {split: len(ids) for split, ids in lockfile.splits.items()},
            "rows": {split: len(split_rows) for split, split_rows in rows.items()},
            "files": files,
            "round_trip": round_trip,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Export(out, manifest)


def _round_trip(
    folder: Path,
    rows: dict[str, list[Row]],
    tokenizer: Path | None,
    check: Callable[[Path, Path], Any] | None,
    build_tokenizer: Callable[[list[str], Path], Path] | None,
) -> dict[str, Any]:
    if check is None:
        return {"checked": False}
    with tempfile.TemporaryDirectory() as scratch:
        if tokenizer is None:
            if build_tokenizer is None:
                raise ValueError("a round trip needs a tokenizer or a way to build one")
            everything = [row for split_rows in rows.values() for row in split_rows]
            corpus = [dumps(row.mlx()) for row in everything[:: max(1, len(everything) // TOKENIZER_CORPUS)]]
            tokenizer = build_tokenizer(corpus, Path(scratch) / "tokenizer")
            used = "a byte-level BPE trained on this export"
        else:
            used = str(tokenizer)
        outcome = check(folder, tokenizer)
    if outcome.problems:
        shown = "; ".join(outcome.problems[:3])
        raise CheckFailed(f"the export does not round-trip through mlx-lm ({len(outcome.problems)} rows): {shown}")
    return {"checked": True, "tokenizer": used, "rows": outcome.rows, "calls": outcome.calls}
