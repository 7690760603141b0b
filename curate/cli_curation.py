"""The curation half of the command line: `mix` (list, show, build, diff), `audit`, `export`,
`report mixes`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from curate.cli_support import (
    check_domain,
    check_mix,
    emit_json,
    json_option,
    mixes_dir,
    only_domain_option,
    open_store,
    progress_bar,
    tokenizer_option,
)
from curate.errors import CheckFailed, InputError


@click.group()
def mix() -> None:
    """Mixture recipes (`data/mixes/NAME.toml`): build lockfiles, compare them.

    \b
    Example:
      curate mix build phase7 && curate mix diff phase6 phase7
    """


@mix.command("list")
@json_option("Print a JSON list: each recipe's name, whether it is built and its counts (`curate schema MixCounts`).")
@click.pass_context
def mix_list(ctx: click.Context, as_json: bool) -> None:
    """List the recipes, and whether each is built.

    \b
    Example:
      curate mix list --json
    """
    from curate.mix import lock_path, read_lockfile, recipe_names

    folder = mixes_dir(ctx)
    if as_json:
        built = {name: lock_path(folder, name).exists() for name in recipe_names(folder)}
        emit_json(
            [
                {"name": name, "built": done, "counts": read_lockfile(folder, name).counts if done else None}
                for name, done in built.items()
            ]
        )
        return
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
    """Print a recipe resolved (extends applied, defaults filled in) and its lockfile's counts, as JSON.

    \b
    Example:
      curate mix show phase7
    """
    from curate.mix import lock_path, read_lockfile, resolve

    check_mix(ctx, name)
    folder = mixes_dir(ctx)
    shown: dict[str, Any] = {"recipe": resolve(folder, name).model_dump(mode="json")}
    if lock_path(folder, name).exists():
        lockfile = read_lockfile(folder, name)
        shown["lock"] = {"recipe_hash": lockfile.recipe_hash, "counts": lockfile.counts.model_dump()}
    emit_json(shown)


@mix.command("build")
@click.argument("name")
@json_option("Print {name, lockfile, counts, excluded} as JSON, or {name, lockfile: null, deficit: [...]}.")
@click.pass_context
def mix_build(ctx: click.Context, name: str, as_json: bool) -> None:
    """Resolve a recipe against the store and write NAME.lock.json; exit 1 with a deficit report if it cannot.

    \b
    Example:
      curate mix build phase7
    """
    from curate.mix import MixDeficit, build, write_lockfile

    check_mix(ctx, name)
    folder = mixes_dir(ctx)
    with open_store(ctx, read_only=True) as store:
        try:
            lockfile = build(store, folder, name)
        except MixDeficit as deficit:
            if as_json:
                emit_json({"name": name, "lockfile": None, "deficit": list(deficit.lines)})
                raise
            click.echo(f"deficit report for {name} (nothing written):")
            for line in deficit.lines:
                click.echo(f"  {line}")
            raise
    path = write_lockfile(folder, lockfile)
    counts = lockfile.counts
    if as_json:
        emit_json({"name": name, "lockfile": path, "counts": counts, "excluded": len(lockfile.excluded)})
        return
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
@json_option("Print {before, after, added, removed, moved, drift} as JSON (ids by split; shares as fractions).")
@click.pass_context
def mix_diff(ctx: click.Context, before: str, after: str, as_json: bool) -> None:
    """What changed from one built mix to another: examples added and removed, and every share's drift.

    \b
    Example:
      curate mix diff phase6 phase7
    """
    from curate.mix import diff, read_lockfile, render_diff

    check_mix(ctx, before)
    check_mix(ctx, after)
    folder = mixes_dir(ctx)
    with open_store(ctx, read_only=True) as store:
        result = diff(store, read_lockfile(folder, before), read_lockfile(folder, after))
    if as_json:
        emit_json(result)
        return
    click.echo(render_diff(result, before, after), nl=False)


@click.command()
@click.option("--mix", "mix_name", help="Audit this built mix (default: every example in the store).")
@only_domain_option
@click.option("--policy", type=click.Path(dir_okay=False, path_type=Path), help="Targets to check (TOML).")
@json_option("Print the report as JSON.")
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
    """Audit balance: shares by domain, kind, intent, tool, template, split, source, shape, calls; pairs; lengths;
    rejections.

    \b
    Example:
      curate audit --mix phase7 --policy policy.toml --html audit.html
    """
    from curate.audit import audit_scope, load_policy, render_text
    from curate.audit_html import render_html
    from curate.files import atomic_write

    check_mix(ctx, mix_name)
    rules = load_policy(policy) if policy else None
    with open_store(ctx, read_only=True) as store:
        check_domain(store, domain)
        report = audit_scope(store, mixes_dir(ctx), mix_name=mix_name, domain=domain, tokenizer=tokenizer, policy=rules)
    if html_path:
        atomic_write(html_path, render_html(report))
    click.echo(report.model_dump_json(indent=2) if as_json else render_text(report), nl=as_json)
    if report.violations:
        raise CheckFailed(f"{len(report.violations)} policy violations")


@click.command("export")
@click.argument("name")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["mlx", "hf", "parquet", "hermes", "sharegpt"]),
    default="mlx",
    show_default=True,
    help="hermes, sharegpt (LLaMA-Factory): whole conversations, one a row (their trainers mask by role).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="The folder to write.")
@click.option(
    "--turns",
    type=click.Choice(["each", "last", "first", "opening"]),
    default="each",
    show_default=True,
    help="each: one row per assistant turn (mlx-lm trains the last message); last: whole conversations;"
    " first: each conversation up to its first assistant turn (the call/no-call decision); opening: first, with"
    " an answer in words cut to its first sentence. mlx, hf and parquet only.",
)
@click.option(
    "--tokenizer",
    type=click.Path(file_okay=False, path_type=Path),
    help="A model folder whose tokenizer and chat template the round trip uses (default: a small one built here).",
)
@click.option(
    "--push-to-hub",
    "repo",
    metavar="OWNER/NAME",
    help="With --format hf: upload the folder as this Hugging Face dataset (a token: HF_TOKEN or `hf auth login`).",
)
@json_option("Print the export's manifest (the manifest.json written into --out) as JSON.")
@click.pass_context
def export_command(
    ctx: click.Context,
    name: str,
    format_: str,
    out: Path,
    turns: str,
    tokenizer: Path | None,
    repo: str | None,
    as_json: bool,
) -> None:
    """Write a built mix as mlx-lm JSONL, a Hugging Face dataset, Parquet, Hermes or ShareGPT rows, and
    check it round-trips.

    \b
    Example:
      curate export phase7 --format mlx --out data/exports/phase7
    """
    from curate import hub
    from curate.export import export
    from train.roundtrip import check_export
    from train.tokenizer import build_tokenizer

    check_mix(ctx, name)
    if repo is not None and format_ != "hf":
        raise InputError("--push-to-hub uploads an hf export", hint="add --format hf")
    api = hub.ready_to_push(repo) if repo is not None else None
    with open_store(ctx, read_only=True) as store, progress_bar(shown=not as_json) as progress:
        progress.add_task(f"exporting {name} ({format_}) and checking the round trip", total=None)
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
    pushed = (
        hub.push(api, out, repo, f"curate export {name} (lockfile sha256 {manifest['lockfile_sha256'][:12]})")
        if repo is not None
        else None
    )
    if as_json:
        emit_json(manifest)
        return
    rows = ", ".join(f"{split} {count}" for split, count in manifest["rows"].items())
    trip = manifest["round_trip"]
    click.echo(
        f"{name} -> {out} ({format_}, turns={manifest['turns']}): {rows} rows; round trip through mlx-lm: "
        f"{trip['rows']} rows, {trip['calls']} tool calls parsed back"
    )
    if pushed is not None:
        click.echo(f"pushed {out} to https://huggingface.co/datasets/{repo} ({pushed})")


@click.command("mixes")
@json_option("Print a JSON list, a record a mix (name, examples, domains, tool_call_share, split sizes, mean_tokens).")
@click.pass_context
def report_mixes(ctx: click.Context, as_json: bool) -> None:
    """Built mixes side by side: examples, domains, kind ratio, split sizes, mean tokens.

    \b
    Example:
      curate report mixes
    """
    from curate.report import mix_rows, render_mixes

    unreadable: list[str] = []
    with open_store(ctx, read_only=True) as store:
        rows = mix_rows(store, mixes_dir(ctx), unreadable)
    for why in unreadable:
        click.echo(f"curate: warning: left out {why}", err=True)
    if not rows and unreadable:
        raise InputError(
            f"none of the {len(unreadable)} built mixes reads", hint="rebuild them: `curate mix build NAME`"
        )
    if not rows:
        raise InputError("no mix is built yet", hint="run `curate mix build NAME`")
    if as_json:
        emit_json(rows)
        return
    click.echo(render_mixes(rows), nl=False)
