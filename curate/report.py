"""`curate report mixes`: built mixes side by side, the table the training issue extends with
losses and accuracies."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

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


def mix_rows(store: Store, folder: Path) -> list[MixRow]:
    rows = []
    for name in recipe_names(folder):
        if not lock_path(folder, name).exists():
            continue
        lockfile = read_lockfile(folder, name)
        tokens = [item.tokens for item in store.examples(ids=lockfile.ids(), light=True)]
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
    table = [header, *lines]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    rendered = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |" for line in table]
    rendered.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(rendered) + "\n"
