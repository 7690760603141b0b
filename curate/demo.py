"""`curate demo`: the whole pipeline on embedded defaults, on any machine, in a few minutes.

Mine real code (the sample project, the stdlib's asyncio, the installed Typer package, the sample
web site), synthesize and verify examples, audit phase 7, build and export the phase mixes, train
the embedded tiny model on phase 6 and on phase 7 with mlx-lm, run the call/no-call test on phase
7's test split for the base model and both runs, and print the phase comparison table.

Both runs start from one tiny model whose tokenizer was trained on phase 7's export (a superset of
phase 6's), so `base` is the same model for both and the comparison is fair.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from curate.audit import audit_mix
from curate.evaluation import evaluate, render_scores
from curate.quickstart import curate_and_export, mine_samples, synthesize_samples
from curate.report import phase_chart, phase_rows, render_phases
from curate.store import Store
from curate.training import Progress, run_training
from train.lora import LoraSettings
from train.model import TinyModel, build_tiny_model

PHASES = ("phase6", "phase7")


def demo_settings(iters: int) -> LoraSettings:
    """Brief CPU training of the tiny model: a high learning rate, every layer, whole rows."""
    return LoraSettings(
        iters=iters,
        batch_size=2,
        learning_rate=1e-3,
        num_layers=16,
        max_seq_length=4096,
        save_every=max(1, iters // 2),
        steps_per_eval=max(1, iters // 3),
        steps_per_report=max(1, iters // 6),
        val_batches=4,
    )


def run_demo(
    store: Store,
    mixes: Path,
    exports: Path,
    runs: Path,
    *,
    iters: int,
    say: Callable[[str], None],
    on_report: Progress | None = None,
    max_tokens: int = 48,
) -> None:
    for line in mine_samples(store):
        say(line)
    for line in synthesize_samples(store):
        say(line)
    for line in curate_and_export(store, mixes, exports):
        say(line)
    report = audit_mix(store, mixes, "phase7")
    kinds = {share.value: share.share for share in report.breakdowns["kind"]}
    say(
        f"audit phase7: {report.examples} examples, {len(report.breakdowns['domain'])} domains, "
        f"tool calls {kinds.get('tool_call', 0):.1%}, {report.pairs} matched pairs, {report.broken_pairs} broken"
    )
    model = runs / "demo-model"
    rows = [
        json.loads(line)
        for split in ("train", "valid")
        for line in (exports / "phase7" / f"{split}.jsonl").open(encoding="utf-8")
    ]
    build_tiny_model(rows, model, TinyModel())
    say(f"built the tiny model ({TinyModel().num_hidden_layers} layers, hidden {TinyModel().hidden_size}) in {model}")
    trained = []
    for phase in PHASES:
        say(f"training {phase}: {iters} iterations with mlx-lm LoRA on the CPU")
        run = run_training(
            store,
            mixes,
            phase,
            model=str(model),
            settings=demo_settings(iters),
            runs=runs,
            run_id=f"demo-{phase}-{len(store.train_runs()) + 1}",
            on_report=on_report,
        )
        trained.append(run.run_id)
        say(f"run {run.run_id} {run.status} in {run.seconds or 0:.0f}s; loss curve {run.folder}/loss.png")
    say(f"call/no-call test on phase7's test split: base, {', '.join(trained)}")
    results = evaluate(
        store,
        mixes,
        "phase7",
        ["base", *trained],
        eval_id=f"demo-eval-{len(store.eval_results()) + 1}",
        model=str(model),
        max_tokens=max_tokens,
    )
    say(render_scores(results).rstrip())
    phases = phase_rows(store, trained)
    chart = phase_chart(store, phases, runs / "phases.png")
    say("")
    say(render_phases(phases).rstrip())
    say(f"validation loss by phase: {chart}")
    say("")
    say("Next: curate fuse RUN --quantize 8; curate report phases; the README shows the real thing on a Mac")
