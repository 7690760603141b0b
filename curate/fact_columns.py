"""Fact rows as the columns of the store's `facts` table, ids included. The mining workers lay their
facts out so (`curate.mine_worker`): the parent process, which alone writes the store, then appends
a batch of files whole instead of working fact by fact. The store lays out linking's facts the same way.

A fact's id is derived from its content and place: the md5 of its source, path, kind, qualname,
line and name and, for a repeat of the same on the same line, its number among them (1, 2, ...),
joined by NUL. Re-mining unchanged code gives the same ids.

Imported by the workers: nothing here may import pyarrow, duckdb or the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from curate.columns import Columns, int32s, repeated, strings
from sources.extraction import FactRow


def fact_columns(source: str, rows: Sequence[FactRow], stage: str) -> Columns:
    """Rows as the `facts` table's columns; `seq` is each fact's place among its file's facts."""
    ids: list[str] = []
    sequence: list[int] = []
    in_file: dict[str, int] = {}  # dicts, not Counters: a Counter's missing key costs a Python call
    repeats: dict[tuple[str, str, str, int, str], int] = {}
    for kind, name, qualname, path, line, _, _ in rows:
        place = in_file.get(path, 0)
        sequence.append(place)
        in_file[path] = place + 1
        key = (path, kind, qualname, line, name)
        repeat = repeats.get(key, 0) + 1
        repeats[key] = repeat
        ids.append(fact_id(source, path, kind, qualname, line, name, repeat))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(7)]
    return {
        "fact_id": strings(ids),
        "source": repeated(source, len(rows)),
        "path": strings(columns[3]),
        "kind": strings(columns[0]),
        "name": strings(columns[1]),
        "qualname": strings(columns[2]),
        "line": int32s(columns[4]),
        "end_line": int32s(columns[5]),
        "seq": int32s(sequence),
        "stage": repeated(stage, len(rows)),
        "detail": strings(columns[6]),
    }


def fact_id(source: str, path: str, kind: str, qualname: str, line: int, name: str, repeat: int) -> str:
    key = f"{source}\0{path}\0{kind}\0{qualname}\0{line}\0{name}\0{repeat}"
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
