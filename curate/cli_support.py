"""What every command shares: where the store and the recipes are, opening the store, run ids,
JSON output, the progress bar, refusing unknown names with the closest known ones, and the options
several commands declare alike."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Protocol

import click

from curate.errors import InputError

if TYPE_CHECKING:  # the store (duckdb, pyarrow), pydantic and rich load only when a command uses them
    from rich.console import Console

    from curate.store import Store

DEFAULT_DB = "data/curate.duckdb"
stderr: Console | None = None
"""Where progress bars go (a test may set a console); None: a console on stderr, made when needed."""


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
    """One JSON document on stdout; records (pydantic models, dataclasses) are written as their fields."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=plain))


def plain(value: Any) -> Any:
    """What `json` cannot write itself: a record as its fields, a path as a string, a set sorted."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def check_known(kind: str, name: str | None, names: Iterable[str], *, hint: str | None = None) -> None:
    """Refuse a `kind` named `name` that is not among `names` (exit 2), saying the closest known ones;
    when none is close, the `hint`, else the known ones. `None` (not asked for) passes."""
    if name is None:
        return
    known = sorted(set(names))
    if name in known:
        return
    close = difflib.get_close_matches(name, known, n=3)
    if close:
        say = " (did you mean " + " or ".join(repr(each) for each in close) + "?)"
    elif hint is None:
        say = (
            " (known: " + (", ".join(known[:12]) + (", ..." if len(known) > 12 else "") if known else "none yet") + ")"
        )
    else:
        say = ""  # the hint says where to look
    raise InputError(f"no {kind} {name!r}{say}", hint=hint)


def check_domain(store: Store, domain: str | None) -> None:
    """A domain is known when a source was mined into it, or examples were made or imported for it."""
    if domain is not None:
        check_known("domain", domain, [*store.domains(), *store.example_domains()])


def check_mix(ctx: click.Context, name: str | None) -> None:
    """A mix is known when its recipe is in the recipes folder."""
    from curate.mix import recipe_names

    if name is not None:
        folder = mixes_dir(ctx)
        check_known("mix", name, recipe_names(folder), hint=None if folder.is_dir() else f"no recipes folder {folder}")


def check_runs(store: Store, run_names: Iterable[str]) -> None:
    """Every name is a recorded training run."""
    known = [run.run_id for run in store.train_runs()]
    for name in run_names:
        check_known("training run", name, known, hint="`curate runs` lists them")


DEFAULT_MIXES = "data/mixes"
DEFAULT_EXPORTS = "data/exports"


def mixes_dir(ctx: click.Context) -> Path:
    explicit = ctx.find_root().params.get("mixes")
    return Path(explicit or os.environ.get("CURATE_MIXES") or DEFAULT_MIXES)


def run_id(command: str) -> str:
    return f"{command}-{uuid.uuid4().hex[:12]}"


class Bar(Protocol):
    """What commands do with a progress bar: rich's `Progress`, or `Unshown`."""

    def add_task(self, description: str, *, total: float | None = ...) -> Any: ...

    def update(self, task_id: Any, *, total: float | None = ..., completed: float | None = ...) -> None: ...


class Unshown:
    """The bar where none can be drawn: its calls do nothing, and rich is not loaded for it (it costs
    a warm re-mine as much as duckdb does)."""

    def add_task(self, description: str, *, total: float | None = None) -> int:
        return 0

    def update(self, task_id: Any, *, total: float | None = None, completed: float | None = None) -> None:
        return None


def surely_unshown(shown: bool) -> bool:
    """No bar would be drawn: not asked for, or stderr is no terminal and nothing tells rich to draw
    anyway (`FORCE_COLOR`, `TTY_COMPATIBLE`, a console a test set). Where unsure, rich decides."""
    if not shown:
        return True
    forced = {"FORCE_COLOR", "TTY_COMPATIBLE"} & set(os.environ)
    try:
        terminal = bool(sys.stderr and sys.stderr.isatty())
    except ValueError:  # closed: no terminal, as rich says too
        terminal = False
    return stderr is None and not forced and not terminal


@contextmanager
def progress_bar(*, shown: bool = True) -> Iterator[Bar]:
    """A progress bar on stderr (a task with `total=None` is a pulsing bar with the time elapsed);
    drawn only when stderr is a terminal and `shown` (commands pass `not as_json`), and gone when done."""
    if surely_unshown(shown):
        yield Unshown()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr if stderr is not None else Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (shown and console.is_terminal),
        # what a command prints meanwhile goes above the bar only when it goes to the terminal too;
        # redirected, stdout keeps it (rich would send it to the bar's stream)
        redirect_stdout=sys.stdout.isatty(),
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
