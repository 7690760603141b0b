"""Using what was trained: `chat` (an agent loop over curate's tools) and `serve mcp` (the tools as an
MCP server)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import click

from curate.cli_support import db_path, json_option, open_store, run_id
from curate.errors import CheckFailed, InputError

QUIT = frozenset({"exit", "quit", ":q"})


@click.command("chat")
@click.argument("words", nargs=-1, metavar="[RUN] [QUESTION]")
@click.option("--domain", required=True, help="The mined domain the questions are about.")
@click.option("--endpoint", help="An OpenAI-compatible server (e.g. http://127.0.0.1:8080) instead of RUN.")
@click.option("--model", "endpoint_model", help="The model name to ask the endpoint for (required with --endpoint).")
@click.option("--max-steps", type=click.IntRange(min=1), default=5, show_default=True, help="Model turns a question.")
@click.option(
    "--max-tokens", type=click.IntRange(min=1), default=256, show_default=True, help="Tokens a model turn may write."
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True, help="Seconds a request.")
@json_option("Print each conversation as one JSON line: the export row, its status and timings.")
@click.option("--save", is_flag=True, help="Verify each conversation as an example candidate and store it.")
@click.pass_context
def chat(
    ctx: click.Context,
    words: tuple[str, ...],
    domain: str,
    endpoint: str | None,
    endpoint_model: str | None,
    max_steps: int,
    max_tokens: int,
    timeout: float,
    as_json: bool,
    save: bool,
) -> None:
    """Ask a model about a mined domain; every tool call it makes runs on the store and its result goes
    back, until it answers. `curate chat RUN --domain D "QUESTION"` (RUN: a training run, a model folder
    or a cached hub id), or `--endpoint URL --model NAME`; no QUESTION: ask at a prompt, one a line.

    \b
    Example:
      curate chat train-phase7-0123456789ab --domain shop "Which routes take POST?"
      curate chat --endpoint http://127.0.0.1:8080 --model qwen --domain shop
    """
    from curate.chat import ChatModel, Session, converse, local_model, save_transcript, show
    from curate.endpoint import Endpoint

    model: ChatModel
    if endpoint:
        if not endpoint_model:
            raise InputError("--endpoint needs --model NAME (the model the server serves)")
        if len(words) > 1:
            raise InputError("with --endpoint, give only the question (quote it)")
        question = words[0] if words else None
        model = Endpoint(endpoint, endpoint_model, timeout=timeout, max_tokens=max_tokens)
    else:
        if not words:
            raise InputError("which model? `curate chat RUN --domain D` (or `--endpoint URL --model NAME`)")
        if len(words) > 2:
            raise InputError("give the question as one argument (quote it)")
        question = words[1] if len(words) == 2 else None
        with open_store(ctx, read_only=True) as store:
            Session(store, domain)  # an unknown domain fails before a model loads
            model = local_model(store, words[0], max_tokens=max_tokens)
    answered = True
    for asked in [question] if question is not None else _questions():
        with open_store(ctx, read_only=True) as store:
            session = Session(store, domain)
            transcript = converse(asked, model, session, max_steps=max_steps)
        answered = transcript.status == "answered"
        if as_json:
            click.echo(json.dumps(transcript.model_dump(mode="json"), ensure_ascii=False))
        else:
            show(transcript, click.echo)
        if save:
            with open_store(ctx) as store:
                verdict = save_transcript(store, transcript, run_id("chat"))
            where = (
                f"rejected at {verdict.rejection.stage}: {verdict.rejection.reason} (`curate rejections`)"
                if verdict.rejection
                else verdict.status
            )
            click.echo(f"saved example {verdict.example_id}: {where}", err=as_json)
    if question is not None and not answered:
        raise CheckFailed(f"the model did not answer ({transcript.status})")


def _questions() -> Iterator[str]:
    """Questions from standard input, one a line, until an empty input, `exit` or the end."""
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            click.echo("> ", nl=False, err=True)
        line = sys.stdin.readline()
        if not line or line.strip() in QUIT:
            return
        if line.strip():
            yield line.strip()


@click.group()
def serve() -> None:
    """Serve curate's tools to other programs.

    \b
    Example:
      curate serve mcp --domain shop
    """


@serve.command("mcp")
@click.option("--domain", "domains", multiple=True, required=True, help="A mined domain to serve (repeatable).")
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True, help="How clients connect."
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="With --transport http.")
@click.pass_context
def serve_mcp(ctx: click.Context, domains: tuple[str, ...], transport: str, port: int) -> None:
    """The tool catalog as an MCP server over stdio or streamable HTTP on localhost: read-only, scoped to
    the domains given, results paged as in examples; every call reads the store afresh.

    \b
    Example:
      curate serve mcp --domain shop --domain site --transport http --port 8765
    """
    from curate.serve_mcp import ToolServer, run_server

    server = ToolServer(db_path(ctx), list(domains))
    if transport == "http":
        click.echo(f"curate MCP server on http://127.0.0.1:{port}/mcp", err=True)
    run_server(server, transport, port)
