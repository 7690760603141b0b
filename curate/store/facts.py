"""Facts in the store: the facts mining extracted and linking derived, what linking rejected, and
line search over the mined texts: what the tool executor reads.

Fact ids are content-derived (`curate.fact_columns`), so re-mining unchanged code gives the same
ids. Search runs on DuckDB's RE2 (linear time), so no pattern can hang the executor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import duckdb

from curate.columns import int32s, repeated, strings
from curate.fact_columns import fact_columns
from curate.store.arrow import arrow_table, pa
from schemas import Fact
from sources.extraction import dump_detail, to_rows


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
            self._insert("facts", arrow_table(fact_columns(source, to_rows(added), "link")))
            if changed:
                updates = arrow_table(
                    {
                        "path": strings([fact.path for fact in changed]),
                        "kind": strings([fact.kind for fact in changed]),
                        "qualname": strings([fact.qualname for fact in changed]),
                        "name": strings([fact.name for fact in changed]),
                        "line": int32s([fact.line for fact in changed]),
                        "detail": strings([dump_detail(fact.detail) for fact in changed]),
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
            self._insert(
                "rejections",
                arrow_table(
                    {
                        "source": repeated(source, len(rejected)),
                        "path": strings([fact.path for fact, _ in rejected]),
                        "line": int32s([fact.line for fact, _ in rejected]),
                        "stage": repeated("link", len(rejected)),
                        "reason": strings([reason for _, reason in rejected]),
                        "detail": strings([dump_detail(fact.model_dump(mode="json")) for fact, _ in rejected]),
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
