"""Loss curves as PNG files: one run's train and validation loss, or every run's validation loss.

matplotlib with its Agg backend (no display needed), imported when a chart is drawn. The PNGs carry
no date, so the same reports give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Curve = Sequence[tuple[int, float]]


def _figure(title: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    axes.set_title(title)
    axes.set_xlabel("iteration")
    axes.set_ylabel("loss")
    axes.grid(True, alpha=0.3)
    return figure, axes


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.partial")
    figure.tight_layout()
    figure.savefig(staged, format="png", metadata={"Software": None})
    plt.close(figure)
    staged.replace(path)
    return path


def _finite(curve: Curve) -> tuple[list[int], list[float]]:
    points = [(iteration, loss) for iteration, loss in curve if math.isfinite(loss)]
    return [iteration for iteration, _ in points], [loss for _, loss in points]


def run_curve(path: Path, title: str, train: Curve, val: Curve) -> Path:
    """One run: train loss and validation loss against the iteration."""
    figure, axes = _figure(title)
    if train:
        axes.plot(*_finite(train), label="train loss", color="tab:blue", linewidth=1.2)
    if val:
        axes.plot(*_finite(val), label="val loss", color="tab:orange", marker="o", linewidth=1.5)
    axes.legend()
    return _save(figure, path)


def val_curves(path: Path, title: str, curves: Mapping[str, Curve]) -> Path:
    """Several runs' validation loss on one chart, a line each."""
    figure, axes = _figure(title)
    for label, curve in curves.items():
        axes.plot(*_finite(curve), label=label, marker="o", markersize=3, linewidth=1.2)
    if curves:
        axes.legend(fontsize="small")
    return _save(figure, path)
