"""The `curate` command line: a few lines per command over the library. The root group, the small
commands and the error handling are here; the commands of each stage are in `cli_mining`,
`cli_examples`, `cli_curation`, `cli_training` and `cli_chat`.

`main(argv) -> int` never raises for expected failures: it prints `curate: error: ...` on one line
and returns 2 for bad input, 1 for a failed check. `--debug` shows tracebacks instead. A bare
`curate` (or `curate mix`, any group) prints the help and exits 0; every command's help ends with an
example (a test walks them all).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from curate import cli_chat, cli_curation, cli_examples, cli_mining, cli_training
from curate.cli_support import DEFAULT_DB, DEFAULT_EXPORTS, emit_json, json_option, mixes_dir, open_store
from curate.errors import CheckFailed, CurateError, InputError
from sources.names import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False), help=f"The store (default: $CURATE_DB, else {DEFAULT_DB}).")
@click.option(
    "--mixes", type=click.Path(file_okay=False), help="The recipes folder (default: $CURATE_MIXES, else data/mixes)."
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="curate", prog_name="curate", message="%(prog)s %(version)s")
def cli(db: str | None, mixes: str | None, debug: bool) -> None:
    """curate: real code in, training data for tool-using code assistants out.

    \b
    Example:
      curate quickstart
      curate mine path/to/project --domain myproject && curate synth --domain myproject --n 200
    """


@cli.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schemas of curate's records (or of one, by name): the shapes `--json` prints.

    \b
    Example:
      curate schema Example
    """
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
    """The tool catalog: list it, or call a tool against a mined domain.

    \b
    Example:
      curate tool list
    """


@tool.command("list")
def tool_list() -> None:
    """Print the catalog as the JSON `tools` list of a chat request.

    \b
    Example:
      curate tool list > tools.json
    """
    from curate.tools import catalog

    emit_json(catalog())


def _default_limit() -> int:
    """The page size training examples are made with (imported when needed: the CLI starts faster)."""
    from curate.tools import DEFAULT_LIMIT

    return DEFAULT_LIMIT


@tool.command("call")
@click.argument("name")
@click.option("--domain", required=True, help="The mined domain to answer from.")
@click.option("--args", "arguments", default="{}", help="The arguments, as a JSON object.")
@click.option(
    "--limit",
    type=int,
    default=_default_limit,
    help="At most this many matches (0: all; default: 20, as in training examples).",
)
@click.pass_context
def tool_call(ctx: click.Context, name: str, domain: str, arguments: str, limit: int) -> None:
    """Call a tool and print its result as JSON.

    \b
    Example:
      curate tool call find_routes --domain shop --args '{"method": "POST"}'
    """
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


@cli.group()
def report() -> None:
    """Comparison tables.

    \b
    Example:
      curate report mixes
    """


@cli.command()
@click.option(
    "--outputs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folders of exports and runs to check (default: data/exports and data/runs).",
)
@click.option("--clean", is_flag=True, help="Remove the leftovers of killed processes.")
@json_option("Print what was checked, the problems and the leftovers as JSON.")
@click.pass_context
def doctor(ctx: click.Context, outputs: tuple[Path, ...], clean: bool, as_json: bool) -> None:
    """Check the store's integrity, the lockfiles and every export; exit 1 if anything is damaged.

    \b
    Example:
      curate doctor --outputs data/exports --clean
    """
    from curate.doctor import clean as remove
    from curate.doctor import diagnose

    with open_store(ctx, read_only=True) as store:
        found = diagnose(store, mixes_dir(ctx), outputs or (Path(DEFAULT_EXPORTS), Path("data/runs")))
    if as_json:
        removed = remove(found.leftovers) if clean and found.leftovers else 0
        emit_json(
            {
                "healthy": found.healthy,
                "checked": found.checked,
                "problems": found.problems,
                "leftovers": [str(path) for path in found.leftovers],
                "removed": removed,
            }
        )
        if not found.healthy:
            raise CheckFailed(f"{len(found.problems)} problems")
        return
    for checked in found.checked:
        click.echo(f"checked {checked}")
    for note in found.notes:
        click.echo(f"note {note}")
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
    """The main job on embedded defaults: mine, answer, synthesize, verify, dedup, build mixes, export.

    \b
    Example:
      curate quickstart && curate mix list
    """
    from curate.quickstart import run_quickstart

    with open_store(ctx) as store:
        for line in run_quickstart(store, mixes_dir(ctx), Path(DEFAULT_EXPORTS)):
            click.echo(line)


for command in (
    cli_mining.mine,
    cli_mining.sources,
    cli_mining.files,
    cli_examples.synth,
    cli_examples.intents,
    cli_examples.examples,
    cli_examples.validate,
    cli_examples.dedup,
    cli_examples.rejections,
    cli_examples.import_command,
    cli_curation.mix,
    cli_curation.audit,
    cli_curation.export_command,
    cli_training.train_command,
    cli_training.fuse_command,
    cli_training.eval_command,
    cli_training.runs,
    cli_training.demo,
    cli_chat.chat,
    cli_chat.serve,
):
    cli.add_command(command)
report.add_command(cli_curation.report_mixes)
report.add_command(cli_training.report_phases)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="curate", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code or 0)
    except click.exceptions.NoArgsIsHelpError as bare:  # `curate`, `curate mix`: asking for the help
        click.echo(bare.ctx.get_help() if bare.ctx else bare.format_message())
        return 0
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
        click.echo(f"curate: error: {printable(str(error))}", err=True)  # one line, whatever a path held
        return error.exit_code
    except Exception as error:  # the last line of defence: one line, not a traceback
        if debug:
            raise
        click.echo(f"curate: error: internal error: {type(error).__name__}: {error} (rerun with --debug)", err=True)
        return 1
    return 0


def run() -> None:
    sys.exit(main())
