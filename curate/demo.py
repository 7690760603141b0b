"""`curate demo`: the whole pipeline on embedded defaults, on any machine, in a few minutes.

Mine real code (the sample project, the stdlib's asyncio, the installed Typer package, the sample
web site), synthesize and verify examples, audit phase 7, build and export the phase mixes, train
LoRA adapters with mlx-lm on phase 6 and on phase 7, run the call/no-call test on phase 7's test
split for the base model and both runs, and print the phase comparison table.

Both runs start from the shipped demo base (`data/models/demo-base`, made by `curate.demo_base`): a
tiny model trained once on other codebases' examples, none asking a user turn the phases validate
or test on, so it plays the instruct model the reference fine-tunes. The runs train on each example
up to its first assistant turn, an answer in words cut to its first sentence (`--turns opening`: the
decision the test scores carries the loss), which a CPU can afford in minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from curate.audit import audit_mix
from curate.demo_base import DEMO_BASE, turn_key
from curate.errors import InputError
from curate.evaluation import evaluate, render_scores
from curate.quickstart import curate_and_export, mine_samples, synthesize_samples
from curate.report import phase_chart, phase_rows, render_phases
from curate.split import user_turns
from curate.store import Store
from curate.training import Progress, run_training
from train.lora import LoraSettings

PHASES = ("phase6", "phase7")


def demo_settings(iters: int) -> LoraSettings:
    """Brief CPU training from the demo base, LoRA on every layer. At 1e-3 (and even 1e-4) the updates,
    times mlx-lm's LoRA scale of 20, undo more of the base's decisions than they teach (BENCHMARKS.md)."""
    return LoraSettings(
        iters=iters,
        batch_size=4,
        learning_rate=5e-5,
        num_layers=16,
        max_seq_length=2048,
        save_every=max(1, iters // 2),
        steps_per_eval=max(1, iters // 2),
        steps_per_report=max(1, iters // 6),
        val_batches=2,
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
    max_tokens: int | None = None,
) -> None:
    if not (DEMO_BASE / "config.json").is_file():
        raise InputError(f"the demo base model is missing from {DEMO_BASE}", hint="run `python -m curate.demo_base`")
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
    base = json.loads((DEMO_BASE / "base.json").read_text("utf-8"))
    tested = {
        turn_key(turn)
        for line in (exports / "phase7" / "test.jsonl").open(encoding="utf-8")
        for turn in user_turns(json.loads(line))
    }
    say(
        f"base model {DEMO_BASE.name}: {base['parameters']:,} parameters trained on {sum(base['rows'].values())} "
        f"examples of {len(base['domains'])} other codebases; {len(tested & set(base['learned_turns']))} of phase7's "
        f"{len(tested)} test user turns among them"
    )
    model = DEMO_BASE
    trained = []
    for phase in PHASES:
        say(f"training {phase}: {iters} iterations with mlx-lm LoRA on the CPU, from the demo base")
        run = run_training(
            store,
            mixes,
            phase,
            model=str(model),
            settings=demo_settings(iters),
            runs=runs,
            run_id=f"demo-{phase}-{len(store.train_runs()) + 1}",
            on_report=on_report,
            turns="opening",
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
