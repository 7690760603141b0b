"""Columns in Arrow's memory layout, built with the standard library.

The mining workers lay their facts out this way, so the one process that writes the store joins a
batch of files' columns end to end and hands DuckDB whole columns (`curate.store.arrow` wraps the
buffers as Arrow arrays, without a copy), never touching a fact. A worker needs no pyarrow (0.3 s
to import), and neither side calls `pa.array`, which imports pandas (0.4 s a process) to check
whether its input is a pandas object.

A string column keeps each value's length rather than Arrow's offsets, so that columns join by
concatenating bytes; the offsets are summed once, for the joined column (`offsets`).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

LARGEST_INT32 = 2**31 - 1


@dataclass(frozen=True)
class Strings:
    """A string column: the values' UTF-8 back to back in `data`, each value's length in bytes in
    `lengths` (int32), and a bit a value (1: present) in `validity` (None: no nulls)."""

    length: int
    lengths: bytes
    data: bytes
    validity: bytes | None = None


@dataclass(frozen=True)
class Integers:
    """An integer column of `width` bytes a value (4: int32, 8: int64), back to back."""

    length: int
    width: int
    data: bytes
    validity: bytes | None = None


Column = Strings | Integers
Columns = dict[str, Column]
"""A table's columns by name, all of one length."""


def strings(values: Sequence[str | None]) -> Strings:
    if None in values:
        encoded = [b"" if value is None else value.encode() for value in values]
        validity: bytes | None = _validity(values)
    else:
        encoded = list(map(str.encode, values))  # type: ignore[arg-type]  # no None: checked above
        validity = None
    return Strings(len(values), _little_endian("i", map(len, encoded)), b"".join(encoded), validity)


def repeated(value: str, length: int) -> Strings:
    """One value `length` times."""
    encoded = value.encode()
    return Strings(length, _little_endian("i", [len(encoded)]) * length, encoded * length)


def int32s(values: Sequence[int | None]) -> Integers:
    return _integers("i", 4, values)


def int64s(values: Sequence[int | None]) -> Integers:
    return _integers("q", 8, values)


def joined(tables: Sequence[Columns]) -> Columns:
    """Tables of the same columns as one: each column's buffers end to end."""
    first = tables[0]
    together: Columns = {}
    for name, column in first.items():
        parts = [table[name] for table in tables]
        validity = _joined_validity(parts)
        data = b"".join(part.data for part in parts)
        length = sum(part.length for part in parts)
        if isinstance(column, Strings):
            lengths = b"".join(part.lengths for part in parts if isinstance(part, Strings))
            together[name] = Strings(length, lengths, data, validity)
        else:
            together[name] = Integers(length, column.width, data, validity)
    return together


def offsets(column: Strings) -> tuple[bytes, int]:
    """Arrow's offsets of a string column (where each value starts, then where the last ends), and
    their width: 4 bytes (Arrow's `string`), or 8 (`large_string`) past 2 GiB of data."""
    lengths = array("i")
    lengths.frombytes(column.lengths)
    if sys.byteorder != "little":
        lengths.byteswap()
    width = 4 if len(column.data) <= LARGEST_INT32 else 8
    return _little_endian("i" if width == 4 else "q", accumulate(lengths, initial=0)), width


def held_bytes(columns: Columns) -> int:
    """The bytes the columns' buffers hold."""
    return sum(
        len(column.data) + len(column.validity or b"") + (len(column.lengths) if isinstance(column, Strings) else 0)
        for column in columns.values()
    )


def _integers(code: str, width: int, values: Sequence[int | None]) -> Integers:
    if None in values:
        return Integers(len(values), width, _little_endian(code, [value or 0 for value in values]), _validity(values))
    return Integers(len(values), width, _little_endian(code, values))  # type: ignore[arg-type]  # no None


def _little_endian(code: str, values: Iterable[int]) -> bytes:
    numbers = array(code, values)
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers.tobytes()


def _validity(values: Sequence[object]) -> bytes:
    """Arrow's validity bitmap: bit i (least significant first) set where value i is present."""
    bits = "".join("0" if value is None else "1" for value in reversed(values))
    return int(bits or "0", 2).to_bytes((len(values) + 7) // 8, "little")


def _joined_validity(parts: Sequence[Column]) -> bytes | None:
    if all(part.validity is None for part in parts):
        return None
    bits = position = 0
    for part in parts:
        every = (1 << part.length) - 1
        bits |= (every if part.validity is None else int.from_bytes(part.validity, "little") & every) << position
        position += part.length
    return bits.to_bytes((position + 7) // 8, "little")
