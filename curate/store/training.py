"""Training runs in the store: each run's settings and state, and every report mlx-lm gave it.

Reports are written as they arrive, one small transaction each, so a run that is killed keeps
everything it reported up to then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import duckdb

TRAINING_TABLES = """
    CREATE TABLE train_runs (
        run_id VARCHAR NOT NULL, mix VARCHAR NOT NULL, lockfile_sha256 VARCHAR NOT NULL, model VARCHAR NOT NULL,
        folder VARCHAR NOT NULL, settings VARCHAR NOT NULL, status VARCHAR NOT NULL,
        started TIMESTAMP NOT NULL, finished TIMESTAMP, seconds DOUBLE, resumed_from VARCHAR
    );
    CREATE TABLE train_reports (
        run_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, iteration INTEGER NOT NULL, metrics VARCHAR NOT NULL
    );
    CREATE TABLE eval_results (
        eval_id VARCHAR NOT NULL, mix VARCHAR NOT NULL, config VARCHAR NOT NULL, model VARCHAR NOT NULL,
        adapters VARCHAR, scores VARCHAR NOT NULL, created TIMESTAMP NOT NULL
    );
"""


@dataclass(frozen=True)
class TrainRun:
    run_id: str
    mix: str
    lockfile_sha256: str
    model: str
    folder: str
    settings: dict[str, Any]
    status: str
    seconds: float | None
    resumed_from: str | None  # the checkpoint it was last resumed from


@dataclass(frozen=True)
class TrainReport:
    """One report mlx-lm gave a run: `kind` is "train" or "val", `metrics` its numbers by name."""

    kind: str
    iteration: int
    metrics: dict[str, Any]


@dataclass(frozen=True)
class EvalResult:
    """One configuration's scores in one evaluation (`config` is "base", a run id or a fused model)."""

    eval_id: str
    mix: str
    config: str
    scores: dict[str, Any]


class TrainingTables:
    """Mixed into `Store`, which provides the connection and the transaction."""

    _db: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def start_train_run(self, run: TrainRun) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO train_runs VALUES (?, ?, ?, ?, ?, ?, ?, now(), NULL, NULL, ?)",
                [
                    run.run_id,
                    run.mix,
                    run.lockfile_sha256,
                    run.model,
                    run.folder,
                    json.dumps(run.settings, sort_keys=True),
                    run.status,
                    run.resumed_from,
                ],
            )

    def finish_train_run(self, run_id: str, status: str, seconds: float) -> None:
        """Record how a run (or its resumed part) ended; `seconds` adds to the time it already took."""
        with self.transaction():
            self._db.execute(
                "UPDATE train_runs SET status = ?, finished = now(), seconds = coalesce(seconds, 0) + ? "
                "WHERE run_id = ?",
                [status, seconds, run_id],
            )

    def resume_train_run(self, run_id: str, checkpoint: str, iteration: int, settings: dict[str, Any]) -> None:
        """Mark a run running again from its checkpoint at `iteration`: the reports after it describe
        work that is redone, and go (the validation at `iteration` too, as the resumed part repeats it)."""
        with self.transaction():
            self._db.execute(
                "DELETE FROM train_reports WHERE run_id = ? AND (iteration > ? OR (kind = 'val' AND iteration = ?))",
                [run_id, iteration, iteration],
            )
            self._db.execute(
                "UPDATE train_runs SET status = 'running', finished = NULL, resumed_from = ?, settings = ? "
                "WHERE run_id = ?",
                [checkpoint, json.dumps(settings, sort_keys=True), run_id],
            )

    def delete_train_run(self, run_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM train_reports WHERE run_id = ?", [run_id])
            self._db.execute("DELETE FROM train_runs WHERE run_id = ?", [run_id])

    def add_train_report(self, run_id: str, kind: str, iteration: int, metrics: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO train_reports VALUES (?, ?, ?, ?)",
                [run_id, kind, iteration, json.dumps(metrics, sort_keys=True)],
            )

    def train_runs(self, run_ids: Sequence[str] | None = None) -> list[TrainRun]:
        query = (
            "SELECT run_id, mix, lockfile_sha256, model, folder, settings, status, seconds, resumed_from "
            "FROM train_runs"
        )
        params: list[Any] = []
        if run_ids is not None:
            query += " WHERE run_id IN (SELECT unnest(?))"
            params.append(list(run_ids))
        rows = self._db.execute(query + " ORDER BY started, run_id", params).fetchall()
        return [TrainRun(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def train_reports(self, run_id: str) -> list[TrainReport]:
        """A run's reports in the order it made them."""
        rows = self._db.execute(
            "SELECT kind, iteration, metrics FROM train_reports WHERE run_id = ? ORDER BY iteration, kind",
            [run_id],
        ).fetchall()
        return [TrainReport(row[0], int(row[1]), json.loads(row[2])) for row in rows]

    def add_eval_result(
        self, eval_id: str, mix: str, config: str, model: str, adapters: str | None, scores: dict[str, Any]
    ) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO eval_results VALUES (?, ?, ?, ?, ?, ?, now())",
                [eval_id, mix, config, model, adapters, json.dumps(scores, sort_keys=True)],
            )

    def eval_results(self, eval_id: str | None = None) -> list[EvalResult]:
        """Every evaluation's results (or one's), oldest first."""
        query, params = "SELECT eval_id, mix, config, scores FROM eval_results", []
        if eval_id is not None:
            query, params = query + " WHERE eval_id = ?", [eval_id]
        rows = self._db.execute(query + " ORDER BY created, eval_id, config", params).fetchall()
        return [EvalResult(row[0], row[1], row[2], json.loads(row[3])) for row in rows]
