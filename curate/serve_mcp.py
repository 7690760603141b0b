"""`curate serve mcp`: the tool catalog as an MCP server (the `mcp` SDK's low-level server), over
stdio or streamable HTTP on localhost.

- Each tool is listed with the name, description and JSON Schema of the one catalog (`catalog()`),
  so a client sees what `curate tool list` prints and what training examples offer. Served for one
  domain, the schemas are the catalog's exactly; served for several, each tool also takes `domain`
  (one of them; by default the first whose language the tool reads).
- Read-only: the store is opened read-only for each call and closed after it, so a `curate mine`
  that runs while the server is up is seen by the next call without a restart (a call that comes
  while the mine is writing is told the store is busy).
- Results are paged exactly as in examples (`DEFAULT_LIMIT` matches) and carried as the bytes a
  `tool` turn carries (`result_content`), with the same object as structured content.
- An unknown tool is a protocol error (invalid params); bad arguments, an unknown path or any other
  error the tool reports is a tool result with `isError` and curate's one-line message, which a
  model can read and correct.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from curate.errors import CurateError, InputError, StoreBusyError
from curate.store import Store
from curate.synth import domain_languages
from curate.tools import DEFAULT_LIMIT, TOOLS, Executor, catalog, result_content

BUSY_RETRIES = 10
BUSY_WAIT = 0.2
"""A call that finds the store locked by a writer tries again for about two seconds."""


@dataclass(frozen=True)
class ServedTool:
    name: str
    description: str
    schema: dict[str, Any]
    default_domain: str


class ToolServer:
    """What the MCP server serves, without the protocol: the tools' specs for the domains served,
    and one call at a time run against a freshly opened read-only store."""

    def __init__(self, db: str, domains: list[str]) -> None:
        if not domains:
            raise InputError("serve at least one --domain")
        self.db = db
        self.domains = list(dict.fromkeys(domains))
        with self.open() as store:
            languages = {domain: domain_languages(Executor(store, domain)) for domain in self.domains}
        self.tools: dict[str, ServedTool] = {}
        for spec in catalog():
            function = spec["function"]
            tool = TOOLS[function["name"]]
            fitting = [domain for domain in self.domains if languages[domain] & tool.languages]
            default = (fitting or self.domains)[0]
            schema = function["parameters"]
            if len(self.domains) > 1:
                schema = with_domain(schema, self.domains, default)
            self.tools[tool.name] = ServedTool(tool.name, function["description"], schema, default)

    def open(self) -> Store:
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return Store.open(self.db, read_only=True)
            except StoreBusyError:
                if attempt == BUSY_RETRIES:
                    raise
                time.sleep(BUSY_WAIT)
        raise AssertionError("unreachable")

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """The result as a tool turn carries it; raises `CurateError` for what the caller got wrong."""
        served = self.tools[name]
        arguments = dict(arguments)
        domain = arguments.pop("domain", served.default_domain) if len(self.domains) > 1 else served.default_domain
        if domain not in self.domains:
            raise InputError(f"domain {domain!r} is not served here (served: {', '.join(self.domains)})")
        with self.open() as store:
            return result_content(Executor(store, str(domain))(name, arguments, DEFAULT_LIMIT))


def with_domain(schema: dict[str, Any], domains: list[str], default: str) -> dict[str, Any]:
    """The tool's schema with a `domain` property, for a server of several domains."""
    domain = {
        "type": "string",
        "enum": domains,
        "default": default,
        "description": f"The mined domain to answer from (default: {default}).",
    }
    return {**schema, "properties": {**schema.get("properties", {}), "domain": domain}}


def mcp_server(tools: ToolServer) -> Any:
    """The MCP server over `tools` (the SDK is imported here: the rest of curate works without it)."""
    import anyio
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    listed = types.ListToolsResult(
        tools=[
            types.Tool(
                name=tool.name,
                description=tool.description,
                input_schema=tool.schema,
                annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
            )
            for tool in tools.tools.values()
        ]
    )

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return listed

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in tools.tools:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"no such tool {params.name!r} (known: {', '.join(sorted(tools.tools))})",
            )
        try:
            content = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments or {})
        except CurateError as error:
            return types.CallToolResult(content=[types.TextContent(text=str(error))], is_error=True)
        return types.CallToolResult(content=[types.TextContent(text=content)], structured_content=json.loads(content))

    from importlib.metadata import version

    return Server(
        "curate",
        version=version("curate"),
        instructions=f"Tools over the mined facts of: {', '.join(tools.domains)}. Read-only.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def run_server(tools: ToolServer, transport: str, port: int) -> None:
    """Serve until the client goes (stdio) or the process is stopped (HTTP, on 127.0.0.1 only)."""
    import anyio

    server = mcp_server(tools)
    if transport == "http":
        import uvicorn

        app = server.streamable_http_app(host="127.0.0.1")
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return

    from mcp.server.stdio import stdio_server

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(serve)
