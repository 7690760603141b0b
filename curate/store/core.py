"""The DuckDB store: the schema and its migrations, sources, files, file contents (content-addressed),
the secrets redacted from them, source-list entries, runs. Facts and line search are in `facts`.

The store package is the only code that talks to DuckDB. Writes go in batches, one transaction per
batch, so a mine killed at any point leaves whole files behind it: a file's row, its contents and
its facts commit together, and a rerun sees exactly which files still need mining.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from curate.columns import Columns, int32s, int64s, joined, repeated, strings
from curate.errors import StoreBusyError, StoreError
from curate.fact_columns import fact_columns
from curate.store.arrow import arrow_table, pa
from curate.store.examples import EXAMPLE_TABLES, ExampleTables
from curate.store.facts import FactTables
from curate.store.training import TRAINING_TABLES, TrainingTables
from schemas import FileRecord, Source
from sources.extraction import FactRow, dump_detail

SCHEMA_VERSION = 6

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE sources (
        name VARCHAR NOT NULL, domain VARCHAR NOT NULL, root VARCHAR NOT NULL, origin VARCHAR NOT NULL,
        revision VARCHAR NOT NULL, license VARCHAR, linked_revision VARCHAR
    );
    CREATE TABLE files (
        source VARCHAR NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, size BIGINT NOT NULL,
        language VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR, error VARCHAR,
        lines INTEGER NOT NULL, positions VARCHAR, extractor VARCHAR NOT NULL
    );
    CREATE TABLE contents (sha256 VARCHAR NOT NULL, text VARCHAR NOT NULL);
    CREATE TABLE facts (
        fact_id VARCHAR NOT NULL, source VARCHAR NOT NULL, path VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL, qualname VARCHAR NOT NULL, line INTEGER NOT NULL, end_line INTEGER NOT NULL,
        seq INTEGER NOT NULL, stage VARCHAR NOT NULL, detail VARCHAR NOT NULL
    );
    CREATE TABLE rejections (
        source VARCHAR NOT NULL, path VARCHAR, line INTEGER, stage VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, detail VARCHAR
    );
    CREATE TABLE runs (
        run_id VARCHAR NOT NULL, command VARCHAR NOT NULL, started TIMESTAMP NOT NULL,
        finished TIMESTAMP, stats VARCHAR
    );
    """,
    2: EXAMPLE_TABLES,
    3: TRAINING_TABLES,
    # the secrets redacted from each file before extraction: kind and line, never the secret
    4: """
    CREATE TABLE secrets (
        source VARCHAR NOT NULL, path VARCHAR NOT NULL, line INTEGER NOT NULL, kind VARCHAR NOT NULL
    );
    """,
    # `curate mine --from FILE`: each listed entry's state, so a rerun goes on where a run stopped
    5: """
    CREATE TABLE listed_sources (
        entry VARCHAR NOT NULL, domain VARCHAR, status VARCHAR NOT NULL, reason VARCHAR, source VARCHAR,
        sha256 VARCHAR, updated TIMESTAMP NOT NULL
    );
    """,
    # conversation shapes (every example stored before them has one call or none: "single") and the
    # turn a verification stage rejected
    6: """
    ALTER TABLE examples ADD COLUMN shape VARCHAR NOT NULL DEFAULT 'single';
    ALTER TABLE example_rejections ADD COLUMN turn INTEGER;
    """,
}


@dataclass(frozen=True)
class FileWrite:
    """One mined file: its record, its text (None for files that could not be read) and its facts, as
    rows or, from the mining workers, already as the `facts` table's columns
    (`curate.fact_columns`), which are then written as they are and `rows` is not read."""

    record: FileRecord
    text: str | None
    rows: Sequence[FactRow]
    positions: str | None = None
    extractor: str = ""
    secrets: Sequence[tuple[str, int]] = ()
    facts: Columns | None = None


@dataclass(frozen=True)
class FileState:
    """What a recorded file was mined from: its content hash and the extractor version that read it."""

    sha256: str
    extractor: str


@dataclass(frozen=True)
class ListedState:
    """The state of one entry of a source list (`curate mine --from FILE`): `mined` from content
    `sha256` into `source`, or `failed` with a reason."""

    entry: str
    domain: str | None
    status: str
    reason: str | None
    source: str | None
    sha256: str | None


@dataclass(frozen=True)
class RedactedSecret:
    """A secret redacted from a file while mining: where it was and its kind, never the secret."""

    source: str
    path: str
    line: int
    kind: str


class Store(FactTables, ExampleTables, TrainingTables):
    def __init__(self, connection: duckdb.DuckDBPyConnection, path: str) -> None:
        self._db = connection
        self.path = path

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        location = str(path)
        if read_only and not Path(location).exists():
            raise StoreError("no store here", path=location, hint="run `curate mine PATH` first")
        if not read_only:
            try:
                Path(location).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot make its folder: {error.strerror or error}", path=location) from None
        try:
            connection = duckdb.connect(location, read_only=read_only)
        except duckdb.IOException as error:
            message = str(error)
            if "lock" in message.lower():
                holder = re.search(r"PID (\d+)", message)
                who = f" (process {holder.group(1)})" if holder else ""
                raise StoreBusyError(
                    f"database is in use by another curate process{who}",
                    path=location,
                    hint="wait for it to finish, or use another --db",
                ) from None
            raise StoreError(message.split("\n", maxsplit=1)[0], path=location) from None
        except duckdb.Error as error:
            raise StoreError(f"not a curate store: {str(error).splitlines()[0]}", path=location) from None
        store = cls(connection, location)
        store._migrate(read_only)
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        except duckdb.CatalogException:  # no meta table: a new file, or another program's database
            return 0
        return int(row[0][0]) if row else 0

    def _migrate(self, read_only: bool) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store schema {version} is newer than this curate understands ({SCHEMA_VERSION})",
                path=self.path,
                hint="upgrade curate",
            )
        if version == SCHEMA_VERSION:
            return
        if version == 0:
            tables = self._db.execute("SELECT table_name FROM information_schema.tables").fetchall()
            foreign = [row[0] for row in tables]
            if foreign:
                self.close()
                shown = ", ".join(sorted(foreign)[:3])
                raise StoreError(
                    f"not a curate store: a DuckDB database with tables of its own ({shown}); curate adds none to it",
                    path=self.path,
                    hint="use another --db",
                )
        if read_only:
            raise StoreError(f"store schema {version} needs migrating", path=self.path, hint="run `curate mine`")
        with self.transaction():
            if version == 0:
                self._db.execute("CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)")
                self._db.execute("INSERT INTO meta VALUES ('schema_version', '0')")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                self._db.execute(MIGRATIONS[step])
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(step)])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- sources -----------------------------------------------------------------------------
    def save_source(self, source: Source) -> None:
        with self.transaction():
            linked = self._db.execute(
                "SELECT linked_revision FROM sources WHERE name = ? AND revision = ?", [source.name, source.revision]
            ).fetchall()
            self._db.execute("DELETE FROM sources WHERE name = ?", [source.name])
            self._db.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    source.name,
                    source.domain,
                    source.root,
                    source.origin,
                    source.revision,
                    source.license,
                    linked[0][0] if linked else None,
                ],
            )

    def sources(self, domain: str | None = None) -> list[Source]:
        query = "SELECT name, domain, root, origin, revision, license FROM sources"
        rows = (
            self._db.execute(query + " WHERE domain = ? ORDER BY name", [domain])
            if domain is not None
            else self._db.execute(query + " ORDER BY domain, name")
        ).fetchall()
        return [Source(name=r[0], domain=r[1], root=r[2], origin=r[3], revision=r[4], license=r[5]) for r in rows]

    def domains(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT domain FROM sources ORDER BY 1").fetchall()]

    def linked_revision(self, source: str) -> str | None:
        row = self._db.execute("SELECT linked_revision FROM sources WHERE name = ?", [source]).fetchall()
        return row[0][0] if row else None

    # -- files -------------------------------------------------------------------------------
    def file_states(self, source: str) -> dict[str, FileState]:
        """path -> state of every file recorded for a source."""
        rows = self._db.execute("SELECT path, sha256, extractor FROM files WHERE source = ?", [source]).fetchall()
        return {row[0]: FileState(row[1], row[2]) for row in rows}

    def files(self, source: str, status: str | None = None) -> list[FileRecord]:
        query = "SELECT path, sha256, size, language, status, reason, error, lines FROM files WHERE source = ?"
        params: list[Any] = [source]
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        rows = self._db.execute(query + " ORDER BY path", params).fetchall()
        return [
            FileRecord(
                path=r[0], sha256=r[1], size=r[2], language=r[3], status=r[4], reason=r[5], error=r[6], lines=r[7]
            )
            for r in rows
        ]

    def write_files(self, source: str, writes: Sequence[FileWrite]) -> None:
        """Replace these files' rows, contents and extracted facts, all in one transaction: one
        statement a table, each appending Arrow columns whole."""
        if not writes:
            return
        records = [write.record for write in writes]
        path = strings([record.path for record in records])
        paths = arrow_table({"path": path})
        files = arrow_table(
            {
                "source": repeated(source, len(writes)),
                "path": path,
                "sha256": strings([record.sha256 for record in records]),
                "size": int64s([record.size for record in records]),
                "language": strings([record.language for record in records]),
                "status": strings([record.status for record in records]),
                "reason": strings([record.reason for record in records]),
                "error": strings([record.error for record in records]),
                "lines": int32s([record.lines for record in records]),
                "positions": strings([write.positions for write in writes]),
                "extractor": strings([write.extractor for write in writes]),
            }
        )
        texts: dict[str, str] = {write.record.sha256: write.text for write in writes if write.text is not None}
        contents = arrow_table({"sha256": strings(list(texts)), "text": strings(list(texts.values()))})
        found = [(write.record.path, line, kind) for write in writes for kind, line in write.secrets]
        secrets = arrow_table(
            {
                "source": repeated(source, len(found)),
                "path": strings([path for path, _, _ in found]),
                "line": int32s([line for _, line, _ in found]),
                "kind": strings([kind for _, _, kind in found]),
            }
        )
        facts = arrow_table(
            joined(
                [
                    write.facts if write.facts is not None else fact_columns(source, write.rows, "extract")
                    for write in writes
                ]
            )
        )
        with self.transaction():
            self._db.register("incoming_paths", paths)
            self._db.execute(
                "DELETE FROM facts WHERE source = ? AND stage = 'extract' "
                "AND path IN (SELECT path FROM incoming_paths)",
                [source],
            )
            self._db.execute(
                "DELETE FROM files WHERE source = ? AND path IN (SELECT path FROM incoming_paths)", [source]
            )
            self._db.execute(
                "DELETE FROM secrets WHERE source = ? AND path IN (SELECT path FROM incoming_paths)", [source]
            )
            self._db.unregister("incoming_paths")
            self._insert("secrets", secrets)
            self._insert("files", files)
            self._db.register("incoming_contents", contents)
            # replaced, not kept: a text stored by an older extractor may hold what this one redacts
            self._db.execute("DELETE FROM contents WHERE sha256 IN (SELECT sha256 FROM incoming_contents)")
            self._db.execute("INSERT INTO contents SELECT * FROM incoming_contents")
            self._db.unregister("incoming_contents")
            self._insert("facts", facts)

    def record_listed(
        self, entry: str, domain: str | None, status: str, reason: str | None, source: str | None, sha256: str | None
    ) -> None:
        """The state of one entry of a source list: `mined` (from content `sha256`) or `failed`."""
        with self.transaction():
            self._db.execute("DELETE FROM listed_sources WHERE entry = ?", [entry])
            self._db.execute(
                "INSERT INTO listed_sources VALUES (?, ?, ?, ?, ?, ?, now())",
                [entry, domain, status, reason, source, sha256],
            )

    def listed(self) -> dict[str, ListedState]:
        """entry -> its state, in entry order."""
        rows = self._db.execute(
            "SELECT entry, domain, status, reason, source, sha256 FROM listed_sources ORDER BY entry"
        ).fetchall()
        return {row[0]: ListedState(*row) for row in rows}

    def integrity_problems(self) -> list[str]:
        """What is wrong inside the store: duplicate keys and rows pointing at nothing. Empty when
        healthy. (A run left `running` by a killed process is a state, not damage.)"""
        checks = {
            "duplicate sources": "SELECT name FROM sources GROUP BY name HAVING count(*) > 1",
            "duplicate files": "SELECT source || ':' || path FROM files GROUP BY source, path HAVING count(*) > 1",
            "duplicate contents": "SELECT sha256 FROM contents GROUP BY sha256 HAVING count(*) > 1",
            "duplicate examples": "SELECT id FROM examples GROUP BY id HAVING count(*) > 1",
            "duplicate toolsets": "SELECT toolset FROM toolsets GROUP BY toolset HAVING count(*) > 1",
            "duplicate training runs": "SELECT run_id FROM train_runs GROUP BY run_id HAVING count(*) > 1",
            "files of no source": "SELECT DISTINCT source FROM files WHERE source NOT IN (SELECT name FROM sources)",
            "facts of no mined file": "SELECT DISTINCT f.source || ':' || f.path FROM facts f "
            "LEFT JOIN files USING (source, path) WHERE files.path IS NULL OR files.status <> 'ok'",
            "mined files without their text": "SELECT source || ':' || path FROM files "
            "WHERE status = 'ok' AND sha256 NOT IN (SELECT sha256 FROM contents)",
            "secrets of no file": "SELECT DISTINCT s.source || ':' || s.path FROM secrets s "
            "LEFT JOIN files USING (source, path) WHERE files.path IS NULL",
            "examples without their tools": "SELECT id FROM examples "
            "WHERE toolset NOT IN (SELECT toolset FROM toolsets)",
            "dedup clusters of no example": "SELECT DISTINCT example_id FROM dedup_clusters "
            "WHERE example_id NOT IN (SELECT id FROM examples)",
            "reports of no training run": "SELECT DISTINCT run_id FROM train_reports "
            "WHERE run_id NOT IN (SELECT run_id FROM train_runs)",
        }
        problems = []
        for what, query in checks.items():
            found = [str(row[0]) for row in self._db.execute(query + " ORDER BY 1 LIMIT 4").fetchall()]
            if found:
                problems.append(f"{what}: {', '.join(found[:3])}{', ...' if len(found) > 3 else ''}")
        return problems

    def secrets(self, domain: str | None = None) -> list[RedactedSecret]:
        """Every secret redacted while mining, in file order."""
        query = "SELECT source, path, line, kind FROM secrets"
        params: list[Any] = []
        if domain is not None:
            query += " WHERE source IN (SELECT name FROM sources WHERE domain = ?)"
            params.append(domain)
        rows = self._db.execute(query + " ORDER BY source, path, line, kind", params).fetchall()
        return [RedactedSecret(row[0], row[1], int(row[2]), row[3]) for row in rows]

    def delete_files(self, source: str, paths: Iterable[str]) -> None:
        gone = list(paths)
        if not gone:  # before any table is made: pyarrow costs as much to load as a warm re-mine
            return
        table = arrow_table({"path": strings(gone)})
        with self.transaction():
            self._db.register("gone", table)
            self._db.execute("DELETE FROM facts WHERE source = ? AND path IN (SELECT path FROM gone)", [source])
            self._db.execute("DELETE FROM files WHERE source = ? AND path IN (SELECT path FROM gone)", [source])
            self._db.execute("DELETE FROM secrets WHERE source = ? AND path IN (SELECT path FROM gone)", [source])
            self._db.unregister("gone")
            self._drop_orphan_contents()

    def _drop_orphan_contents(self) -> None:
        self._db.execute("DELETE FROM contents WHERE sha256 NOT IN (SELECT sha256 FROM files)")

    def file_text(self, source: str, path: str) -> str | None:
        row = self._db.execute(
            "SELECT c.text FROM files f JOIN contents c USING (sha256) WHERE f.source = ? AND f.path = ?",
            [source, path],
        ).fetchall()
        return row[0][0] if row else None

    def _insert(self, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        self._db.register("incoming_rows", rows)
        columns = ", ".join(rows.column_names)
        self._db.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
        self._db.unregister("incoming_rows")

    # -- runs --------------------------------------------------------------------------------
    def record_run(self, run_id: str, command: str, stats: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute("INSERT INTO runs VALUES (?, ?, now(), now(), ?)", [run_id, command, dump_detail(stats)])

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the content tables, sorted: two stores hold the same data iff equal."""
        tables = {
            "sources": "SELECT * FROM sources",
            "files": "SELECT * FROM files",
            "contents": "SELECT * FROM contents",
            "facts": "SELECT * FROM facts",
            "rejections": "SELECT * FROM rejections",
            **self.example_tables(),
        }
        return {name: sorted(self._db.execute(query).fetchall(), key=repr) for name, query in tables.items()}
