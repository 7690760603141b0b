"""pyarrow, imported on first use: most commands (a tool call, `--help`) move no tables, and pyarrow
costs as much to import as duckdb itself.

Tables the store writes are made from `curate.columns` (buffers in Arrow's layout), never with
`pa.array` or `pa.table` on Python lists: those import pandas (0.4 s) to check whether their input
is a pandas object.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from curate.columns import Column, Columns, Strings, offsets


class LazyModule:
    """A module imported the first time one of its attributes is read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


if TYPE_CHECKING:
    import pyarrow as pa
else:
    pa = LazyModule("pyarrow")


def arrow_table(columns: Columns) -> pa.Table:
    """The columns as one Arrow table, sharing their buffers."""
    return pa.Table.from_arrays([arrow_array(column) for column in columns.values()], names=list(columns))


def arrow_array(column: Column) -> pa.Array:
    validity = None if column.validity is None else pa.py_buffer(column.validity)
    if isinstance(column, Strings):
        starts, width = offsets(column)
        kind = pa.string() if width == 4 else pa.large_string()
        return pa.Array.from_buffers(kind, column.length, [validity, pa.py_buffer(starts), pa.py_buffer(column.data)])
    kind = pa.int32() if column.width == 4 else pa.int64()
    return pa.Array.from_buffers(kind, column.length, [validity, pa.py_buffer(column.data)])


__all__ = ["arrow_array", "arrow_table", "pa"]
