"""The `curate` command line: a few lines per command over the library.

`main(argv) -> int` never raises for expected failures: it prints `curate: error: ...` on one line
and returns 2 for bad input, 1 for a failed check. `--debug` shows tracebacks instead.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from curate.cli_support import (
    DEFAULT_DB,
    DEFAULT_EXPORTS,
    emit_json,
    mixes_dir,
    open_store,
    progress_bar,
    run_id,
)
from curate.cli_training import demo, eval_command, fuse_command, report_phases, runs, train_command
from curate.errors import CheckFailed, CurateError, InputError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False), help=f"The store (default: $CURATE_DB, else {DEFAULT_DB}).")
@click.option(
    "--mixes", type=click.Path(file_okay=False), help="The recipes folder (default: $CURATE_MIXES, else data/mixes)."
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(db: str | None, mixes: str | None, debug: bool) -> None:
    """curate: real code in, training data for tool-using code assistants out."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option(
    "--from",
    "source_list",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Mine every source this file lists (`SOURCE [DOMAIN]` a line; `pypi:NAME[==VERSION]` too).",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default="data/cache/pypi",
    show_default=True,
    help="Where `pypi:` sources are downloaded.",
)
@click.option("--domain", help="The domain the facts belong to (default: the source's name).")
@click.option("--name", help="The source's name (default: the folder or package name).")
@click.option("--jobs", type=click.IntRange(min=1), help="Parser processes (default: the number of cores).")
@click.option("--exclude", multiple=True, help="Skip files matching this glob or under this folder (repeatable).")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Files per commit: a killed run loses at most one batch.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Extract in a local process pool, or on Ray Data (curate[ray]).",
)
@click.option("--ray-address", help="A Ray cluster to use (default: start a local Ray runtime).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's statistics as JSON.")
@click.pass_context
def mine(
    ctx: click.Context,
    path: Path | None,
    source_list: Path | None,
    cache: Path,
    domain: str | None,
    name: str | None,
    jobs: int | None,
    exclude: tuple[str, ...],
    batch: int,
    engine: str,
    ray_address: str | None,
    as_json: bool,
) -> None:
    """Mine a project (a folder, an sdist .tar.gz or a wheel .whl), or a list of them, into the store."""
    from curate.mine import mine as mine_source

    if path is None and source_list is None:
        raise InputError("what to mine? a PATH, or --from FILE")
    if path is not None and source_list is not None:
        raise InputError("give a PATH or --from FILE, not both")
    if source_list is not None:
        _mine_list(ctx, source_list, cache, jobs, engine, ray_address)
        return
    assert path is not None

    with open_store(ctx) as store, progress_bar() as progress:
        task = progress.add_task(f"mining {path}", total=None)
        stats = mine_source(
            store,
            path,
            domain=domain,
            name=name,
            jobs=jobs,
            exclude=exclude,
            batch_files=batch,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            engine=engine,  # type: ignore[arg-type]
            ray_address=ray_address,
        )
    if as_json:
        emit_json(stats.as_dict())
        return
    failed = sum(stats.failed.values())
    click.echo(
        f"{stats.source} (domain {stats.domain}): {stats.files} files, {stats.mined} mined, "
        f"{stats.unchanged} unchanged, {failed} failed, {stats.deleted} removed in {stats.seconds:.1f}s"
    )
    if stats.facts:
        click.echo("facts: " + ", ".join(f"{kind} {count}" for kind, count in sorted(stats.facts.items())))
    if stats.secrets:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(stats.secrets.items()))
        click.echo(f"secrets redacted: {kinds} (see `curate audit`)")
    if failed:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(stats.failed.items()))
        click.echo(f"failed: {reasons} (see `curate files --source {stats.source} --status failed`)")


def _mine_list(
    ctx: click.Context, source_list: Path, cache: Path, jobs: int | None, engine: str, ray_address: str | None
) -> None:
    from curate.mine import MineStats
    from curate.source_list import mine_list

    def show(entry: str, outcome: str, stats: MineStats | None) -> None:
        detail = f": {stats.files} files, {stats.mined} mined, {stats.unchanged} unchanged" if stats else ""
        click.echo(f"{entry}\t{outcome}{detail}")

    with open_store(ctx) as store:
        listed = mine_list(
            store,
            source_list,
            cache=cache,
            jobs=jobs,
            on_source=show,
            engine=engine,  # type: ignore[arg-type]
            ray_address=ray_address,
        )
    click.echo(
        f"{len(listed.mined)} mined, {len(listed.skipped)} unchanged, {len(listed.failed)} failed "
        "(see `curate sources`)"
    )
    if listed.failed:
        raise CheckFailed(f"{len(listed.failed)} of the listed sources failed")


@cli.command()
@click.option("--domain", help="Only this domain's sources.")
@click.pass_context
def sources(ctx: click.Context, domain: str | None) -> None:
    """List the mined sources, and the listed ones (`mine --from`) that failed, with why."""
    with open_store(ctx, read_only=True) as store:
        for source in store.sources(domain):
            files = store.files(source.name)
            failed = sum(1 for record in files if record.status != "ok")
            click.echo(
                f"{source.name}\tdomain={source.domain}\t{source.origin}\t{len(files)} files\t{failed} failed"
                f"\tlicense={source.license or '-'}\trevision={source.revision[:12]}"
            )
        for state in store.listed().values():
            if state.status != "mined" and domain is None:
                click.echo(f"{state.entry}\t{state.status}\t{state.reason}")


@cli.command()
@click.option("--source", "source_name", required=True, help="The source whose files to list.")
@click.option("--status", type=click.Choice(["ok", "failed", "skipped"]), help="Only files with this status.")
@click.pass_context
def files(ctx: click.Context, source_name: str, status: str | None) -> None:
    """List a source's files with their status and, for failures, the reason."""
    with open_store(ctx, read_only=True) as store:
        if source_name not in {source.name for source in store.sources()}:
            raise InputError(f"no source {source_name!r} in the store")
        for record in store.files(source_name, status):
            why = f"\t{record.reason}: {record.error}" if record.reason else ""
            click.echo(f"{record.path}\t{record.status}{why}")


@cli.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schemas of curate's records (or of one, by name)."""
    import schemas

    models = {
        model_name: getattr(schemas, model_name)
        for model_name in schemas.__all__
        if isinstance(getattr(schemas, model_name), type) and hasattr(getattr(schemas, model_name), "model_json_schema")
    }
    if name is not None:
        if name not in models:
            raise InputError(f"no record type {name!r} (known: {', '.join(sorted(models))})")
        emit_json(models[name].model_json_schema())
        return
    emit_json({model_name: model.model_json_schema() for model_name, model in sorted(models.items())})


@cli.group()
def tool() -> None:
    """The tool catalog: list it, or call a tool against a mined domain."""


@tool.command("list")
def tool_list() -> None:
    """Print the catalog as the JSON `tools` list of a chat request."""
    from curate.tools import catalog

    emit_json(catalog())


@tool.command("call")
@click.argument("name")
@click.option("--domain", required=True, help="The mined domain to answer from.")
@click.option("--args", "arguments", default="{}", help="The arguments, as a JSON object.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many matches (0: all).")
@click.pass_context
def tool_call(ctx: click.Context, name: str, domain: str, arguments: str, limit: int) -> None:
    """Call a tool and print its result as JSON."""
    from curate.tools import call_tool

    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError as error:
        raise InputError(f"--args is not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(parsed, dict):
        raise InputError("--args must be a JSON object")
    with open_store(ctx, read_only=True) as store:
        result = call_tool(store, domain, name, parsed, limit)
    emit_json(result.model_dump(mode="json"))


def token_counter(tokenizer: str | None) -> Any:
    from curate.verify import estimate_tokens, tokenizer_counter

    return tokenizer_counter(tokenizer) if tokenizer else estimate_tokens


max_tokens_option = click.option(
    "--max-tokens", type=click.IntRange(min=1), default=4096, show_default=True, help="Length stage: the token budget."
)
tokenizer_option = click.option(
    "--tokenizer", help="Count tokens with this tokenizer.json (or a model folder); default: an estimate."
)


@cli.command()
@click.option("--domain", required=True, help="The mined domain to write examples for.")
@click.option("--n", "count", type=click.IntRange(min=1), default=200, show_default=True, help="How many examples.")
@click.option("--tool-ratio", type=click.FloatRange(0, 1), default=0.76, show_default=True, help="Share of tool calls.")
@click.option("--intents", help="Only these intents (comma-separated; see `curate intents`).")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same examples.")
@max_tokens_option
@tokenizer_option
@click.option("--teacher", help="An OpenAI-compatible server (e.g. http://127.0.0.1:8080) to reword examples.")
@click.option("--teacher-model", help="The teacher's model name (required with --teacher).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's statistics as JSON.")
@click.pass_context
def synth(
    ctx: click.Context,
    domain: str,
    count: int,
    tool_ratio: float,
    intents: str | None,
    seed: int,
    max_tokens: int,
    tokenizer: str | None,
    teacher: str | None,
    teacher_model: str | None,
    as_json: bool,
) -> None:
    """Synthesize verified tool-call examples and direct answers for a mined domain."""
    from curate.synth import run_synth
    from curate.teacher import Teacher

    if bool(teacher) != bool(teacher_model):
        raise InputError("--teacher and --teacher-model go together")
    chosen = [name.strip() for name in intents.split(",") if name.strip()] if intents else None
    with open_store(ctx) as store:
        synthesis, added = run_synth(
            store,
            domain,
            count,
            run_id=run_id("synth"),
            tool_ratio=tool_ratio,
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
    if synthesis.rejections:
        stages = ", ".join(f"{stage} {count}" for stage, count in stats["rejected"].items())
        click.echo(f"rejected candidates: {stages} (see `curate rejections --domain {domain}`)")


@cli.command()
def intents() -> None:
    """List the intent catalog: each intent's tool and its query templates."""
    from curate.intents import INTENTS

    for intent in INTENTS.values():
        click.echo(f"{intent.name}\t{intent.language}\t{intent.tool}\t{len(intent.templates)} templates")


@cli.command()
@click.option("--domain", help="Only this domain.")
@click.option("--kind", type=click.Choice(["tool_call", "direct"]), help="Only this kind.")
@click.option("--show", "show_id", help="Pretty-print this example's conversation.")
@click.option("--json", "as_json", is_flag=True, help="One example record per line (JSON Lines).")
@click.pass_context
def examples(ctx: click.Context, domain: str | None, kind: str | None, show_id: str | None, as_json: bool) -> None:
    """List the stored examples, print them as JSON Lines, or show one."""
    from curate.render import conversation, summary_line

    with open_store(ctx, read_only=True) as store:
        stored = store.examples(domain=domain, kind=kind, ids=[show_id] if show_id else None)
    if show_id is not None:
        if not stored:
            raise InputError(f"no example {show_id!r} in the store")
        click.echo(conversation(stored[0]))
        return
    for item in stored:
        click.echo(json.dumps(item.record, ensure_ascii=False) if as_json else summary_line(item))


@cli.command()
@click.option("--domain", help="Only this domain.")
@max_tokens_option
@tokenizer_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.pass_context
def validate(ctx: click.Context, domain: str | None, max_tokens: int, tokenizer: str | None, as_json: bool) -> None:
    """Re-run the six verification stages over the stored examples; exit 1 if any fails."""
    from curate.validate import validate as run_validation

    with open_store(ctx) as store:
        validation = run_validation(
            store,
            run_id=run_id("validate"),
            domain=domain,
            max_tokens=max_tokens,
            count_tokens=token_counter(tokenizer),
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


@cli.command()
@click.option("--domain", help="Only this domain (default: every domain with examples).")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.8,
    show_default=True,
    help="Near-duplicate queries: the MinHash Jaccard similarity that makes a cluster.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Compute the MinHashes here, or on Ray Data (curate[ray]): the same clusters either way.",
)
@click.option("--ray-address", help="A Ray cluster to use (default: start a local Ray runtime).")
@click.pass_context
def dedup(ctx: click.Context, domain: str | None, threshold: float, engine: str, ray_address: str | None) -> None:
    """Record exact and near-duplicate clusters; one example of each is kept."""
    from curate.dedup import Hasher, minhashes
    from curate.dedup import dedup as run_dedup

    hasher: Hasher = minhashes
    if engine == "ray":
        from curate import ray_engine

        hasher = lambda texts: ray_engine.minhashes(texts, ray_address)  # noqa: E731
    with open_store(ctx) as store:
        domains = [domain] if domain else sorted({str(item.record["domain"]) for item in store.examples()})
        for name in domains:
            report = run_dedup(store, name, threshold, hasher)
            click.echo(
                f"{name}: {report.examples} examples, {report.exact_clusters} exact clusters "
                f"({report.exact_dropped} duplicates), {report.near_clusters} near-duplicate clusters "
                f"({report.near_dropped} near-duplicates)"
            )


@cli.command()
@click.option("--domain", help="Only this domain.")
@click.option("--stage", help="Only this stage (schema, arguments, replay, grounding, length).")
@click.option("--json", "as_json", is_flag=True, help="One rejection per line as JSON.")
@click.pass_context
def rejections(ctx: click.Context, domain: str | None, stage: str | None, as_json: bool) -> None:
    """List rejected examples with the stage that rejected them and why."""
    with open_store(ctx, read_only=True) as store:
        found = store.example_rejections(domain=domain, stage=stage)
    for rejection in found:
        if as_json:
            click.echo(rejection.model_dump_json())
        else:
            click.echo(f"{rejection.domain}\t{rejection.stage}\t{rejection.example_id}\t{rejection.reason}")


@cli.group()
def mix() -> None:
    """Mixture recipes (`data/mixes/NAME.toml`): build lockfiles, compare them."""


@mix.command("list")
@click.pass_context
def mix_list(ctx: click.Context) -> None:
    """List the recipes, and whether each is built."""
    from curate.mix import lock_path, read_lockfile, recipe_names

    folder = mixes_dir(ctx)
    for name in recipe_names(folder):
        if lock_path(folder, name).exists():
            counts = read_lockfile(folder, name).counts
            state = f"built: {counts.total} examples ({', '.join(f'{k} {v}' for k, v in counts.splits.items())})"
        else:
            state = "not built"
        click.echo(f"{name}\t{state}")


@mix.command("show")
@click.argument("name")
@click.pass_context
def mix_show(ctx: click.Context, name: str) -> None:
    """Print a recipe resolved (extends applied, defaults filled in) and its lockfile's counts."""
    from curate.mix import lock_path, read_lockfile, resolve

    folder = mixes_dir(ctx)
    shown: dict[str, Any] = {"recipe": resolve(folder, name).model_dump(mode="json")}
    if lock_path(folder, name).exists():
        lockfile = read_lockfile(folder, name)
        shown["lock"] = {"recipe_hash": lockfile.recipe_hash, "counts": lockfile.counts.model_dump()}
    emit_json(shown)


@mix.command("build")
@click.argument("name")
@click.pass_context
def mix_build(ctx: click.Context, name: str) -> None:
    """Resolve a recipe against the store and write NAME.lock.json; exit 1 with a deficit report if it cannot."""
    from curate.mix import MixDeficit, build, write_lockfile

    folder = mixes_dir(ctx)
    with open_store(ctx, read_only=True) as store:
        try:
            lockfile = build(store, folder, name)
        except MixDeficit as deficit:
            click.echo(f"deficit report for {name} (nothing written):")
            for line in deficit.lines:
                click.echo(f"  {line}")
            raise
    path = write_lockfile(folder, lockfile)
    counts = lockfile.counts
    click.echo(
        f"{name}: {counts.total} examples ("
        + ", ".join(f"{split} {count}" for split, count in counts.splits.items())
        + "; "
        + ", ".join(f"{kind} {count}" for kind, count in counts.kinds.items())
        + f"), {len(lockfile.excluded)} excluded -> {path}"
    )


@mix.command("diff")
@click.argument("before")
@click.argument("after")
@click.pass_context
def mix_diff(ctx: click.Context, before: str, after: str) -> None:
    """What changed from one built mix to another: examples added and removed, and every share's drift."""
    from curate.mix import diff, read_lockfile

    folder = mixes_dir(ctx)
    with open_store(ctx, read_only=True) as store:
        result = diff(store, read_lockfile(folder, before), read_lockfile(folder, after))
    added = sum(len(ids) for ids in result.added.values())
    removed = sum(len(ids) for ids in result.removed.values())
    per_split = ", ".join(
        f"{split} +{len(result.added[split])}/-{len(result.removed[split])}" for split in result.added
    )
    click.echo(
        f"{before} -> {after}: +{added} added, -{removed} removed, {len(result.moved)} moved between splits "
        f"({per_split})"
    )
    for split, ids in result.added.items():
        for example_id in ids:
            click.echo(f"+ {split}\t{example_id}")
    for split, ids in result.removed.items():
        for example_id in ids:
            click.echo(f"- {split}\t{example_id}")
    for example_id, was, now in result.moved:
        click.echo(f"~ {was}->{now}\t{example_id}")
    click.echo(f"{'share':<40}{before:>10}{after:>10}{'drift':>10}")
    for item in result.drift:
        label = f"{item.dimension} {item.value}"
        change = (item.after - item.before) * 100
        click.echo(f"{label:<40}{item.before * 100:>9.1f}%{item.after * 100:>9.1f}%{change:>+10.1f}")


@cli.command()
@click.option("--mix", "mix_name", help="Audit this built mix (default: every example in the store).")
@click.option("--domain", help="Only this domain.")
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path), help="Targets to check (TOML).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write this page.")
@tokenizer_option
@click.pass_context
def audit(
    ctx: click.Context,
    mix_name: str | None,
    domain: str | None,
    policy: Path | None,
    as_json: bool,
    html_path: Path | None,
    tokenizer: str | None,
) -> None:
    """Audit balance: shares by domain, kind, intent, tool, template, split, source; pairs; lengths; rejections."""
    from curate.audit import audit as run_audit
    from curate.audit import load_policy, mix_scope, render_text, secret_kinds, source_licenses
    from curate.audit_html import render_html
    from curate.files import atomic_write
    from curate.split import assign_splits
    from curate.store import AnyExample
    from curate.verify import conversation_text
    from schemas import Example, Splits

    rules = load_policy(policy) if policy else None
    with open_store(ctx, read_only=True) as store:
        if mix_name:
            examples, splits = mix_scope(store, mixes_dir(ctx), mix_name, light=not tokenizer)
            scope = f"mix {mix_name}"
        else:
            everything: Sequence[AnyExample] = store.examples() if tokenizer else store.light_examples()
            splits = assign_splits(everything, store.clusters(), Splits(), 0)
            examples = everything
            scope = "the store"
        if domain:
            examples = [item for item in examples if item.record["domain"] == domain]
            scope += f", domain {domain}"
        counter = None
        if tokenizer:
            count = token_counter(tokenizer)
            counter = lambda item: count(conversation_text(Example.model_validate(item.record)))  # noqa: E731
        report = run_audit(
            examples,
            scope=scope,
            splits=splits,
            clusters=store.clusters(),
            rejections=store.example_rejections(domain=domain),
            count_tokens=counter,
            counted_with=f"tokenizer {tokenizer}" if tokenizer else "estimate (3 bytes a token)",
            policy=rules,
            secrets=secret_kinds(store, examples),
            licenses=source_licenses(store),
        )
    if html_path:
        atomic_write(html_path, render_html(report))
    click.echo(report.model_dump_json(indent=2) if as_json else render_text(report), nl=as_json)
    if report.violations:
        raise CheckFailed(f"{len(report.violations)} policy violations")


@cli.command("export")
@click.argument("name")
@click.option("--format", "format_", type=click.Choice(["mlx", "hf", "parquet"]), default="mlx", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="The folder to write.")
@click.option(
    "--turns",
    type=click.Choice(["each", "last"]),
    default="each",
    show_default=True,
    help="each: one row per assistant turn (mlx-lm trains the last message); last: whole conversations.",
)
@click.option(
    "--tokenizer",
    type=click.Path(file_okay=False, path_type=Path),
    help="A model folder whose tokenizer and chat template the round trip uses (default: a small one built here).",
)
@click.pass_context
def export_command(ctx: click.Context, name: str, format_: str, out: Path, turns: str, tokenizer: Path | None) -> None:
    """Write a built mix as mlx-lm JSONL, a Hugging Face dataset or Parquet, and check it round-trips."""
    from curate.export import export
    from train.roundtrip import check_export
    from train.tokenizer import build_tokenizer

    with open_store(ctx, read_only=True) as store:
        done = export(
            store,
            mixes_dir(ctx),
            name,
            out,
            format=format_,  # type: ignore[arg-type]
            turns=turns,  # type: ignore[arg-type]
            tokenizer=tokenizer,
            check=check_export,
            build_tokenizer=build_tokenizer,
        )
    manifest = done.manifest
    rows = ", ".join(f"{split} {count}" for split, count in manifest["rows"].items())
    trip = manifest["round_trip"]
    click.echo(
        f"{name} -> {out} ({format_}, turns={turns}): {rows} rows; round trip through mlx-lm: "
        f"{trip['rows']} rows, {trip['calls']} tool calls parsed back"
    )


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--domain", required=True, help="The domain the examples belong to.")
@click.option(
    "--format", "format_", type=click.Choice(["mlx", "openai", "sharegpt", "hermes"]), default="mlx", show_default=True
)
@max_tokens_option
@tokenizer_option
@click.pass_context
def import_command(
    ctx: click.Context, file: Path, domain: str, format_: str, max_tokens: int, tokenizer: str | None
) -> None:
    """Import an existing dataset (JSON Lines); bad rows are reported by line, good rows still import."""
    from curate.importer import import_file

    with open_store(ctx) as store:
        report = import_file(
            store,
            file,
            domain,
            format=format_,  # type: ignore[arg-type]
            run_id=run_id("import"),
            max_tokens=max_tokens,
            count_tokens=token_counter(tokenizer),
        )
    good = report.rows - len(report.bad)
    click.echo(
        f"{file}: {good} of {report.rows} rows good, {report.imported} imported into {domain} "
        f"({report.already} already in the store), marked unverified (no snapshot to replay them on)"
    )
    for line, why in report.bad:
        click.echo(f"{file}:{line}: {why}")
    if report.bad:
        raise CheckFailed(f"{len(report.bad)} of {report.rows} rows were not imported (listed above)")


@cli.group()
def report() -> None:
    """Comparison tables."""


@report.command("mixes")
@click.pass_context
def report_mixes(ctx: click.Context) -> None:
    """Built mixes side by side: examples, domains, kind ratio, split sizes, mean tokens."""
    from curate.report import mix_rows, render_mixes

    with open_store(ctx, read_only=True) as store:
        rows = mix_rows(store, mixes_dir(ctx))
    if not rows:
        raise InputError("no mix is built yet", hint="run `curate mix build NAME`")
    click.echo(render_mixes(rows), nl=False)


@cli.command()
@click.option(
    "--outputs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folders of exports and runs to check (default: data/exports and data/runs).",
)
@click.option("--clean", is_flag=True, help="Remove the leftovers of killed processes.")
@click.pass_context
def doctor(ctx: click.Context, outputs: tuple[Path, ...], clean: bool) -> None:
    """Check the store's integrity, the lockfiles and every export; exit 1 if anything is damaged."""
    from curate.doctor import clean as remove
    from curate.doctor import diagnose

    with open_store(ctx, read_only=True) as store:
        found = diagnose(store, mixes_dir(ctx), outputs or (Path(DEFAULT_EXPORTS), Path("data/runs")))
    for checked in found.checked:
        click.echo(f"checked {checked}")
    for problem in found.problems:
        click.echo(f"PROBLEM {problem}")
    if found.leftovers:
        if clean:
            click.echo(f"removed {remove(found.leftovers)} leftovers of killed processes")
        else:
            shown = ", ".join(str(path) for path in found.leftovers[:3])
            click.echo(f"{len(found.leftovers)} leftovers of killed processes ({shown}); `--clean` removes them")
    if not found.healthy:
        raise CheckFailed(f"{len(found.problems)} problems")
    click.echo("healthy")


@cli.command()
@click.pass_context
def quickstart(ctx: click.Context) -> None:
    """The main job on embedded defaults: mine, answer, synthesize, verify, dedup, build mixes, export."""
    from curate.quickstart import run_quickstart

    with open_store(ctx) as store:
        for line in run_quickstart(store, mixes_dir(ctx), Path(DEFAULT_EXPORTS)):
            click.echo(line)


for command in (train_command, fuse_command, eval_command, runs, demo):
    cli.add_command(command)
report.add_command(report_phases)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="curate", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code or 0)
    except click.exceptions.Abort:
        click.echo("curate: error: aborted", err=True)
        return 1
    except click.ClickException as error:
        if debug:
            raise
        click.echo(f"curate: error: {error.format_message()}", err=True)
        return 2
    except CurateError as error:
        if debug:
            raise
        click.echo(f"curate: error: {error}", err=True)
        return error.exit_code
    except Exception as error:  # the last line of defence: one line, not a traceback
        if debug:
            raise
        click.echo(f"curate: error: internal error: {type(error).__name__}: {error} (rerun with --debug)", err=True)
        return 1
    return 0


def run() -> None:
    sys.exit(main())
