from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.errors import StoreBusyError, StoreError
from curate.store import SCHEMA_VERSION, FileWrite, LineMatch, LineSearch, Store
from schemas import Fact, FileRecord, Source
from sources.extraction import to_rows


def write(file: FileRecord, text: str, facts: list[Fact]) -> FileWrite:
    return FileWrite(file, text, to_rows(facts))


def fact(path: str, line: int, name: str = "f") -> Fact:
    return Fact(
        kind="function",
        name=name,
        qualname=name,
        path=path,
        line=line,
        end_line=line,
        detail={"signature": "()", "start_line": line},
    )


def record(path: str, sha: str = "abc") -> FileRecord:
    return FileRecord(path=path, sha256=sha, size=3, language="python", status="ok", lines=1)


def add_source(store: Store, name: str = "s", domain: str = "d") -> None:
    store.save_source(Source(name=name, domain=domain, root="/x", origin="folder", revision="r"))


def test_a_new_store_is_at_the_current_schema(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION


def test_a_store_from_a_newer_curate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    import duckdb

    connection = duckdb.connect(str(path))
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()
    with pytest.raises(StoreError, match="newer than this curate"):
        Store.open(path)


def test_facts_round_trip(store: Store) -> None:
    add_source(store)
    facts = [fact("a.py", 3, "g"), fact("a.py", 1), fact("b.py", 2)]
    store.write_files("s", [write(record("a.py"), "text", facts[:2]), write(record("b.py", "def"), "t", facts[2:])])
    assert [stored.fact for stored in store.facts(domain="d")] == [facts[1], facts[0], facts[2]]
    assert store.file_text("s", "a.py") == "text"


def test_rewriting_a_file_replaces_its_facts(store: Store) -> None:
    add_source(store)
    store.write_files("s", [write(record("a.py"), "x", [fact("a.py", 1), fact("a.py", 2, "g")])])
    store.write_files("s", [write(record("a.py", "new"), "y", [fact("a.py", 5, "h")])])
    assert [stored.fact.name for stored in store.facts(source="s")] == ["h"]
    store.delete_files("s", ["a.py"])
    assert store.facts(source="s") == [] and store.file_states("s") == {}
    assert store.dump()["contents"] == []


def test_a_batch_that_fails_midway_leaves_nothing_behind(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    add_source(store)
    batch = [write(record("a.py"), "x", [fact("a.py", 1)])]

    insert = Store._insert

    def interrupted(self: Store, table: str, rows: object) -> None:
        if table == "facts":
            raise RuntimeError("interrupted after the file rows were written")
        insert(self, table, rows)

    monkeypatch.setattr(Store, "_insert", interrupted)
    with pytest.raises(RuntimeError):
        store.write_files("s", batch)
    assert store.file_states("s") == {} and store.dump()["contents"] == []
    monkeypatch.undo()
    store.write_files("s", batch)
    assert list(store.file_states("s")) == ["a.py"] and len(store.facts(source="s")) == 1


def test_a_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from curate.store import Store
            store = Store.open({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusyError, match="database is in use by another curate process"):
            Store.open(path)
        with pytest.raises(StoreBusyError):
            Store.open(path, read_only=True)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    Store.open(path).close()


def test_reading_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `curate mine PATH` first"):
        Store.open(tmp_path / "none.duckdb", read_only=True)


def test_search_is_linear_time_even_for_catastrophic_patterns(store: Store) -> None:
    add_source(store)
    store.write_files("s", [write(record("a.py"), "a" * 5000 + "!\nfoo\nFOO bar\n", [])])
    assert store.search_lines([("s", "a.py")], "(a+)+$", regex=True, ignore_case=False, limit=10) == LineSearch(0, [])
    found = store.search_lines([("s", "a.py")], "foo", regex=False, ignore_case=True, limit=1)
    assert found == LineSearch(2, [LineMatch("s", "a.py", 2, "foo")])


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["a.py", "pkg/b.py", "ü/c.py"]), st.integers(1, 10_000), names, names),
        max_size=20,
    )
)
def test_any_facts_round_trip_through_the_store(store: Store, rows: list[tuple[str, int, str, str]]) -> None:
    add_source(store)
    facts = [
        Fact(
            kind="function",
            name=name,
            qualname=qualname,
            path=path,
            line=line,
            end_line=line + 3,
            detail={"signature": f"({name})", "start_line": line, "docstring": qualname},
        )
        for path, line, name, qualname in rows
    ]
    paths = ["a.py", "pkg/b.py", "ü/c.py"]  # every path, so each example replaces the previous one
    store.write_files("s", [write(record(path), path, [f for f in facts if f.path == path]) for path in paths])
    stored = [item.fact for item in store.facts(source="s")]
    assert sorted(stored, key=Fact.sort_key) == sorted(facts, key=Fact.sort_key)
    assert [Fact.model_validate(fact.model_dump()) for fact in stored] == stored


def test_a_version_2_store_gains_the_training_and_secrets_tables(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    Store.open(path).close()
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "DROP TABLE train_runs; DROP TABLE train_reports; DROP TABLE eval_results; DROP TABLE secrets; "
            "DROP TABLE listed_sources; ALTER TABLE examples DROP COLUMN shape; "
            "ALTER TABLE example_rejections DROP COLUMN turn"
        )
        connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == 6
        assert store.train_runs() == [] and store.secrets() == []
