"""pyarrow, imported on first use: most commands (a tool call, `--help`) move no tables, and pyarrow
costs as much to import as duckdb itself."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


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

__all__ = ["pa"]
