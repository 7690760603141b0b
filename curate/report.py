"""`curate report mixes` (built mixes side by side) and `curate report phases` (training runs side
by side: the reference's phase comparison, from the store)."""

from __future__ import annotations

import itertools
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.charts import val_curves
from curate.errors import InputError
from curate.mix import lock_path, read_lockfile, recipe_names
from curate.store import Store


@dataclass(frozen=True)
class MixRow:
    name: str
    examples: int
    domains: int
    tool_call_share: float
    train: int
    valid: int
    test: int
    mean_tokens: float


def mix_rows(store: Store, folder: Path, unreadable: list[str] | None = None) -> list[MixRow]:
    """A row for each built mix; a lockfile that cannot be read is left out, with why appended to
    `unreadable` (one bad lockfile must not hide the others)."""
    rows = []
    for name in recipe_names(folder):
        if not lock_path(folder, name).exists():
            continue
        try:
            lockfile = read_lockfile(folder, name)
        except InputError as error:
            if unreadable is not None:
                unreadable.append(f"mix {name}: {error}")
            continue
        tokens = [item.tokens for item in store.light_examples(ids=lockfile.ids())]
        counts = lockfile.counts
        rows.append(
            MixRow(
                name=name,
                examples=counts.total,
                domains=len(counts.domains),
                tool_call_share=counts.kinds.get("tool_call", 0) / counts.total if counts.total else 0.0,
                train=counts.splits.get("train", 0),
                valid=counts.splits.get("valid", 0),
                test=counts.splits.get("test", 0),
                mean_tokens=round(statistics.fmean(tokens), 1) if tokens else 0.0,
            )
        )
    return rows


def render_mixes(rows: list[MixRow]) -> str:
    header = ("metric", *(row.name for row in rows))
    lines = [
        ("examples", *(f"{row.examples:,}" for row in rows)),
        ("domains", *(str(row.domains) for row in rows)),
        ("tool calls / direct", *(f"{row.tool_call_share:.1%} / {1 - row.tool_call_share:.1%}" for row in rows)),
        ("train / valid / test", *(f"{row.train} / {row.valid} / {row.test}" for row in rows)),
        ("mean tokens", *(f"{row.mean_tokens:,.0f}" for row in rows)),
    ]
    return markdown_table([header, *lines])


def markdown_table(table: list[tuple[str, ...]]) -> str:
    """The first row is the header."""
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    rendered = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |" for line in table]
    rendered.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(rendered) + "\n"


@dataclass(frozen=True)
class PhaseRow:
    """One training run as a column of the phase table; None where the run has no such figure."""

    run_id: str
    mix: str
    model: str
    status: str
    examples: int | None
    domains: int | None
    iterations: int | None
    initial_val_loss: float | None
    final_val_loss: float | None
    best_val_loss: float | None
    final_train_loss: float | None
    peak_memory_gb: float | None
    iterations_per_second: float | None
    minutes: float | None
    accuracy: float | None
    call_f1: float | None
    latency_p50: float | None
    by_language: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Call/no-call accuracy and prompt count on each language's test prompts (python, html, mixed)."""


REGRESSION_MARGIN = 0.05
"""A phase's accuracy on a language may fall this much below the phase before it (5 points) before
the phase table flags it: the reference's "no Python performance loss"."""


def regressions(before: PhaseRow, after: PhaseRow, margin: float = REGRESSION_MARGIN) -> list[str]:
    """The languages both runs were tested on where `after` scores more than `margin` below `before`."""
    found = []
    for language in sorted(set(before.by_language) & set(after.by_language)):
        was, now = before.by_language[language][0], after.by_language[language][0]
        if was - now > margin:
            found.append(f"{language} {now - was:+.1%}")
    return found


def phase_rows(store: Store, run_ids: list[str] | None = None) -> list[PhaseRow]:
    """The given runs, or else the latest run of each mix (by mix name), with their latest scores."""
    runs = store.train_runs(run_ids)
    if run_ids is None:
        latest = {run.mix: run for run in runs}
        runs = [latest[mix] for mix in sorted(latest)]
    else:
        known = {run.run_id: run for run in runs}
        runs = [known[run_id] for run_id in run_ids if run_id in known]
    scores = {result.config: result.scores for result in store.eval_results()}
    rows = []
    for run in runs:
        reports = store.train_reports(run.run_id)
        val = [r.metrics["val_loss"] for r in reports if r.kind == "val" and math.isfinite(r.metrics["val_loss"])]
        train = [report.metrics for report in reports if report.kind == "train"]
        manifest_path = Path(run.folder) / "data" / "manifest.json"
        manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
        score = scores.get(run.run_id, {})
        rows.append(
            PhaseRow(
                run_id=run.run_id,
                mix=run.mix,
                model=run.model,
                status=run.status,
                examples=sum(manifest["examples"].values()) if "examples" in manifest else None,
                domains=len(manifest["domains"]) if "domains" in manifest else None,
                iterations=max((report.iteration for report in reports), default=None),
                initial_val_loss=val[0] if val else None,
                final_val_loss=val[-1] if val else None,
                best_val_loss=min(val) if val else None,
                final_train_loss=train[-1]["train_loss"] if train else None,
                peak_memory_gb=max(info["peak_memory"] for info in train) if train else None,
                iterations_per_second=statistics.fmean(info["iterations_per_second"] for info in train)
                if train
                else None,
                minutes=run.seconds / 60 if run.seconds is not None else None,
                accuracy=score.get("accuracy"),
                call_f1=score.get("call_f1"),
                latency_p50=score.get("latency_p50"),
                by_language={
                    language: (float(found["accuracy"]), int(found["cases"]))
                    for language, found in score.get("groups", {}).get("language", {}).items()
                },
            )
        )
    return rows


def render_phases(rows: list[PhaseRow]) -> str:
    names = [row.mix for row in rows]
    header = ("metric", *(f"{row.mix} ({row.run_id})" if names.count(row.mix) > 1 else row.mix for row in rows))

    def line(label: str, value: Callable[[PhaseRow], Any], shown: str) -> tuple[str, ...]:
        return (label, *("-" if value(row) is None else shown.format(value(row)) for row in rows))

    lines = [
        ("run", *(row.run_id for row in rows)),
        ("model", *(row.model for row in rows)),
        line("examples", lambda row: row.examples, "{:,}"),
        line("domains", lambda row: row.domains, "{}"),
        line("iterations", lambda row: row.iterations, "{}"),
        line("initial val loss", lambda row: row.initial_val_loss, "{:.3f}"),
        line("final val loss", lambda row: row.final_val_loss, "{:.3f}"),
        line("best val loss", lambda row: row.best_val_loss, "{:.3f}"),
        line("final train loss", lambda row: row.final_train_loss, "{:.3f}"),
        line("peak memory", lambda row: row.peak_memory_gb, "{:.3f} GB"),
        line("speed", lambda row: row.iterations_per_second, "{:.2f} it/s"),
        line("time", lambda row: row.minutes, "{:.1f} min"),
        line("call / no-call accuracy", lambda row: row.accuracy, "{:.1%}"),
        line("call F1", lambda row: row.call_f1, "{:.3f}"),
        line("latency p50", lambda row: row.latency_p50, "{:.2f} s"),
    ]
    for language in sorted({language for row in rows for language in row.by_language}):
        lines.append(
            (
                f"accuracy on {language}",
                *(
                    f"{row.by_language[language][0]:.1%} ({row.by_language[language][1]})"
                    if language in row.by_language
                    else "-"
                    for row in rows
                ),
            )
        )
    if any(row.by_language for row in rows):
        flagged = ["-"] + [
            ", ".join(regressions(before, after)) or "none" for before, after in itertools.pairwise(rows)
        ]
        lines.append((f"regression vs the phase before (> {REGRESSION_MARGIN:.0%} drop)", *flagged))
    return markdown_table([header, *lines])


def phase_chart(store: Store, rows: list[PhaseRow], path: Path) -> Path:
    """Every run's validation loss on one chart."""
    curves = {
        row.mix if [other.mix for other in rows].count(row.mix) == 1 else f"{row.mix} ({row.run_id})": [
            (report.iteration, float(report.metrics["val_loss"]))
            for report in store.train_reports(row.run_id)
            if report.kind == "val"
        ]
        for row in rows
    }
    return val_curves(path, "validation loss by phase", curves)
