"""What every command shares: where the store and the recipes are, opening the store, run ids,
JSON output, the progress bar, and the options several commands declare alike."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the store (duckdb, pyarrow) and rich load only when a command uses them
    from rich.progress import Progress

    from curate.store import Store

DEFAULT_DB = "data/curate.duckdb"


def db_path(ctx: click.Context) -> str:
    explicit = ctx.find_root().params.get("db")
    return str(explicit or os.environ.get("CURATE_DB") or DEFAULT_DB)


@contextmanager
def open_store(ctx: click.Context, *, read_only: bool = False) -> Iterator[Store]:
    from curate.store import Store

    store = Store.open(db_path(ctx), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


DEFAULT_MIXES = "data/mixes"
DEFAULT_EXPORTS = "data/exports"


def mixes_dir(ctx: click.Context) -> Path:
    explicit = ctx.find_root().params.get("mixes")
    return Path(explicit or os.environ.get("CURATE_MIXES") or DEFAULT_MIXES)


def run_id(command: str) -> str:
    return f"{command}-{uuid.uuid4().hex[:12]}"


@contextmanager
def progress_bar() -> Iterator[Progress]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    stderr = Console(stderr=True)
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


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

only_domain_option = click.option("--domain", help="Only this domain.")
max_tokens_option = click.option(
    "--max-tokens", type=click.IntRange(min=1), default=4096, show_default=True, help="Length stage: the token budget."
)
tokenizer_option = click.option(
    "--tokenizer", help="Count tokens with this tokenizer.json (or a model folder); default: an estimate."
)


def json_option(help: str) -> Decorator:
    """`--json`, which the commands that print a summary or a listing take, as `as_json`."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def engine_options(help: str) -> Decorator:
    """`--engine local|ray` (what runs on Ray is the command's `help`) and `--ray-address`."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--ray-address", help="A Ray cluster to use (default: start a local Ray runtime).")(
            command
        )
        return click.option(
            "--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True, help=help
        )(command)

    return decorate


def token_counter(tokenizer: str | None) -> Callable[[str], int]:
    """Counting with `--tokenizer`'s tokenizer, else the estimate."""
    from curate.verify import estimate_tokens, tokenizer_counter

    return tokenizer_counter(tokenizer) if tokenizer else estimate_tokens
