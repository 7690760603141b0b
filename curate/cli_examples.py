"""The examples half of the command line: `synth`, `intents`, `examples`, `validate`, `dedup`,
`rejections`, `import`."""

from __future__ import annotations

import json

import click

from curate.cli_support import (
    check_domain,
    check_known,
    emit_json,
    engine_options,
    json_option,
    max_tokens_option,
    only_domain_option,
    open_store,
    progress_bar,
    run_id,
    token_counter,
    tokenizer_option,
)
from curate.errors import CheckFailed, InputError


@click.command()
@click.option("--domain", required=True, help="The mined domain to write examples for.")
@click.option("--n", "count", type=click.IntRange(min=1), default=200, show_default=True, help="How many examples.")
@click.option("--tool-ratio", type=click.FloatRange(0, 1), default=0.76, show_default=True, help="Share of tool calls.")
@click.option("--intents", help="Only these intents (comma-separated; see `curate intents`).")
@click.option(
    "--shapes",
    help="Conversations of other shapes than single, as shares of --n: `all` (each 0.1) or a comma list "
    "such as `parallel=0.1,multi_step=0.05,recovery` (a name alone: 0.1). Shapes: parallel, multi_step, "
    "multi_turn, clarification, recovery.",
)
@click.option(
    "--distractors",
    type=click.IntRange(min=0),
    help="Offer each example the tools it calls plus this many others, drawn with the seed (default: all "
    "the domain's tools).",
)
@click.option("--system", help="A system prompt every example opens with.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same examples.")
@max_tokens_option
@tokenizer_option
@click.option("--teacher", help="An OpenAI-compatible server (e.g. http://127.0.0.1:8080) to reword examples.")
@click.option("--teacher-model", help="The teacher's model name (required with --teacher).")
@json_option("Print the run's statistics as JSON.")
@click.pass_context
def synth(
    ctx: click.Context,
    domain: str,
    count: int,
    tool_ratio: float,
    intents: str | None,
    shapes: str | None,
    distractors: int | None,
    system: str | None,
    seed: int,
    max_tokens: int,
    tokenizer: str | None,
    teacher: str | None,
    teacher_model: str | None,
    as_json: bool,
) -> None:
    """Synthesize verified tool-call examples and direct answers for a mined domain.

    \b
    Example:
      curate synth --domain svcs --n 400 --shapes all --distractors 3
    """
    from curate.shape_phrases import parse_shares
    from curate.synth import DEFAULT_MAX_EMPTY_SHARE, run_synth
    from curate.teacher import Teacher

    if bool(teacher) != bool(teacher_model):
        raise InputError("--teacher and --teacher-model go together")
    chosen = [name.strip() for name in intents.split(",") if name.strip()] if intents else None
    shares = parse_shares(shapes)
    with open_store(ctx) as store, progress_bar(shown=not as_json) as progress:
        progress.add_task(f"synthesizing {count} examples for {domain}", total=None)
        synthesis, added = run_synth(
            store,
            domain,
            count,
            run_id=run_id("synth"),
            tool_ratio=tool_ratio,
            shapes=shares,
            distractors=distractors,
            system=system,
            seed=seed,
            intents=chosen,
            max_tokens=max_tokens,
            count_tokens=token_counter(tokenizer),
            teacher=Teacher(teacher, teacher_model) if teacher and teacher_model else None,
        )
    stats = {**synthesis.stats(), "new": added}
    if as_json:
        emit_json(stats)
        return
    click.echo(
        f"{domain}: {stats['examples']} examples ({stats['tool_call']} tool calls, {stats['direct']} direct, "
        f"{stats['paired']} matched pairs), {added} new"
    )
    if set(stats["shapes"]) != {"single"}:
        click.echo("shapes: " + ", ".join(f"{shape} {count}" for shape, count in stats["shapes"].items()))
    click.echo(
        f"tool calls that find nothing: {stats['empty_results']} ({stats['empty_result_share']:.1%}, "
        f"at most {DEFAULT_MAX_EMPTY_SHARE:.0%})"
    )
    for reason, skipped in stats["skipped"].items():
        click.echo(f"skipped candidates: {skipped} {reason}")
    if synthesis.rejections:
        stages = ", ".join(f"{stage} {count}" for stage, count in stats["rejected"].items())
        click.echo(f"rejected candidates: {stages} (see `curate rejections --domain {domain}`)")


@click.command()
@json_option("Print the catalog as a JSON list: each intent's name, language, tool and templates.")
def intents(as_json: bool) -> None:
    """List the intent catalog: each intent's tool and its query templates.

    \b
    Example:
      curate intents --json
    """
    from curate.intents import INTENTS

    if as_json:
        emit_json(
            [
                {"name": intent.name, "language": intent.language, "tool": intent.tool, "templates": intent.templates}
                for intent in INTENTS.values()
            ]
        )
        return
    for intent in INTENTS.values():
        click.echo(f"{intent.name}\t{intent.language}\t{intent.tool}\t{len(intent.templates)} templates")


@click.command()
@only_domain_option
@click.option("--kind", type=click.Choice(["tool_call", "direct"]), help="Only this kind.")
@click.option("--show", "show_id", help="Pretty-print this example's conversation.")
@json_option("One example record per line (JSON Lines).")
@click.pass_context
def examples(ctx: click.Context, domain: str | None, kind: str | None, show_id: str | None, as_json: bool) -> None:
    """List the stored examples, print them as JSON Lines (`curate schema Example`), or show one.

    \b
    Example:
      curate examples --domain shop --kind direct
      curate examples --domain shop --json > shop.jsonl
    """
    from curate.render import conversation, summary_line

    with open_store(ctx, read_only=True) as store:
        check_domain(store, domain)
        stored = store.examples(domain=domain, kind=kind, ids=[show_id] if show_id else None)
    if show_id is not None:
        if not stored:
            raise InputError(f"no example {show_id!r} in the store")
        click.echo(conversation(stored[0]))
        return
    for item in stored:
        click.echo(json.dumps(item.record, ensure_ascii=False) if as_json else summary_line(item))


@click.command()
@only_domain_option
@max_tokens_option
@tokenizer_option
@json_option("Print the statistics as JSON.")
@click.pass_context
def validate(ctx: click.Context, domain: str | None, max_tokens: int, tokenizer: str | None, as_json: bool) -> None:
    """Re-run the six verification stages over the stored examples; exit 1 if any fails.

    \b
    Example:
      curate validate --domain shop --max-tokens 2048
    """
    from curate.validate import validate as run_validation

    with open_store(ctx) as store, progress_bar(shown=not as_json) as progress:
        check_domain(store, domain)
        task = progress.add_task("validating", total=None)
        validation = run_validation(
            store,
            run_id=run_id("validate"),
            domain=domain,
            max_tokens=max_tokens,
            count_tokens=token_counter(tokenizer),
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        emit_json(validation.stats())
    else:
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(validation.status.items()))
        click.echo(f"{validation.examples} examples: {statuses or 'none'}")
        for (name, stage), count in sorted(validation.failed.items()):
            click.echo(f"failed {stage}: {count} in {name} (see `curate rejections --domain {name} --stage {stage}`)")
    if not validation.ok:
        raise CheckFailed(f"{sum(validation.failed.values())} examples failed verification")


@click.command()
@click.option("--domain", help="Only this domain (default: every domain with examples).")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.8,
    show_default=True,
    help="Near-duplicate queries: the MinHash Jaccard similarity that makes a cluster.",
)
@engine_options("Compute the MinHashes here, or on Ray Data (curate[ray]): the same clusters either way.")
@json_option("Print each domain's counts as JSON: {DOMAIN: {examples, exact_clusters, ...}}.")
@click.pass_context
def dedup(
    ctx: click.Context, domain: str | None, threshold: float, engine: str, ray_address: str | None, as_json: bool
) -> None:
    """Record exact and near-duplicate clusters; one example of each is kept.

    \b
    Example:
      curate dedup --domain shop --threshold 0.9
    """
    from curate.dedup import Hasher, minhashes
    from curate.dedup import dedup as run_dedup

    hasher: Hasher = minhashes
    if engine == "ray":
        from curate import ray_engine

        hasher = lambda texts: ray_engine.minhashes(texts, ray_address)  # noqa: E731
    with open_store(ctx) as store:
        check_domain(store, domain)
        domains = [domain] if domain else sorted({str(item.record["domain"]) for item in store.examples()})
        reports = {name: run_dedup(store, name, threshold, hasher) for name in domains}
    if as_json:
        emit_json(reports)
        return
    for name, report in reports.items():
        click.echo(
            f"{name}: {report.examples} examples, {report.exact_clusters} exact clusters "
            f"({report.exact_dropped} duplicates), {report.near_clusters} near-duplicate clusters "
            f"({report.near_dropped} near-duplicates)"
        )


@click.command()
@only_domain_option
@click.option("--stage", help="Only this stage (synthesis, schema, arguments, replay, grounding, secrets, length).")
@json_option("One rejection per line as JSON.")
@click.pass_context
def rejections(ctx: click.Context, domain: str | None, stage: str | None, as_json: bool) -> None:
    """List rejected examples with the stage that rejected them and why (`curate schema Rejection`).

    \b
    Example:
      curate rejections --domain shop --stage length
    """
    from schemas import VERIFICATION_STAGES

    with open_store(ctx, read_only=True) as store:
        check_domain(store, domain)
        check_known("stage", stage, ["synthesis", *VERIFICATION_STAGES, *store.rejection_stages()])
        found = store.example_rejections(domain=domain, stage=stage)
    for rejection in found:
        if as_json:
            click.echo(rejection.model_dump_json())
        else:
            click.echo(f"{rejection.domain}\t{rejection.stage}\t{rejection.example_id}\t{rejection.reason}")


@click.command("import")
@click.argument("source")
@click.option("--domain", required=True, help="The domain the examples belong to.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["auto", "mlx", "openai", "sharegpt", "hermes", "glaive", "xlam", "alpaca"]),
    default="auto",
    show_default=True,
    help="The rows' format; auto reads each file as the format most of its rows fit, and says which.",
)
@max_tokens_option
@tokenizer_option
@json_option("Print {domain, files: [{name, format, rows, imported, bad: [[line, why]], ...}]} as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context, source: str, domain: str, format_: str, max_tokens: int, tokenizer: str | None, as_json: bool
) -> None:
    """Import a dataset: a JSON Lines, JSON or Parquet file, a folder of them, or a Hugging Face dataset
    id; bad rows are reported by line, good rows still import.

    \b
    Example:
      curate import handmade.jsonl --domain reference --format openai
    """
    from curate.importer import failure, import_source, report_lines

    with open_store(ctx) as store:
        reports = import_source(
            store,
            source,
            domain,
            format=format_,
            run_id=run_id("import"),
            max_tokens=max_tokens,
            count_tokens=token_counter(tokenizer),
        )
    if as_json:
        emit_json({"domain": domain, "files": reports})
    else:
        for line in report_lines(reports, domain):
            click.echo(line)
    problem = failure(reports)
    if problem:
        raise CheckFailed(problem)
