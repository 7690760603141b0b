"""The `curate` command line: a few lines per command over the library.

`main(argv) -> int` never raises for expected failures: it prints `curate: error: ...` on one line
and returns 2 for bad input, 1 for a failed check. `--debug` shows tracebacks instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from curate.errors import CurateError, InputError
from curate.store import Store

DEFAULT_DB = "data/curate.duckdb"
stderr = Console(stderr=True)


def db_path(ctx: click.Context) -> str:
    explicit = ctx.find_root().params.get("db")
    return str(explicit or os.environ.get("CURATE_DB") or DEFAULT_DB)


@contextmanager
def open_store(ctx: click.Context, *, read_only: bool = False) -> Iterator[Store]:
    store = Store.open(db_path(ctx), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False), help=f"The store (default: $CURATE_DB, else {DEFAULT_DB}).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(db: str | None, debug: bool) -> None:
    """curate: real code in, training data for tool-using code assistants out."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
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
@click.option("--json", "as_json", is_flag=True, help="Print the run's statistics as JSON.")
@click.pass_context
def mine(
    ctx: click.Context,
    path: Path,
    domain: str | None,
    name: str | None,
    jobs: int | None,
    exclude: tuple[str, ...],
    batch: int,
    as_json: bool,
) -> None:
    """Mine a Python project (a folder, an sdist .tar.gz or a wheel .whl) into the store."""
    from curate.mine import mine as mine_source

    with open_store(ctx) as store, _progress() as progress:
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
    if failed:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(stats.failed.items()))
        click.echo(f"failed: {reasons} (see `curate files --source {stats.source} --status failed`)")


@contextmanager
def _progress() -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    with progress:
        yield progress


@cli.command()
@click.option("--domain", help="Only this domain's sources.")
@click.pass_context
def sources(ctx: click.Context, domain: str | None) -> None:
    """List the mined sources."""
    with open_store(ctx, read_only=True) as store:
        for source in store.sources(domain):
            files = store.files(source.name)
            failed = sum(1 for record in files if record.status != "ok")
            click.echo(
                f"{source.name}\tdomain={source.domain}\t{source.origin}\t{len(files)} files\t{failed} failed"
                f"\tlicense={source.license or '-'}\trevision={source.revision[:12]}"
            )


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


@cli.command()
@click.pass_context
def quickstart(ctx: click.Context) -> None:
    """Mine the embedded sample project and the stdlib's asyncio, then call a few tools."""
    from curate.quickstart import run_quickstart

    with open_store(ctx) as store:
        for line in run_quickstart(store):
            click.echo(line)


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
