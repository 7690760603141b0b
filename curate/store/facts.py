"""Facts in the store: the facts mining extracted and linking derived, what linking rejected, and
line search over the mined texts: what the tool executor reads.

Fact ids are content-derived, so re-mining unchanged code gives the same ids. Search runs on
DuckDB's RE2 (linear time), so no pattern can hang the executor.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import duckdb

from curate.store.arrow import pa
from schemas import Fact
from sources.extraction import FactRow, dump_detail, to_rows


@dataclass(frozen=True)
class StoredFact:
    source: str
    fact: Fact


@dataclass(frozen=True)
class FactRejection:
    """A fact a stage (linking) dropped, with why."""

    source: str
    path: str | None
    line: int | None
    stage: str
    reason: str


@dataclass(frozen=True)
class LineMatch:
    source: str
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class LineSearch:
    """A text search: how many lines match in all, and the first of them."""

    total: int
    matches: list[LineMatch]


class FactTables:
    """Mixed into `Store`, which provides the connection, the transaction and `_insert`."""

    _db: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _insert(self, table: str, rows: pa.Table) -> None:
        raise NotImplementedError

    def _insert_facts(self, rows: pa.Table) -> None:
        """Insert facts with content-derived ids: the same fact in the same place always gets the same
        id (a repeat of one on the same line is numbered)."""
        if rows.num_rows == 0:
            return
        self._db.register("incoming_facts", rows)
        self._db.execute(
            """
            INSERT INTO facts
            SELECT md5(concat_ws(chr(0), source, path, kind, qualname, line::VARCHAR, name,
                       row_number() OVER (PARTITION BY path, kind, qualname, line, name ORDER BY seq)::VARCHAR)),
                   source, path, kind, name, qualname, line, end_line, seq, stage, detail
            FROM incoming_facts
            """
        )
        self._db.unregister("incoming_facts")

    # -- facts -------------------------------------------------------------------------------
    def facts(
        self,
        *,
        source: str | None = None,
        domain: str | None = None,
        kinds: Sequence[str] | None = None,
        flags: Mapping[str, bool] | None = None,
    ) -> list[StoredFact]:
        """Facts in document order; `flags`: only those whose detail holds each of these true-or-false
        values (`{"is_dataclass": True}`), chosen in the query so that no other fact is read."""
        query = (
            "SELECT f.source, f.kind, f.name, f.qualname, f.path, f.line, f.end_line, f.detail "
            "FROM facts f JOIN sources s ON s.name = f.source WHERE true"
        )
        params: list[Any] = []
        if source is not None:
            query += " AND f.source = ?"
            params.append(source)
        if domain is not None:
            query += " AND s.domain = ?"
            params.append(domain)
        if kinds is not None:
            query += " AND f.kind IN (SELECT unnest(?))"
            params.append(list(kinds))
        for key, value in sorted((flags or {}).items()):
            query += " AND json_extract_string(f.detail, ?) = ?"
            params += ["$." + key, "true" if value else "false"]
        query += " ORDER BY f.source, f.path, f.line, f.stage, f.seq"
        rows = self._db.execute(query, params).fetchall()
        return [
            StoredFact(
                row[0],
                Fact.model_construct(
                    kind=row[1],
                    name=row[2],
                    qualname=row[3],
                    path=row[4],
                    line=row[5],
                    end_line=row[6],
                    detail=json.loads(row[7]),
                ),
            )
            for row in rows
        ]

    def imports(self, domain: str) -> list[tuple[str | None, str | None]]:
        """The distinct `(module, imported)` of a domain's `import` facts, sorted: what the tools'
        coverage reads, chosen in the query rather than read fact by fact."""
        rows = self._db.execute(
            "SELECT DISTINCT json_extract_string(f.detail, '$.module'), json_extract_string(f.detail, '$.imported') "
            "FROM facts f JOIN sources s ON s.name = f.source WHERE s.domain = ? AND f.kind = 'import' "
            "ORDER BY 1, 2",
            [domain],
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def apply_link(
        self,
        source: str,
        revision: str,
        added: Sequence[Fact],
        changed: Sequence[Fact],
        rejected: Sequence[tuple[Fact, str]],
    ) -> None:
        """Replace what linking derived for a source, and mark the source linked at `revision`."""
        with self.transaction():
            self._db.execute("DELETE FROM facts WHERE source = ? AND stage = 'link'", [source])
            self._db.execute("DELETE FROM rejections WHERE source = ? AND stage = 'link'", [source])
            self._insert_facts(fact_table(source, to_rows(added), "link"))
            if changed:
                updates = pa.table(
                    {
                        "path": [fact.path for fact in changed],
                        "kind": [fact.kind for fact in changed],
                        "qualname": [fact.qualname for fact in changed],
                        "name": [fact.name for fact in changed],
                        "line": [fact.line for fact in changed],
                        "detail": [dump_detail(fact.detail) for fact in changed],
                    }
                )
                self._db.register("updates", updates)
                self._db.execute(
                    "UPDATE facts SET detail = u.detail FROM updates u WHERE facts.source = ? "
                    "AND facts.stage = 'extract' AND facts.path = u.path AND facts.kind = u.kind "
                    "AND facts.qualname = u.qualname AND facts.name = u.name AND facts.line = u.line",
                    [source],
                )
                self._db.unregister("updates")
            if rejected:
                self._insert(
                    "rejections",
                    pa.table(
                        {
                            "source": [source] * len(rejected),
                            "path": [fact.path for fact, _ in rejected],
                            "line": [fact.line for fact, _ in rejected],
                            "stage": ["link"] * len(rejected),
                            "reason": [reason for _, reason in rejected],
                            "detail": [dump_detail(fact.model_dump(mode="json")) for fact, _ in rejected],
                        }
                    ),
                )
            self._db.execute("UPDATE sources SET linked_revision = ? WHERE name = ?", [revision, source])

    def rejections(self, source: str) -> list[FactRejection]:
        rows = self._db.execute(
            "SELECT source, path, line, stage, reason FROM rejections WHERE source = ? "
            "ORDER BY stage, path, line, reason",
            [source],
        ).fetchall()
        return [FactRejection(*row) for row in rows]

    # -- text search (RE2: linear time, so no pattern can hang the executor) ------------------
    def search_lines(
        self, files: Sequence[tuple[str, str]], pattern: str, *, regex: bool, ignore_case: bool, limit: int
    ) -> LineSearch:
        """The lines of these (source, path) files that match: how many in all, and the first `limit`
        (0: all), ordered by path, line and source."""
        if not files:
            return LineSearch(0, [])
        wanted = pa.table({"source": [f[0] for f in files], "path": [f[1] for f in files]})
        if regex:
            condition = "regexp_matches(text, ?)"
            argument = f"(?i){pattern}" if ignore_case else pattern
        elif ignore_case:
            condition = "contains(lower(text), ?)"
            argument = pattern.lower()
        else:
            condition = "contains(text, ?)"
            argument = pattern
        query = f"""
            WITH lines AS (
                SELECT f.source, f.path, unnest(generate_series(1, len(string_split(c.text, chr(10))))) AS line,
                       unnest(string_split(c.text, chr(10))) AS text
                FROM files f JOIN contents c USING (sha256) JOIN wanted w ON w.source = f.source AND w.path = f.path
            ), hits AS (SELECT * FROM lines WHERE {condition})
            SELECT (SELECT count(*) FROM hits), source, path, line, text FROM hits
            ORDER BY path, line, source LIMIT ?
        """
        self._db.register("wanted", wanted)
        try:
            rows = self._db.execute(query, [argument, min(limit, 2**62) or 2**62]).fetchall()  # BIGINT bound
        except duckdb.InvalidInputException as error:
            raise ValueError(str(error).splitlines()[0]) from None
        finally:
            self._db.unregister("wanted")
        if not rows:
            return LineSearch(0, [])
        return LineSearch(
            int(rows[0][0]), [LineMatch(row[1], row[2], int(row[3]), row[4].rstrip("\r")) for row in rows]
        )


def fact_table(source: str, rows: Sequence[FactRow], stage: str) -> pa.Table:
    """Rows as an Arrow table; `seq` is each fact's place among its file's facts (document order)."""
    seen: Counter[str] = Counter()
    sequence: list[int] = []
    for row in rows:
        sequence.append(seen[row[3]])
        seen[row[3]] += 1
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(7)]
    return pa.table(
        {
            "source": [source] * len(rows),
            "path": pa.array(columns[3], type=pa.string()),
            "kind": pa.array(columns[0], type=pa.string()),
            "name": pa.array(columns[1], type=pa.string()),
            "qualname": pa.array(columns[2], type=pa.string()),
            "line": pa.array(columns[4], type=pa.int32()),
            "end_line": pa.array(columns[5], type=pa.int32()),
            "seq": pa.array(sequence, type=pa.int32()),
            "stage": [stage] * len(rows),
            "detail": pa.array(columns[6], type=pa.string()),
        }
    )
