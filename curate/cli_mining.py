"""The mining half of the command line: `mine` (a project, or a list of them), `sources`, `files`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from curate.cli_support import (
    check_domain,
    check_known,
    emit_json,
    engine_options,
    json_option,
    open_store,
    progress_bar,
)
from curate.errors import CheckFailed, InputError
from sources.names import printable

if TYPE_CHECKING:
    from curate.store import Store

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?)?b?\s*$", re.IGNORECASE)
UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


class ByteSize(click.ParamType[int]):
    """A size in bytes: `16MB`, `500k`, `2MiB`, `1234` (k, M, G are powers of 1000; Ki, Mi, Gi of 1024)."""

    name = "SIZE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = SIZE.match(str(value))
        if match is None:
            self.fail(f"{value!r} is not a size such as 16MB, 500k or 1234 (bytes)", param, ctx)
        size = int(float(match[1]) * UNITS[(match[2] or "").lower()])
        if size < 1:
            self.fail(f"{value!r} is under one byte", param, ctx)
        return size


@click.command()
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
    default=1_000,
    show_default=True,
    help="Files per commit: a killed run loses at most one batch.",
)
@click.option(
    "--max-file-size",
    type=ByteSize(),
    help="Skip (as too_large) files over this size, in every language (16MB, 500k, bytes; default: "
    "5MB for Python, 32MB for HTML).",
)
@engine_options("Extract in a local process pool, or on Ray Data (curate[ray]).")
@json_option("Print the run's statistics as JSON.")
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
    max_file_size: int | None,
    engine: str,
    ray_address: str | None,
    as_json: bool,
) -> None:
    """Mine a project (a folder, an sdist .tar.gz or a wheel .whl), or a list of them, into the store.

    \b
    Example:
      curate mine path/to/project --domain myproject
      curate mine --from sources.txt
    """
    from curate.mine import mine as mine_source

    if path is None and source_list is None:
        raise InputError("what to mine? a PATH, or --from FILE")
    if path is not None and source_list is not None:
        raise InputError("give a PATH or --from FILE, not both")
    if source_list is not None:
        _mine_list(ctx, source_list, cache, jobs, engine, ray_address, max_file_size)
        return
    assert path is not None

    with open_store(ctx) as store, progress_bar(shown=not as_json) as progress:
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
            max_file_size=max_file_size,
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
    if stats.skipped:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(stats.skipped.items()))
        click.echo(f"skipped archive members: {reasons} (never read: a path read before, or one outside the root)")


def _mine_list(
    ctx: click.Context,
    source_list: Path,
    cache: Path,
    jobs: int | None,
    engine: str,
    ray_address: str | None,
    max_file_size: int | None,
) -> None:
    from curate.mine import MineStats
    from curate.source_list import mine_list

    def show(entry: str, outcome: str, stats: MineStats | None) -> None:
        detail = f": {stats.files} files, {stats.mined} mined, {stats.unchanged} unchanged" if stats else ""
        click.echo(f"{printable(entry)}\t{printable(outcome)}{detail}")

    with open_store(ctx) as store:
        listed = mine_list(
            store,
            source_list,
            cache=cache,
            jobs=jobs,
            on_source=show,
            engine=engine,  # type: ignore[arg-type]
            ray_address=ray_address,
            max_file_size=max_file_size,
        )
    click.echo(
        f"{len(listed.mined)} mined, {len(listed.skipped)} unchanged, {len(listed.failed)} failed "
        "(see `curate sources`)"
    )
    if listed.failed:
        raise CheckFailed(f"{len(listed.failed)} of the listed sources failed")


@click.command()
@click.option("--domain", help="Only this domain's sources.")
@json_option("Print {sources: [{source, files, failed}], unmined: [{entry, status, reason}]} (`curate schema Source`).")
@click.pass_context
def sources(ctx: click.Context, domain: str | None, as_json: bool) -> None:
    """List the mined sources, and the listed ones (`mine --from`) that failed, with why.

    \b
    Example:
      curate sources --domain shop
    """
    with open_store(ctx, read_only=True) as store:
        check_domain(store, domain)
        if as_json:
            emit_json(_sources_json(store, domain))
            return
        for source in store.sources(domain):
            files = store.files(source.name)
            failed = sum(1 for record in files if record.status != "ok")
            click.echo(
                f"{printable(source.name)}\tdomain={printable(source.domain)}\t{source.origin}"
                f"\t{len(files)} files\t{failed} failed"
                f"\tlicense={source.license or '-'}\trevision={source.revision[:12]}"
            )
        for state in store.listed().values():
            if state.status != "mined" and domain is None:
                click.echo(f"{printable(state.entry)}\t{state.status}\t{printable(state.reason or '')}")


def _sources_json(store: Store, domain: str | None) -> dict[str, Any]:
    listed = [] if domain is not None else [state for state in store.listed().values() if state.status != "mined"]
    return {
        "sources": [
            {
                "source": source,
                "files": len(records := store.files(source.name)),
                "failed": sum(1 for record in records if record.status != "ok"),
            }
            for source in store.sources(domain)
        ],
        "unmined": [{"entry": state.entry, "status": state.status, "reason": state.reason} for state in listed],
    }


@click.command()
@click.option("--source", "source_name", required=True, help="The source whose files to list.")
@click.option("--status", type=click.Choice(["ok", "failed", "skipped"]), help="Only files with this status.")
@json_option("Print the files as a JSON list of records (`curate schema FileRecord`).")
@click.pass_context
def files(ctx: click.Context, source_name: str, status: str | None, as_json: bool) -> None:
    """List a source's files with their status and, for failures, the reason.

    \b
    Example:
      curate files --source shop --status failed
    """
    with open_store(ctx, read_only=True) as store:
        check_known("source", source_name, [source.name for source in store.sources()])
        if as_json:
            emit_json(store.files(source_name, status))
            return
        for record in store.files(source_name, status):
            why = f"\t{record.reason}: {printable(record.error or '')}" if record.reason else ""
            click.echo(f"{printable(record.path)}\t{record.status}{why}")
