"""What every command shares: where the store and the recipes are, opening the store, run ids,
JSON output and the progress bar."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


DEFAULT_MIXES = "data/mixes"
DEFAULT_EXPORTS = "data/exports"


def mixes_dir(ctx: click.Context) -> Path:
    explicit = ctx.find_root().params.get("mixes")
    return Path(explicit or os.environ.get("CURATE_MIXES") or DEFAULT_MIXES)


def run_id(command: str) -> str:
    return f"{command}-{uuid.uuid4().hex[:12]}"


@contextmanager
def progress_bar() -> Iterator[Progress]:
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
