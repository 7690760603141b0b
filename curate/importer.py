"""`curate import SOURCE --domain D`: bring an existing dataset (hand-made examples, another tool's
output, a Hugging Face dataset) into the store, validated by the stages that apply (schema, arguments,
grounding against its own tool results, length) and marked `unverified`: there is no mined snapshot to
replay its calls on.

Where rows come from (a file of JSON Lines, a JSON array or Parquet, a folder, a dataset id) is
`curate.import_sources`; the row formats and `auto` detection, which says per file what it chose, are
`curate.import_formats`.

A bad row (not JSON, not the format, failing a stage) is reported with its line (or row) number and
recorded; the good rows import all the same. Besides, per file:

- a row that ends at its tool calls, with no results and no answer, is folded into the row in the same
  file whose conversation it starts, and counted (`folded`): mlx-lm rows written one per assistant turn,
  as `curate export --turns each` writes them, come back as whole conversations (a start that ends with
  an answer is a conversation of its own, and imports as one);
- any other row that ends at its tool calls (xLAM / APIGen rows are all such) is rejected and recorded
  as such: an example is a conversation that ends with an answer, and curate cannot run another
  dataset's tools to get the results;
- a message's `reasoning_content` (or `reasoning`) is dropped, and the rows that had one are counted:
  a `Message` has no place for a model's thinking, and the chat templates curate trains with render none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from curate.errors import InputError
from curate.import_formats import READERS, REASONING_KEYS, RowError, detect
from curate.import_sources import Fault, RowFile, file_of, row_files
from curate.store import Store, StoredExample
from curate.synth import example_id
from curate.verify import DEFAULT_MAX_TOKENS, TokenCounter, Verifier, estimate_tokens
from schemas import Message, Rejection, shape_of

__all__ = ["READERS", "ImportReport", "failure", "import_file", "import_source", "report_lines"]

GENERATOR = "curate.import"
DETECT_ROWS = 200
"""How many rows of a file `auto` looks at (every row counts, not the first alone)."""
ENDS_AT_CALLS = (
    "the row ends at its tool calls, with no results and no answer: an example is a conversation that "
    "ends with an answer, and curate cannot run another dataset's tools to get the results"
)


@dataclass
class ImportReport:
    name: str = ""
    """The file (or `dataset[split]`) read."""
    format: str = ""
    """The format its rows were read as."""
    note: str = ""
    """What `auto` chose, and why; empty when the format was given."""
    unit: str = "line"
    rows: int = 0
    imported: int = 0
    already: int = 0
    folded: int = 0
    """Rows that ended at their calls and started another row's conversation in the file, kept as that one."""
    reasoning_dropped: int = 0
    """Rows whose messages carried `reasoning_content`, which was dropped."""
    failed: str | None = None
    """Why the file could not be read at all, or None."""
    skipped: str | None = None
    """Why the file was not read (a folder's file that is not rows), or None."""
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(line, why) for every row that did not import."""

    def stats(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "format": self.format,
            "rows": self.rows,
            "imported": self.imported,
            "already": self.already,
            "folded": self.folded,
            "reasoning_dropped": self.reasoning_dropped,
            "bad": len(self.bad),
            "failed": self.failed,
            "skipped": self.skipped,
        }


@dataclass
class _Row:
    number: int
    row: dict[str, Any]
    messages: list[Any]
    tools: list[dict[str, Any]]


def import_file(
    store: Store,
    path: Path,
    domain: str,
    *,
    format: str = "mlx",
    run_id: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> ImportReport:
    """Import one file (JSON Lines, a JSON array or Parquet)."""
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    verifier = Verifier(store, domain, max_tokens=max_tokens, count_tokens=count_tokens)
    report = _import_rows(store, verifier, file_of(path), domain, format, run_id)
    store.record_run(run_id, "import", report.stats())
    return report


def import_source(
    store: Store,
    source: str,
    domain: str,
    *,
    format: str = "auto",
    run_id: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: TokenCounter = estimate_tokens,
) -> list[ImportReport]:
    """Import every file of `source` (a file, a folder, a Hugging Face dataset id), one report each."""
    if format not in ("auto", *READERS):
        raise InputError(f"unknown format {format!r} (known: auto, {', '.join(READERS)})")
    files = row_files(source)
    verifier = Verifier(store, domain, max_tokens=max_tokens, count_tokens=count_tokens)
    reports = [_import_rows(store, verifier, each, domain, format, run_id) for each in files]
    store.record_run(run_id, "import", {"source": source, "files": [report.stats() for report in reports]})
    return reports


def _import_rows(
    store: Store, verifier: Verifier, source: RowFile, domain: str, format: str, run_id: str
) -> ImportReport:
    report = ImportReport(name=source.name, format=format, unit=source.unit)
    if source.skipped:
        report.skipped = source.skipped
        return report
    try:
        raw = list(source.read())
    except InputError as error:
        report.failed = error.message
        return report
    report.rows = len(raw)
    if format == "auto":
        chosen, report.note = detect(row for _, row in raw[:DETECT_ROWS] if not isinstance(row, Fault))
        if chosen is None:
            report.failed = report.note
            return report
        report.format = chosen
    read = [found for number, row in raw if (found := _read(report, number, row)) is not None]
    whole = _fold(report, read)
    good: list[StoredExample] = []
    rejected: list[tuple[Rejection, dict[str, Any]]] = []
    for item in whole:
        record = _record(item, domain, report.format, source.label)
        if _ends_at_calls(item.messages):
            rejection = Rejection(
                example_id=record["id"],
                domain=domain,
                stage="schema",
                reason=ENDS_AT_CALLS,
                turn=len(item.messages) - 1,
            )
            rejected.append((rejection, record))
            report.bad.append((item.number, f"schema: {ENDS_AT_CALLS}"))
            continue
        try:
            verdict = verifier.verify(record)
        except RecursionError:
            report.bad.append((item.number, "nested too deeply to verify"))
            continue
        if verdict.rejection is not None:
            rejected.append((verdict.rejection, record))
            report.bad.append((item.number, f"{verdict.rejection.stage}: {verdict.rejection.reason}"))
            continue
        good.append(StoredExample(record, verdict.status, verdict.checks, verdict.tokens))
    report.bad.sort(key=lambda pair: pair[0])
    report.imported = store.save_examples(good, run_id)
    report.already = len(good) - report.imported
    store.record_example_rejections(rejected, run_id)
    return report


def _read(report: ImportReport, number: int, row: Any) -> _Row | None:
    """The row in the report's format, or None (and the reason in `report.bad`)."""
    if isinstance(row, Fault):
        report.bad.append((number, row.reason))
        return None
    try:
        if not isinstance(row, dict):
            raise RowError("not a JSON object")
        messages, tools = READERS[report.format](row)
        messages = _without_reasoning(report, messages)
        json.dumps([messages, tools], ensure_ascii=False).encode("utf-8")
    except RecursionError:
        report.bad.append((number, "nested too deeply to read"))
        return None
    except UnicodeEncodeError:
        report.bad.append((number, "holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text"))
        return None
    except (RowError, AttributeError, TypeError, KeyError) as error:
        report.bad.append((number, f"not {report.format}: {error}"))
        return None
    except ValueError as error:  # e.g. an integer past Python's 4,300-digit limit
        report.bad.append((number, f"not JSON: {error}"))
        return None
    return _Row(number, row, messages, tools)


def _without_reasoning(report: ImportReport, messages: list[Any]) -> list[Any]:
    if not any(isinstance(m, dict) and any(key in m for key in REASONING_KEYS) for m in messages):
        return messages
    report.reasoning_dropped += 1
    return [
        {key: value for key, value in m.items() if key not in REASONING_KEYS} if isinstance(m, dict) else m
        for m in messages
    ]


def _fold(report: ImportReport, read: list[_Row]) -> list[_Row]:
    """The rows but those that end at their calls and are the start of another row's conversation (with
    the same tools) in the file. A start that ends with an answer is a conversation of its own: kept."""
    keys = [_key(item) for item in read]
    starts = {(tools, turns[:end]) for tools, turns in keys for end in range(1, len(turns))}
    whole = [
        item for item, key in zip(read, keys, strict=True) if not (_ends_at_calls(item.messages) and key in starts)
    ]
    report.folded = len(read) - len(whole)
    return whole


def _key(item: _Row) -> tuple[str, tuple[str, ...]]:
    return json.dumps(item.tools, sort_keys=True), tuple(json.dumps(m, sort_keys=True) for m in item.messages)


def _ends_at_calls(messages: list[Any]) -> bool:
    last = messages[-1] if messages else None
    return isinstance(last, dict) and last.get("role") == "assistant" and bool(last.get("tool_calls"))


def _record(item: _Row, domain: str, format: str, label: str) -> dict[str, Any]:
    messages, tools, row = item.messages, item.tools, item.row
    return {
        "id": example_id(domain, messages, tools),
        "domain": domain,
        "kind": "tool_call" if any(isinstance(m, dict) and m.get("tool_calls") for m in messages) else "direct",
        "intent": str(row.get("intent") or row.get("category") or "imported"),
        "template": f"imported:{format}",
        "messages": messages,
        "tools": tools,
        "provenance": {
            "generator": GENERATOR,
            "generator_version": "1",
            "seed": 0,
            "imported": label,
            "locations": [f"{label}:{item.number}"],
        },
        "catalog_version": "imported",
        "shape": read_shape(messages),
    }


def report_lines(reports: list[ImportReport], domain: str) -> list[str]:
    """What the CLI prints: per file, the format `auto` chose, the counts, then each bad row by line."""
    lines = []
    for report in reports:
        name = report.name
        if report.note:
            lines.append(f"{name}: {report.note}")
        if report.failed or report.skipped:
            lines.append(
                f"{name}: not read: {report.failed}" if report.failed else f"{name}: skipped: {report.skipped}"
            )
            continue
        lines.append(
            f"{name}: {report.rows - len(report.bad)} of {report.rows} rows good, {report.imported} imported into "
            f"{domain} ({report.already} already in the store), marked unverified (no snapshot to replay them on)"
        )
        if report.folded:
            lines.append(
                f"{name}: {report.folded} rows ending at their calls were the start of another row (kept in it)"
            )
        if report.reasoning_dropped:
            lines.append(f"{name}: {report.reasoning_dropped} rows' reasoning_content dropped (an example holds none)")
        lines += [
            f"{name}:{number}: {why}" if report.unit == "line" else f"{name}: row {number}: {why}"
            for number, why in report.bad
        ]
    return lines


def failure(reports: list[ImportReport]) -> str | None:
    """The one line a failed import ends with (exit 1), or None when every row of every file imported."""
    bad = sum(len(report.bad) for report in reports)
    failed = sum(1 for report in reports if report.failed)
    if not bad and not failed:
        return None
    unread = f"; {failed} of {len(reports)} files not read" if failed else ""
    return f"{bad} of {sum(report.rows for report in reports)} rows were not imported (listed above){unread}"


def read_shape(messages: list[Any]) -> str:
    """The conversation's shape, read from its turns; "single" where the turns are not messages (the
    schema stage then says what is wrong with them)."""
    try:
        return shape_of([Message.model_validate(message) for message in messages])
    except (ValidationError, TypeError):
        return "single"
