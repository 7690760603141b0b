"""Columns laid out with the standard library (`curate.columns`), as Arrow reads them, and the facts'
ids laid out the same way (`curate.fact_columns`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import columns
from curate.columns import int32s, int64s, joined, repeated, strings
from curate.fact_columns import fact_columns
from curate.store.arrow import arrow_table

texts = st.lists(st.none() | st.text(st.characters(exclude_categories=("Cs",))), max_size=20)
numbers = st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), max_size=20)


@settings(deadline=None)  # the first example imports pyarrow
@given(st.lists(st.tuples(texts, numbers), min_size=1, max_size=5))
def test_columns_read_back_as_written_and_join_end_to_end(
    parts: list[tuple[list[str | None], list[int | None]]],
) -> None:
    tables = []
    for words, integers in parts:
        size = min(len(words), len(integers))
        tables.append(
            {
                "word": strings(words[:size]),
                "same": repeated("é", size),
                "small": int32s(integers[:size]),
                "large": int64s([None if n is None else n * 2**20 for n in integers[:size]]),
            }
        )
    table = arrow_table(joined(tables))
    table.validate(full=True)
    expected = [
        {"word": word, "same": "é", "small": number, "large": None if number is None else number * 2**20}
        for words, integers in parts
        for word, number in zip(words, integers, strict=False)
    ]
    assert table.to_pylist() == expected
    assert [field.type for field in table.schema] == ["string", "string", "int32", "int64"]


def test_past_2_gib_a_string_column_takes_64_bit_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "LARGEST_INT32", 3)
    table = arrow_table({"word": strings(["ab", "cd"])})
    table.validate(full=True)
    assert str(table.schema.field("word").type) == "large_string"
    assert table.column("word").to_pylist() == ["ab", "cd"]


def test_the_store_writes_tables_without_importing_pandas() -> None:
    """`pa.array` on a list imports pandas (0.4 s) to check for pandas input; the store's tables are
    made from buffers, so mining never pays for it."""
    script = (
        "import sys\n"
        "from curate.columns import strings, int32s\n"
        "from curate.store.arrow import arrow_table\n"
        "arrow_table({'a': strings(['x', None]), 'b': int32s([1, None])}).validate(full=True)\n"
        "assert 'pyarrow' in sys.modules and 'pandas' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_a_mining_worker_imports_neither_pyarrow_nor_duckdb() -> None:
    """The workers lay facts out with the standard library: each would pay 0.3 s to import pyarrow."""
    script = (
        "import sys\n"
        "import curate.mine_worker\n"
        "assert not {'pyarrow', 'duckdb', 'pandas'} & set(sys.modules), sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_fact_ids_are_those_stores_already_hold() -> None:
    """Ids that the store computed itself before the workers laid facts out (md5 in DuckDB): a
    re-mine of unchanged files keeps them. A repeat on the same line takes the next number."""
    rows = [
        ("function", "f", "app.f", "app.py", 3, 4, "{}"),
        ("call", "g", "app.f", "app.py", 4, 4, '{"n": 1}'),
        ("call", "g", "app.f", "app.py", 4, 4, '{"n": 2}'),
        ("link", "Hé", "/html/body/a[1]", "docs/i.html", 9, 9, "{}"),
    ]
    table = arrow_table(fact_columns("src", rows, "extract"))
    assert table.column("fact_id").to_pylist() == [
        "56910c239af7027ecbca2066d778c27a",
        "9b3650ad6d99080d5f0c6361d72428df",
        "1db3b0d74f968c959c83f04cd4a7566b",
        "2c1c95273fe89a4a15685d26f42e410b",
    ]
    assert table.column("seq").to_pylist() == [0, 1, 2, 0]
    assert set(table.column("source").to_pylist()) == {"src"}
    assert set(table.column("stage").to_pylist()) == {"extract"}
