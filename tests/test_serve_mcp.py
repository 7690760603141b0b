"""`curate serve mcp` driven by the `mcp` SDK's own client: over stdio against the real `curate serve
mcp` subprocess, and over streamable HTTP on loopback. It lists the catalog's tools, answers every
tool with what `curate tool call` prints, reports bad arguments clearly, and sees a re-mine at once."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from curate.cli import main
from curate.tools import catalog
from tests.conftest import REPO, SAMPLE

SITE = REPO / "data" / "samples" / "html" / "site"
T = TypeVar("T")

PYTHON_CALLS: dict[str, dict[str, Any]] = {
    "find_symbols": {"kind": "async_function"},
    "find_routes": {},
    "find_form_handlers": {},
    "find_fixtures": {},
    "find_cli_commands": {},
    "find_services": {},
    "find_tests": {},
    "find_imports": {"module": "fastapi"},
    "read_symbol": {"qualname": "index"},
    "search_text": {"pattern": "FastAPI"},
}
HTML_CALLS: dict[str, dict[str, Any]] = {
    "find_form_handlers": {},
    "search_text": {"pattern": "label"},
    "query_html": {"selector": "form"},
    "find_forms": {},
    "find_tables": {},
    "html_outline": {"path": "index.html"},
    "find_landmarks": {},
    "check_accessibility": {},
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "mcp.duckdb"
    for source, domain in ((SAMPLE, "shop"), (SITE, "site")):
        assert main(["--db", str(path), "mine", str(source), "--domain", domain, "--jobs", "1"]) == 0
    return path


def cli_call(db: Path, capsys: pytest.CaptureFixture[str], domain: str, name: str, arguments: dict[str, Any]) -> Any:
    capsys.readouterr()
    code = main(["--db", str(db), "tool", "call", name, "--domain", domain, "--args", json.dumps(arguments)])
    out = capsys.readouterr().out
    assert code == 0, (name, out)
    return json.loads(out)


@asynccontextmanager
async def stdio_session(db: Path, *domains: str) -> AsyncIterator[ClientSession]:
    flags = [item for domain in domains for item in ("--domain", domain)]
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "curate", "--db", str(db), "serve", "mcp", *flags], cwd=str(REPO)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def run(work: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        with anyio.fail_after(120):  # nothing hangs: a stuck server fails the test
            return await work()

    return anyio.run(bounded)


def text_of(result: Any) -> str:
    (content,) = result.content
    return str(content.text)


def test_one_domain_lists_the_catalog_and_answers_as_curate_tool_call(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def work() -> tuple[Any, dict[str, Any], Any, Any]:
        async with stdio_session(db, "shop") as session:
            listed = await session.list_tools()
            results = {name: await session.call_tool(name, args) for name, args in PYTHON_CALLS.items()}
            bad = await session.call_tool("find_routes", {"method": 5})
            extra = await session.call_tool("find_routes", {"domain": "site"})
            with pytest.raises(MCPError, match="no such tool 'find_everything'"):
                await session.call_tool("find_everything", {})
            return listed, results, bad, extra

    listed, results, bad, extra = run(work)
    specs = [tool["function"] for tool in catalog()]
    assert [tool.name for tool in listed.tools] == [spec["name"] for spec in specs]
    assert [tool.input_schema for tool in listed.tools] == [spec["parameters"] for spec in specs]
    assert [tool.description for tool in listed.tools] == [spec["description"] for spec in specs]
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in listed.tools)
    for name, result in results.items():
        expected = cli_call(db, capsys, "shop", name, PYTHON_CALLS[name])
        assert not result.is_error, (name, text_of(result))
        assert json.loads(text_of(result)) == expected == result.structured_content, name
        assert expected["total"] > 0 or name == "find_form_handlers", name
    assert bad.is_error and text_of(bad).startswith("tool find_routes: method: Input should be")
    assert extra.is_error and text_of(extra).startswith("tool find_routes: domain: Extra inputs are not permitted")


def test_several_domains_take_a_domain_argument(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def work() -> tuple[Any, dict[str, Any], Any, Any]:
        async with stdio_session(db, "shop", "site") as session:
            listed = await session.list_tools()
            results = {
                name: await session.call_tool(name, {**args, "domain": "site"}) for name, args in HTML_CALLS.items()
            }
            default = await session.call_tool("find_routes", {})
            elsewhere = await session.call_tool("find_routes", {"domain": "typer"})
            return listed, results, default, elsewhere

    listed, results, default, elsewhere = run(work)
    specs = {tool["function"]["name"]: tool["function"]["parameters"] for tool in catalog()}
    for tool in listed.tools:
        domain = tool.input_schema["properties"].pop("domain")
        assert tool.input_schema == specs[tool.name]
        assert domain["enum"] == ["shop", "site"]
        assert domain["default"] == ("site" if tool.name in HTML_CALLS and tool.name not in PYTHON_CALLS else "shop")
    for name, result in results.items():
        assert json.loads(text_of(result)) == cli_call(db, capsys, "site", name, HTML_CALLS[name]), name
    assert json.loads(text_of(default)) == cli_call(db, capsys, "shop", "find_routes", {})
    assert elsewhere.is_error and "typer" in text_of(elsewhere)


def test_a_mine_while_the_server_is_up_is_seen_by_the_next_call(tmp_path: Path) -> None:
    tree = shutil.copytree(SAMPLE, tmp_path / "shop")
    db = tmp_path / "live.duckdb"
    assert main(["--db", str(db), "mine", str(tree), "--domain", "shop", "--jobs", "1"]) == 0

    async def work() -> tuple[Any, Any]:
        async with stdio_session(db, "shop") as session:
            before = await session.call_tool("find_routes", {"route": "/added"})
            (tree / "src" / "shop" / "added.py").write_text(
                "from shop.app import app\n\n\n@app.get('/added')\nasync def added():\n    return {}\n"
            )
            code = await anyio.to_thread.run_sync(
                main, ["--db", str(db), "mine", str(tree), "--domain", "shop", "--jobs", "1"]
            )
            assert code == 0
            after = await session.call_tool("find_routes", {"route": "/added"})
            return before, after

    before, after = run(work)
    assert json.loads(text_of(before))["total"] == 0
    found = json.loads(text_of(after))
    assert found["total"] == 1 and found["matches"][0]["path"] == "src/shop/added.py"


def test_an_unknown_domain_is_one_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", str(db), "serve", "mcp", "--domain", "shop", "--domain", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("curate: error: no domain 'nowhere' in the store (domains: ") and err.count("\n") == 1


@pytest.mark.slow
def test_streamable_http_on_localhost(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "curate", "--db", str(db), "serve", "mcp", "--domain", "shop"]
    process = subprocess.Popen(
        [*command, "--transport", "http", "--port", str(port)], cwd=REPO, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not listen in 60 s"
                time.sleep(0.2)

        async def work() -> tuple[Any, Any]:
            async with (
                streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await session.list_tools(), await session.call_tool("find_fixtures", {})

        listed, result = run(work)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert [tool.name for tool in listed.tools] == [tool["function"]["name"] for tool in catalog()]
    assert json.loads(text_of(result)) == cli_call(db, capsys, "shop", "find_fixtures", {})
