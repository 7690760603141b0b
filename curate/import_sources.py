"""Where `curate import` finds rows: a file of JSON Lines, a JSON array, or Parquet; a folder (every
such file in it, and a `datasets` folder saved with `save_to_disk`); or a Hugging Face dataset id,
loaded with `datasets` (from the local cache when offline).

Each is one or more `RowFile`s, whose rows come numbered: a JSON Lines row by its line, a JSON array's
element by the line it starts on, a Parquet or dataset row by its position (1 for the first). A row
that cannot be read is a `Fault` in its place; the rest of the file still reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from curate.errors import InputError

SUFFIXES = (".jsonl", ".json", ".parquet")
"""The files a folder is read for (`.jsonl` also as `.ndjson`)."""
DATASET_MARKERS = ("dataset_dict.json", "state.json")
"""The files `datasets`' `save_to_disk` writes at the top of its folder."""
NOT_ROWS = {
    "manifest.json": "curate's export manifest",
    "dataset_info.json": "a dataset's description (LLaMA-Factory's, or `datasets`')",
}
"""Files a folder of rows holds beside them that are not rows: listed as skipped, never read."""


@dataclass(frozen=True)
class Fault:
    """A row that could not be read, and why."""

    reason: str


Rows = Iterator[tuple[int, Any]]


@dataclass(frozen=True)
class RowFile:
    name: str
    """How messages name it: the path, or `id[split]` for a dataset."""
    label: str
    """What provenance records as the examples' origin (the file name, or `id[split]`)."""
    unit: str
    """What its row numbers count: "line" or "row"."""
    read: Callable[[], Rows]
    skipped: str | None = None
    """Why the file is not read (it is not rows), or None."""


def row_files(target: str) -> list[RowFile]:
    """The files to read for `target`, sorted; InputError (one line) when there are none."""
    path = Path(target)
    if path.is_dir():
        if any((path / marker).is_file() for marker in DATASET_MARKERS):
            return _saved_dataset(path)
        found = sorted(
            item
            for item in path.rglob("*")
            if item.is_file() and item.suffix in (*SUFFIXES, ".ndjson") and not item.name.startswith(".")
        )
        saved = sorted({item.parent for item in path.rglob("*") if item.name in DATASET_MARKERS})
        found = [item for item in found if not any(folder in item.parents for folder in saved)]
        files = [file_of(item) for item in found] + [each for folder in saved for each in _saved_dataset(folder)]
        if not files:
            raise InputError(f"no {', '.join(SUFFIXES)} file or saved dataset in this folder", path=target)
        return files
    if path.is_file():
        return [file_of(path)]
    if _looks_like_dataset_id(target):
        return _hub_dataset(target)
    raise InputError("no such file, folder or Hugging Face dataset id (owner/name)", path=target)


def file_of(path: Path) -> RowFile:
    if path.name in NOT_ROWS:
        return RowFile(str(path), path.name, "line", lambda: iter(()), skipped=f"not rows: {NOT_ROWS[path.name]}")
    if path.suffix == ".parquet":
        return RowFile(str(path), path.name, "row", lambda: _parquet_rows(path))
    if path.suffix == ".json":
        return RowFile(str(path), path.name, "line", lambda: _json_rows(path))
    return RowFile(str(path), path.name, "line", lambda: _jsonl_rows(path.read_text("utf-8", errors="replace")))


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return Fault(f"not JSON: {error.msg} at column {error.colno}")
    except RecursionError:
        return Fault("nested too deeply to read")
    except ValueError as error:  # e.g. an integer past Python's 4,300-digit limit
        return Fault(f"not JSON: {error}")


def _jsonl_rows(text: str, first_line: int = 1) -> Rows:
    for number, line in enumerate(text.splitlines(), start=first_line):
        if line.strip():
            yield number, _parsed(line)


def _json_rows(path: Path) -> Rows:
    """A JSON array's elements, each numbered by the line it starts on; a file that does not open with
    `[` is read as JSON Lines (many `.json` files are), so one object alone is one row."""
    text = path.read_text("utf-8", errors="replace")
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        yield from _jsonl_rows(text)
        return
    decoder = json.JSONDecoder()
    index = _skip(text, start + 1)
    if text.startswith("]", index):
        return
    line, counted = 1, 0  # lines counted as the reading goes (counting from the start each time is quadratic)
    while True:
        line, counted = line + text.count("\n", counted, index), index
        try:
            row, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            yield line, Fault(f"not JSON: {error.msg} at line {error.lineno} column {error.colno} (the rest is unread)")
            return
        except RecursionError:
            yield line, Fault("nested too deeply to read (the rest is unread)")
            return
        except ValueError as error:  # e.g. an integer past Python's 4,300-digit limit
            yield line, Fault(f"not JSON: {error} (the rest is unread)")
            return
        yield line, row
        index = _skip(text, index)
        if text.startswith(",", index):
            index = _skip(text, index + 1)
        elif text.startswith("]", index):
            return
        else:
            line += text.count("\n", counted, index)
            yield line, Fault("not JSON: the array is not closed with ] (the rest is unread)")
            return


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _parquet_rows(path: Path) -> Rows:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"not a Parquet file curate can read: {error}") from None  # the report names the file
    number = 0
    schema = table.schema_arrow
    decode = any(_holds_json(column.type) for column in schema)
    for batch in table.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            number += 1
            yield number, _decoded(row, pa.struct(list(schema))) if decode else row


def _holds_json(kind: Any) -> bool:
    """Whether an Arrow type holds Arrow's canonical JSON type (`datasets.Json()`, as curate's hf
    export writes call arguments and tool parameters) anywhere inside."""
    import pyarrow as pa

    if isinstance(kind, pa.BaseExtensionType):
        return str(kind.extension_name) == "arrow.json"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _holds_json(kind.value_type)
    if pa.types.is_struct(kind):
        return any(_holds_json(child.type) for child in kind)
    return False


def _decoded(value: Any, kind: Any) -> Any:
    """The value with its JSON-typed parts parsed, as `datasets` hands them back; text that is not
    JSON stays text, for the row's format to report."""
    import pyarrow as pa

    if value is None:
        return None
    if _holds_json(kind) and isinstance(kind, pa.BaseExtensionType):
        try:
            return json.loads(value)
        except (TypeError, ValueError):  # not JSON after all: the format's own check names the row
            return value
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return [_decoded(item, kind.value_type) for item in value]
    if pa.types.is_struct(kind):
        return {key: _decoded(item, kind.field(key).type) for key, item in value.items()}
    return value


def _dataset_rows(dataset: Any) -> Rows:
    yield from enumerate(dataset, start=1)


def _splits(name: str, loaded: Any) -> list[RowFile]:
    """One RowFile per split of a `Dataset` or `DatasetDict`."""
    splits = loaded.items() if hasattr(loaded, "items") else [("", loaded)]
    return [
        RowFile(
            f"{name}[{split}]" if split else name,
            f"{Path(name).name}[{split}]" if split else Path(name).name,
            "row",
            partial(_dataset_rows, dataset),
        )
        for split, dataset in sorted(splits, key=lambda pair: str(pair[0]))
    ]


def _saved_dataset(folder: Path) -> list[RowFile]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(folder))
    except Exception as error:  # datasets raises many kinds for an unreadable folder: each is the user's problem
        raise InputError(f"not a dataset `datasets` can load: {_first_line(error)}", path=str(folder)) from None
    return _splits(str(folder), loaded)


def _looks_like_dataset_id(target: str) -> bool:
    """`name` or `owner/name`, and no file name: a missing `rows.jsonl` is a missing file."""
    parts = target.split("/")
    return (
        1 <= len(parts) <= 2
        and all(part and not part.startswith(".") for part in parts)
        and "\\" not in target
        and Path(target).suffix not in (*SUFFIXES, ".ndjson")
    )


def _hub_dataset(name: str) -> list[RowFile]:
    import datasets

    try:
        loaded = datasets.load_dataset(name)
    except Exception as error:  # offline, unknown id, no cache, gated: each is one line for the user
        raise InputError(
            "no such file or folder, and no Hugging Face dataset `datasets` can load by this id (offline "
            f"and not in the local cache, or no such dataset): {_first_line(error)}",
            path=name,
        ) from None
    return _splits(name, loaded)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]
