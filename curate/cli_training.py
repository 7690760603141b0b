"""The training half of the command line: `train`, `fuse`, `eval`, `runs`, `report phases`, `demo`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from curate.cli_support import (
    DEFAULT_EXPORTS,
    check_mix,
    check_runs,
    emit_json,
    json_option,
    mixes_dir,
    open_store,
    progress_bar,
    run_id,
)
from curate.errors import InputError
from train.lora import LoraSettings

if TYPE_CHECKING:
    from curate.cli_support import Bar

DEFAULT_RUNS = "data/runs"
runs_option = click.option(
    "--runs",
    "runs_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_RUNS,
    show_default=True,
    help="Where run folders go.",
)
POSITIVE = click.IntRange(min=1)


@dataclass(frozen=True)
class SettingFlag:
    """What a LoRA setting's flag adds to its LoraSettings field: a range check and a help line."""

    type: click.ParamType[Any] | None = None
    help: str | None = None


# The LoraSettings fields `curate train` sets with a flag named after the field; the flag's type and
# default are the field's, so `--help` shows the real defaults. The other fields are set with
# --config only. A flag given on the command line wins over --config, which wins over the defaults
# (a flag left out never overrides the file).
SETTING_FLAGS = {
    "iters": SettingFlag(POSITIVE, "Training iterations."),
    "batch_size": SettingFlag(POSITIVE, "Examples a batch."),
    "learning_rate": SettingFlag(help="Adam's learning rate."),
    "rank": SettingFlag(POSITIVE, "LoRA rank."),
    "scale": SettingFlag(help="LoRA scale."),
    "dropout": SettingFlag(click.FloatRange(0, 1), "LoRA dropout."),
    "num_layers": SettingFlag(POSITIVE, "Layers to adapt."),
    "max_seq_length": SettingFlag(POSITIVE, "Longer rows are cut to this many tokens."),
    "mask_prompt": SettingFlag(help="Train only the last turn."),
    "grad_checkpoint": SettingFlag(help="Trade compute for memory."),
    "save_every": SettingFlag(POSITIVE, "Save a checkpoint every this many iterations."),
    "steps_per_eval": SettingFlag(POSITIVE, "Validate every this many iterations."),
    "steps_per_report": SettingFlag(POSITIVE, "Report the training loss every this many iterations."),
    "val_batches": SettingFlag(help="Validation batches (-1: the whole validation set)."),
    "seed": SettingFlag(help="The same seed gives the same run."),
}
SETTING_OPTIONS = tuple(SETTING_FLAGS)


def setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add a flag for each of SETTING_FLAGS, in its order: `--name-with-dashes`, typed and defaulted
    by the LoraSettings field; a true-or-false setting that is on by default gets `--no-NAME` too."""
    defaults = {item.name: item.default for item in fields(LoraSettings)}
    for name, flag in reversed(SETTING_FLAGS.items()):
        default, dashed = defaults[name], name.replace("_", "-")
        if isinstance(default, bool) and default:
            option = click.option(f"--{dashed}/--no-{dashed}", default=True, show_default=True, help=flag.help)
        elif isinstance(default, bool):
            option = click.option(f"--{dashed}", is_flag=True, default=False, help=flag.help)
        else:
            kind = flag.type or type(default)
            option = click.option(f"--{dashed}", type=kind, default=default, show_default=True, help=flag.help)
        command = option(command)
    return command


def show_report(kind: str, iteration: int, info: dict[str, Any]) -> None:
    if kind == "val":
        click.echo(f"iter {iteration}: val loss {info['val_loss']:.3f}")
    else:
        click.echo(
            f"iter {iteration}: train loss {info['train_loss']:.3f}, {info['iterations_per_second']:.2f} it/s, "
            f"{info['tokens_per_second']:.0f} tok/s, peak {info['peak_memory']:.2f} GB"
        )


@click.command("train")
@click.argument("mix_name", required=False)
@click.option("--model", help="A local model folder, a hub id, or `tiny` (embedded; the default).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="An mlx-lm LoRA YAML.")
@click.option("--resume", "resume_run", help="Go on with this run from its last checkpoint.")
@setting_options
@runs_option
@click.pass_context
def train_command(
    ctx: click.Context,
    /,
    mix_name: str | None,
    model: str | None,
    config_path: Path | None,
    resume_run: str | None,
    runs_dir: Path,
    **options: Any,
) -> None:
    """Train LoRA adapters on a built mix with mlx-lm, recording the run and every report in the store.

    \b
    Example:
      curate train phase7 --iters 200 --rank 16
      curate train --resume train-phase7-0123456789ab --iters 400
    """
    from curate.training import require_training, resume_training, run_training

    require_training()  # the environment first: no name is worth checking where nothing can train
    given = {
        name
        for name in SETTING_OPTIONS
        if ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)
    }
    if resume_run:
        if mix_name or model or config_path or given - {"iters"}:
            raise InputError("--resume takes the run's own mix, model and settings; only --iters may change")
        with open_store(ctx) as store, progress_bar() as progress:
            check_runs(store, [resume_run])
            total = options["iters"] if "iters" in given else store.train_runs([resume_run])[0].settings["iters"]
            run = resume_training(
                store,
                resume_run,
                iters=options["iters"] if "iters" in given else None,
                on_report=_reporting(progress, f"training {resume_run}", total),
            )
    else:
        if not mix_name:
            raise InputError("which mix? `curate train MIX` (or `--resume RUN`)")
        check_mix(ctx, mix_name)
        settings, model = _settings(config_path, model, {name: options[name] for name in given})
        with open_store(ctx) as store, progress_bar() as progress:
            run = run_training(
                store,
                mixes_dir(ctx),
                mix_name,
                model=model,
                settings=settings,
                runs=runs_dir,
                run_id=run_id(f"train-{mix_name}"),
                on_report=_reporting(progress, f"training on {mix_name}", settings.iters),
            )
    click.echo(
        f"run {run.run_id} {run.status} in {run.seconds or 0:.1f}s: adapters in {run.folder}/adapters, "
        f"loss curve {run.folder}/loss.png"
    )


def _reporting(progress: Bar, description: str, iters: int) -> Callable[[str, int, dict[str, Any]], None]:
    """`show_report`, which also moves the progress bar to the reported iteration."""
    task = progress.add_task(description, total=iters)

    def report(kind: str, iteration: int, info: dict[str, Any]) -> None:
        progress.update(task, completed=iteration)
        show_report(kind, iteration, info)

    return report


def _settings(config_path: Path | None, model: str | None, flags: dict[str, Any]) -> tuple[Any, str]:
    """LoRA settings from the defaults, then --config, then the flags given; and the model."""
    from dataclasses import replace

    import yaml

    from train.lora import SettingsError, settings_from_config

    try:
        settings = LoraSettings()
        if config_path is not None:
            try:
                loaded = yaml.safe_load(config_path.read_text("utf-8")) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                raise InputError(f"cannot read it: {str(error).splitlines()[0]}", path=str(config_path)) from None
            if not isinstance(loaded, dict):
                raise InputError("an mlx-lm config is a YAML mapping", path=str(config_path))
            settings, configured_model, notes = settings_from_config(loaded)
            if notes:
                click.echo(f"{config_path}: left to curate: {', '.join(notes)}")
            model = model or configured_model
        return replace(settings, **flags), model or "tiny"
    except SettingsError as error:
        raise InputError(str(error), path=str(config_path) if config_path else None) from None


@click.command("fuse")
@click.argument("run_name")
@click.option("--quantize", "bits", type=click.Choice(["2", "3", "4", "5", "6", "8"]), help="Quantize to these bits.")
@click.option(
    "--group-size",
    type=click.Choice(["32", "64", "128"]),
    default="64",
    show_default=True,
    help="Weights that share a quantization scale (with --quantize).",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="The model folder (default: the run's fused[-qN]/)."
)
@click.pass_context
def fuse_command(ctx: click.Context, run_name: str, bits: str | None, group_size: str, out: Path | None) -> None:
    """Fuse a run's adapters into its base model (dequantized), optionally quantize, save a model folder.

    \b
    Example:
      curate fuse train-phase7-0123456789ab --quantize 8
    """
    from curate.training import model_folder
    from train.fuse import FuseError, fuse

    with open_store(ctx, read_only=True) as store:
        check_runs(store, [run_name])
        run = store.train_runs([run_name])[0]
    target = out or Path(run.folder) / (f"fused-q{bits}" if bits else "fused")
    try:
        fuse(
            model_folder(run),
            Path(run.folder) / "adapters",
            target,
            bits=int(bits) if bits else None,
            group_size=int(group_size),
        )
    except FuseError as error:
        raise InputError(str(error)) from None
    click.echo(f"fused {run.run_id} -> {target}{f' ({bits}-bit)' if bits else ''}")


@click.command("eval")
@click.argument("mix_name")
@click.option("--configs", multiple=True, required=True, help="`base`, a run id or a model folder (repeatable).")
@click.option("--model", help="The model `base` means (default: the first run's).")
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    help="Tokens a model turn may write (default: as many as the expected turn holds, plus 16).",
)
@json_option("Print {CONFIG: scores} as JSON (accuracy, call_f1, latency_p50, ...).")
@click.pass_context
def eval_command(
    ctx: click.Context,
    mix_name: str,
    configs: tuple[str, ...],
    model: str | None,
    max_tokens: int | None,
    as_json: bool,
) -> None:
    """The call/no-call test on a mix's test split, configurations side by side; scores kept in the store.

    \b
    Example:
      curate eval phase7 --configs base --configs train-phase7-0123456789ab
    """
    from curate.evaluation import evaluate, render_scores

    check_mix(ctx, mix_name)
    with open_store(ctx) as store, progress_bar(shown=not as_json) as progress:
        task = progress.add_task(f"evaluating on {mix_name}", total=len(configs))
        results = evaluate(
            store,
            mixes_dir(ctx),
            mix_name,
            list(configs),
            eval_id=run_id("eval"),
            model=model,
            max_tokens=max_tokens,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        emit_json(results)
        return
    click.echo(render_scores(results), nl=False)


@click.command()
@json_option(
    "Print a JSON list: each run's record (run_id, mix, model, settings, status, ...), iterations and val_losses."
)
@click.pass_context
def runs(ctx: click.Context, as_json: bool) -> None:
    """List training runs with their state, iterations and validation losses.

    \b
    Example:
      curate runs --json
    """
    listed = []
    with open_store(ctx, read_only=True) as store:
        for run in store.train_runs():
            reports = store.train_reports(run.run_id)
            val = [report.metrics["val_loss"] for report in reports if report.kind == "val"]
            done = max((report.iteration for report in reports), default=0)
            listed.append({**asdict(run), "iterations": done, "val_losses": val})
            if as_json:
                continue
            last = f"val loss {val[0]:.3f} -> {val[-1]:.3f}" if val else "no validation yet"
            click.echo(
                f"{run.run_id}\t{run.mix}\t{run.model}\t{run.status}\t{done}/{run.settings['iters']} iterations\t{last}"
            )
    if as_json:
        emit_json(listed)


@click.command("phases")
@click.argument("run_names", nargs=-1)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=f"{DEFAULT_RUNS}/phases.png",
    show_default=True,
    help="Where the validation-loss chart goes.",
)
@json_option("Print a JSON list, a record a run: run_id, mix, losses, memory, speed, call/no-call scores.")
@click.pass_context
def report_phases(ctx: click.Context, run_names: tuple[str, ...], chart: Path, as_json: bool) -> None:
    """Training runs side by side (default: each mix's latest): losses, memory, speed, call/no-call scores.

    \b
    Example:
      curate report phases --chart phases.png
    """
    from curate.report import phase_chart, phase_rows, render_phases

    with open_store(ctx, read_only=True) as store:
        check_runs(store, run_names)
        rows = phase_rows(store, list(run_names) or None)
        if not rows:
            raise InputError("no training run yet", hint="run `curate train MIX`")
        phase_chart(store, rows, chart)
    if as_json:
        emit_json(rows)
        return
    click.echo(render_phases(rows), nl=False)
    click.echo(f"validation loss by run: {chart}")


@click.command()
@click.option(
    "--iters", type=click.IntRange(min=1), default=100, show_default=True, help="Training iterations a phase."
)
@runs_option
@click.pass_context
def demo(ctx: click.Context, iters: int, runs_dir: Path) -> None:
    """The whole pipeline on embedded defaults: mine, synthesize, verify, audit, build the phase mixes,
    export, train LoRA on phase 6 and phase 7 from the demo base, evaluate them against it, compare.

    \b
    Example:
      curate demo --iters 10
    """
    from curate.demo import run_demo

    say: Callable[[str], None] = click.echo
    with open_store(ctx) as store:
        run_demo(store, mixes_dir(ctx), Path(DEFAULT_EXPORTS), runs_dir, iters=iters, say=say, on_report=show_report)
