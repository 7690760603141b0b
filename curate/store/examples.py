"""Examples in the store: the records, the checks each passed, the rejections and dedup clusters.

A tool list is the same for thousands of examples, so it is stored once (`toolsets`, keyed by its
hash) and joined back when an example is read. Records come back as plain JSON-shaped dicts: the
verifier validates them itself (stage 1 is "does this parse as an Example at all").
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from curate.jsontext import compact, dumps
from curate.store.arrow import pa

if TYPE_CHECKING:  # the example records load only when a command reads rejections
    from schemas import Rejection

EXAMPLE_TABLES = """
    CREATE TABLE toolsets (toolset VARCHAR NOT NULL, tools VARCHAR NOT NULL);
    CREATE TABLE examples (
        id VARCHAR NOT NULL, domain VARCHAR NOT NULL, kind VARCHAR NOT NULL, intent VARCHAR NOT NULL,
        template VARCHAR NOT NULL, pair_id VARCHAR, query VARCHAR NOT NULL, messages VARCHAR NOT NULL,
        toolset VARCHAR NOT NULL, provenance VARCHAR NOT NULL, catalog_version VARCHAR NOT NULL,
        status VARCHAR NOT NULL, checks VARCHAR NOT NULL, tokens INTEGER NOT NULL, run_id VARCHAR NOT NULL,
        added BIGINT NOT NULL,
        card VARCHAR, imported VARCHAR, first_location VARCHAR, sources VARCHAR[] NOT NULL,
        calls VARCHAR[] NOT NULL, totals BIGINT[] NOT NULL
    );
    CREATE TABLE example_rejections (
        example_id VARCHAR NOT NULL, domain VARCHAR NOT NULL, stage VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        record VARCHAR NOT NULL, run_id VARCHAR NOT NULL
    );
    CREATE TABLE dedup_clusters (
        domain VARCHAR NOT NULL, method VARCHAR NOT NULL, cluster VARCHAR NOT NULL, example_id VARCHAR NOT NULL,
        kept BOOLEAN NOT NULL
    );
"""

RECORD_KEYS = ("id", "domain", "kind", "intent", "template", "pair_id", "messages", "tools", "provenance")


@dataclass(frozen=True)
class StoredExample:
    record: dict[str, Any]
    """The example as JSON-shaped data: `schemas.Example.model_validate(record)` reads it."""
    status: str
    checks: dict[str, str]
    tokens: int
    added: int = 0
    """Arrival order in the store (0 before it is stored)."""
    called: tuple[str, ...] | None = None
    """The tools the conversation calls, in order (set for records read from the store)."""
    totals: tuple[int | None, ...] | None = None
    """Each tool result's `total`, None where a result is not one of ours (set for stored records)."""

    @functools.cached_property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def query(self) -> str:
        return _query(self.record)


@dataclass(frozen=True)
class LightExample:
    """A stored example without what is costly to read, for selecting, splitting and counting (not
    for writing): its record's `messages` hold only the user turns, its `tools` are empty, and its
    provenance keeps only the card, the import, the first location and the sources' names."""

    record: dict[str, Any]
    status: str
    tokens: int
    added: int
    """Arrival order in the store."""
    called: tuple[str, ...]
    """The tools the conversation calls, in order."""
    totals: tuple[int | None, ...]
    """Each tool result's `total`, None where a result is not one of ours."""

    @functools.cached_property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def query(self) -> str:
        return _query(self.record)


AnyExample = StoredExample | LightExample
"""Either shape, for code that reads only what both carry (selecting, splitting, auditing)."""


@dataclass(frozen=True)
class ExampleText:
    id: str
    messages: str
    tools: str
    domain: str
    kind: str
    intent: str
    template: str
    pair_id: str | None


@dataclass(frozen=True)
class Cluster:
    domain: str
    method: str
    cluster: str
    example_id: str
    kept: bool


class ExampleTables:
    """Mixed into `Store`, which provides the connection and the transaction."""

    _db: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _insert(self, table: str, rows: pa.Table) -> None:
        raise NotImplementedError

    def example_tables(self) -> dict[str, str]:
        return {
            "examples": "SELECT * EXCLUDE (run_id, added) FROM examples",
            "toolsets": "SELECT * FROM toolsets",
            "example_rejections": "SELECT * EXCLUDE (run_id) FROM example_rejections",
            "dedup_clusters": "SELECT * FROM dedup_clusters",
        }

    def save_examples(self, examples: Sequence[StoredExample], run_id: str) -> int:
        """Add examples not already stored (ids are content hashes); returns how many were new."""
        if not examples:
            return 0
        toolsets: dict[str, str] = {}
        rows: dict[str, list[Any]] = {name: [] for name in ("id", "toolset", "provenance", "messages", "checks")}
        for item in examples:
            tools = compact(item.record["tools"])
            toolset = hashlib.sha256(tools.encode()).hexdigest()[:16]
            toolsets[toolset] = tools
            rows["id"].append(item.id)
            rows["toolset"].append(toolset)
            rows["provenance"].append(dumps(item.record["provenance"]))
            rows["messages"].append(compact(item.record["messages"]))
            rows["checks"].append(dumps(item.checks))
        table = pa.table(
            {
                **rows,
                "domain": [item.record["domain"] for item in examples],
                "kind": [item.record["kind"] for item in examples],
                "shape": [item.record.get("shape", "single") for item in examples],
                "intent": [item.record["intent"] for item in examples],
                "template": [item.record["template"] for item in examples],
                "pair_id": pa.array([item.record.get("pair_id") for item in examples], type=pa.string()),
                "query": [_query(item.record) for item in examples],
                "catalog_version": [item.record["catalog_version"] for item in examples],
                "status": [item.status for item in examples],
                "tokens": pa.array([item.tokens for item in examples], type=pa.int32()),
                "run_id": [run_id] * len(examples),
                # what selecting, splitting and auditing read, kept beside the JSON so they need not parse it
                "card": pa.array([item.record["provenance"].get("card") for item in examples], pa.string()),
                "imported": pa.array([item.record["provenance"].get("imported") for item in examples], pa.string()),
                "first_location": pa.array(
                    [(item.record["provenance"].get("locations") or [None])[0] for item in examples], pa.string()
                ),
                "sources": pa.array(
                    [[source["name"] for source in item.record["provenance"].get("sources", [])] for item in examples],
                    pa.list_(pa.string()),
                ),
                "calls": pa.array([called_tools(item.record) for item in examples], pa.list_(pa.string())),
                "totals": pa.array([result_totals(item.record) for item in examples], pa.list_(pa.int64())),
            }
        )
        with self.transaction():
            known = {row[0] for row in self._db.execute("SELECT toolset FROM toolsets").fetchall()}
            fresh = {key: value for key, value in toolsets.items() if key not in known}
            self._insert("toolsets", pa.table({"toolset": list(fresh), "tools": list(fresh.values())}))
            self._db.register("incoming_examples", table)
            before = self._count("examples")
            # `added` orders examples by arrival (ties in one call by id): splits use it to keep a
            # near-duplicate cluster where its first member went
            self._db.execute(
                "INSERT INTO examples BY NAME SELECT *, (SELECT coalesce(max(added), 0) FROM examples) "
                "+ row_number() OVER (ORDER BY id) AS added FROM (SELECT DISTINCT ON (id) * FROM incoming_examples "
                "WHERE id NOT IN (SELECT id FROM examples) ORDER BY id)"
            )
            self._db.unregister("incoming_examples")
            return self._count("examples") - before

    def _count(self, table: str) -> int:
        row = self._db.execute(f"SELECT count(*) FROM {table}").fetchall()
        return int(row[0][0]) if row else 0

    def examples(
        self,
        *,
        domain: str | None = None,
        kind: str | None = None,
        ids: Sequence[str] | None = None,
        status: str | None = None,
    ) -> list[StoredExample]:
        """Stored examples, sorted by domain and id."""
        return [
            StoredExample(
                record=record,
                status=row[9],
                checks=json.loads(row[10]) if row[10] else {},
                tokens=int(row[11]),
                added=int(row[12]),
                called=tuple(row[13]),
                totals=tuple(row[14]),
            )
            for record, row in self._example_rows(domain, kind, ids, status, light=False)
        ]

    def light_examples(
        self,
        *,
        domain: str | None = None,
        kind: str | None = None,
        ids: Sequence[str] | None = None,
        status: str | None = None,
    ) -> list[LightExample]:
        """Stored examples without what is costly to read (see `LightExample`), sorted by domain and id."""
        return [
            LightExample(
                record=record,
                status=row[9],
                tokens=int(row[11]),
                added=int(row[12]),
                called=tuple(row[13]),
                totals=tuple(row[14]),
            )
            for record, row in self._example_rows(domain, kind, ids, status, light=True)
        ]

    def _example_rows(
        self,
        domain: str | None,
        kind: str | None,
        ids: Sequence[str] | None,
        status: str | None,
        *,
        light: bool,
    ) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
        """Each example's record (light or full) with its row, for `examples` and `light_examples`."""
        # a light record keeps each user turn: the query joins them with newlines, so only a query with
        # a newline needs its messages read to tell turns apart
        turns = (
            "CASE WHEN contains(e.query, chr(10)) THEN list_transform(list_filter(CAST(json_extract(e.messages, "
            "'$[*]') AS JSON[]), lambda m: m->>'role' = 'user'), lambda m: coalesce(m->>'content', '')) "
            "ELSE [e.query] END"
        )
        conversation = f"{turns}, NULL" if light else "e.messages, t.tools"
        provenance = "e.card, e.imported, e.first_location, e.sources" if light else "e.provenance"
        query = (
            f"SELECT e.id, e.domain, e.kind, e.intent, e.template, e.pair_id, {conversation}, "
            f"e.catalog_version, e.status, {'NULL' if light else 'e.checks'}, e.tokens, e.added, e.calls, e.totals, "
            f"{provenance}, e.shape "
            "FROM examples e JOIN toolsets t USING (toolset) WHERE true"
        )
        params: list[Any] = []
        for column, value in (("domain", domain), ("kind", kind), ("status", status)):
            if value is not None:
                query += f" AND e.{column} = ?"
                params.append(value)
        if ids is not None:
            query += " AND e.id IN (SELECT unnest(?))"
            params.append(list(ids))
        query += " ORDER BY e.domain, e.id"
        toolsets: dict[str, Any] = {}  # thousands of examples share a few tool lists: parse each once

        def tools(text: str | None) -> Any:
            if text is None:
                return []
            if text not in toolsets:
                toolsets[text] = json.loads(text)
            return toolsets[text]

        return [
            (
                {
                    "id": row[0],
                    "domain": row[1],
                    "kind": row[2],
                    "intent": row[3],
                    "template": row[4],
                    "pair_id": row[5],
                    "messages": [{"role": "user", "content": turn} for turn in row[6]] if light else json.loads(row[6]),
                    "tools": tools(row[7]),
                    "provenance": light_provenance(*row[15:19]) if light else json.loads(row[15]),
                    "catalog_version": row[8],
                    "shape": row[-1],
                },
                row,
            )
            for row in self._db.execute(query, params).fetchall()
        ]

    def example_texts(self, ids: Sequence[str]) -> dict[str, ExampleText]:
        """Each example's messages and tools as the stored JSON text, for writers that copy it."""
        rows = self._db.execute(
            "SELECT e.id, e.messages, t.tools, e.domain, e.kind, e.intent, e.template, e.pair_id "
            "FROM examples e JOIN toolsets t USING (toolset) WHERE e.id IN (SELECT unnest(?))",
            [list(ids)],
        ).fetchall()
        return {row[0]: ExampleText(*row) for row in rows}

    def status_counts(self, ids: Sequence[str]) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT status, count(*) FROM examples WHERE id IN (SELECT unnest(?)) GROUP BY status", [list(ids)]
        ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    def unscanned_for_secrets(self, ids: Sequence[str]) -> list[str]:
        """Of these examples, those whose checks do not say the secrets stage passed (stored by an
        older curate): they must be scanned before they go anywhere."""
        rows = self._db.execute(
            "SELECT id FROM examples WHERE id IN (SELECT unnest(?)) "
            "AND json_extract_string(checks, '$.secrets') IS DISTINCT FROM 'pass' ORDER BY id",
            [list(ids)],
        ).fetchall()
        return [row[0] for row in rows]

    def example_ids(self, domain: str | None = None) -> set[str]:
        query, params = "SELECT id FROM examples", []
        if domain is not None:
            query, params = query + " WHERE domain = ?", [domain]
        return {row[0] for row in self._db.execute(query, params).fetchall()}

    def update_checks(self, results: Sequence[tuple[str, str, dict[str, str]]]) -> None:
        """Record a re-verification: (example id, status, checks) for each example."""
        if not results:
            return
        table = pa.table(
            {
                "id": [item[0] for item in results],
                "status": [item[1] for item in results],
                "checks": [dumps(item[2]) for item in results],
            }
        )
        with self.transaction():
            self._db.register("updated_checks", table)
            self._db.execute(
                "UPDATE examples SET status = u.status, checks = u.checks "
                "FROM updated_checks u WHERE examples.id = u.id"
            )
            self._db.unregister("updated_checks")

    def record_example_rejections(
        self, rejections: Sequence[tuple[Rejection, dict[str, Any]]], run_id: str, *, replacing: Sequence[str] = ()
    ) -> None:
        """Add rejections (each with the rejected record, its secrets redacted in every spelling: a record
        rejected for holding one keeps its shape, not the secret); first drop earlier ones for
        `replacing` ids."""
        from sources.spellings import redact_strings  # its patterns compile only for a command that writes

        with self.transaction():
            if replacing:
                self._db.execute(
                    "DELETE FROM example_rejections WHERE example_id IN (SELECT unnest(?))", [list(replacing)]
                )
            self._insert(
                "example_rejections",
                pa.table(
                    {
                        "example_id": [item.example_id for item, _ in rejections],
                        "domain": [item.domain for item, _ in rejections],
                        "stage": [item.stage for item, _ in rejections],
                        "reason": [item.reason for item, _ in rejections],
                        "turn": pa.array([item.turn for item, _ in rejections], pa.int32()),
                        "record": [dumps(redact_strings(record)) for _, record in rejections],
                        "run_id": [run_id] * len(rejections),
                    }
                ),
            )

    def example_domains(self) -> list[str]:
        """Every domain with examples or rejected candidates (an imported domain has no mined source)."""
        query = "SELECT domain FROM examples UNION SELECT domain FROM example_rejections ORDER BY 1"
        return [row[0] for row in self._db.execute(query).fetchall()]

    def rejection_stages(self) -> list[str]:
        """Every stage that rejected something."""
        query = "SELECT DISTINCT stage FROM example_rejections ORDER BY 1"
        return [row[0] for row in self._db.execute(query).fetchall()]

    def example_rejections(self, *, domain: str | None = None, stage: str | None = None) -> list[Rejection]:
        from schemas import Rejection

        query, params = (
            ("SELECT DISTINCT example_id, domain, stage, reason, turn FROM example_rejections WHERE true"),
            [],
        )
        for column, value in (("domain", domain), ("stage", stage)):
            if value is not None:
                query += f" AND {column} = ?"
                params.append(value)
        query += " ORDER BY domain, stage, reason, example_id, turn"
        return [
            Rejection(example_id=row[0], domain=row[1], stage=row[2], reason=row[3], turn=row[4])
            for row in self._db.execute(query, params).fetchall()
        ]

    def save_clusters(self, domain: str, clusters: Sequence[Cluster]) -> None:
        """Replace a domain's dedup clusters."""
        with self.transaction():
            self._db.execute("DELETE FROM dedup_clusters WHERE domain = ?", [domain])
            self._insert(
                "dedup_clusters",
                pa.table(
                    {
                        "domain": [item.domain for item in clusters],
                        "method": [item.method for item in clusters],
                        "cluster": [item.cluster for item in clusters],
                        "example_id": [item.example_id for item in clusters],
                        "kept": pa.array([item.kept for item in clusters], type=pa.bool_()),
                    }
                ),
            )

    def clusters(self, domain: str | None = None) -> list[Cluster]:
        query, params = "SELECT domain, method, cluster, example_id, kept FROM dedup_clusters", []
        if domain is not None:
            query, params = query + " WHERE domain = ?", [domain]
        query += " ORDER BY domain, method, cluster, example_id"
        return [Cluster(*row) for row in self._db.execute(query, params).fetchall()]


def light_provenance(card: str | None, imported: str | None, first: str | None, names: list[str]) -> dict[str, Any]:
    """The parts of a provenance light records keep, shaped as in the full record."""
    provenance: dict[str, Any] = {"sources": [{"name": name} for name in names] if names else []}
    if card is not None:
        provenance["card"] = card
    if imported is not None:
        provenance["imported"] = imported
    if first is not None:
        provenance["locations"] = [first]
    return provenance


RESULT_HEAD = re.compile(r'\{"tool":"[^"]*","total":(\d+),')


def called_tools(record: dict[str, Any]) -> list[str]:
    return [call["function"]["name"] for m in record["messages"] for call in m.get("tool_calls") or []]


def result_totals(record: dict[str, Any]) -> list[int | None]:
    """Each tool turn's `total`, where its content is one of our tool results (None elsewhere)."""
    totals: list[int | None] = []
    for message in record["messages"]:
        if message.get("role") == "tool":
            head = RESULT_HEAD.match(str(message.get("content") or ""))
            totals.append(int(head.group(1)) if head else None)
    return totals


def _query(record: dict[str, Any]) -> str:
    """The user's words: every user turn, one per line (one turn for most conversations), so that a
    follow-up or a clarified request is part of what makes two conversations the same."""
    return "\n".join(str(m.get("content") or "") for m in record["messages"] if m.get("role") == "user")
