"""The Python tools: symbols, routes and the forms they handle, fixtures, CLI commands, services, tests,
imports, source and text.

Each reads the facts the Python extractor stored (or the stored file text) and answers with matches
that open with `path` and `line`. Declared in `PYTHON_TOOLS`, in catalog order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from curate.store import LineMatch, LineSearch
from curate.tools.context import Flags, Matches, ToolContext, details, fact_rows, glob, path_filter, where
from curate.tools.links import Links
from curate.tools.toolset import Page, Toolset
from schemas import Fact
from schemas import tool as schema

MAX_SOURCE_CHARS = 20_000
MAX_LINE_CHARS = 240

PYTHON_TOOLS = Toolset("python")


def _symbol_kind(fact: Fact) -> str:
    if fact.kind != "function":
        return fact.kind
    prefix = "async_" if fact.detail["is_async"] else ""
    return prefix + ("method" if fact.detail["is_method"] else "function")


SYMBOL_KINDS: dict[str, tuple[str, Flags]] = {
    "function": ("function", {"is_method": False}),
    "async_function": ("function", {"is_async": True}),
    "method": ("function", {"is_method": True}),
    "async_method": ("function", {"is_method": True, "is_async": True}),
    "generator": ("function", {"is_generator": True}),
    "class": ("class", {}),
    "dataclass": ("class", {"is_dataclass": True}),
    "pydantic_model": ("class", {"is_pydantic_model": True}),
    "enum": ("class", {"is_enum": True}),
    "protocol": ("class", {"is_protocol": True}),
    "exception": ("class", {"is_exception": True}),
    "module": ("module", {}),
}
"""Each kind `find_symbols` takes: the fact kind it is, and the flags of the detail that tell it."""
CLASS_KINDS = frozenset({"class", "dataclass", "pydantic_model", "enum", "protocol", "exception"})


def _decorated(fact: Fact, pattern: str | None) -> bool:
    if pattern is None:
        return True
    for decorator in fact.detail.get("decorators", []):
        written = decorator["written"]
        names = (written, written.split("(", 1)[0], decorator["resolved"])
        if any(glob(name, pattern) for name in names if name):
            return True
    return False


def _based(fact: Fact, pattern: str | None) -> bool:
    if pattern is None:
        return True
    names = [*fact.detail.get("bases", []), *fact.detail.get("resolved_bases", [])]
    return any(glob(name, pattern) for name in names if name)


def _signature(fact: Fact) -> str:
    if fact.kind == "function":
        prefix = "async def" if fact.detail["is_async"] else "def"
        return f"{prefix} {fact.name}{fact.detail['signature']}"
    if fact.kind == "class":
        bases = ", ".join(fact.detail["bases"])
        return f"class {fact.name}({bases})" if bases else f"class {fact.name}"
    return f"module {fact.qualname}"


def _symbol(fact: Fact) -> dict[str, Any]:
    return {"name": fact.name, "qualname": fact.qualname, "kind": _symbol_kind(fact), "signature": _signature(fact)}


@PYTHON_TOOLS.tool(schema.FindSymbolsArgs)
def find_symbols(ctx: ToolContext, args: schema.FindSymbolsArgs) -> Matches:
    if args.base is not None and args.kind not in CLASS_KINDS:
        raise ValueError("base applies to class kinds only")
    kind, flags = SYMBOL_KINDS[args.kind]

    def keep(fact: Fact) -> bool:
        return glob(fact.name, args.name) and _decorated(fact, args.decorator) and _based(fact, args.base)

    return fact_rows(ctx, kind, args.path, _symbol, keep, flags=flags)


def _route(fact: Fact, links: Links, shown: str) -> dict[str, Any]:
    row = {"name": fact.name, **details(fact, "methods", "route", "framework")}
    for key in ("response", "template"):
        if fact.detail.get(key):
            row[key] = fact.detail[key]
    template_path = links.template_path(shown, fact.detail.get("template"))
    if template_path is not None:
        row["template_path"] = template_path
    return row


@PYTHON_TOOLS.tool(schema.FindRoutesArgs)
def find_routes(ctx: ToolContext, args: schema.FindRoutesArgs) -> Matches:
    def keep(fact: Fact) -> bool:
        return (
            (args.method is None or args.method in fact.detail["methods"])
            and glob(fact.detail["route"], args.route)
            and (args.framework is None or fact.detail["framework"] == args.framework)
            and (args.response is None or fact.detail.get("response") == args.response)
        )

    links = Links(ctx)
    return [
        {"path": shown, "line": item.fact.line, **_route(item.fact, links, shown)}
        for shown, item in where(ctx, args.path, "route")
        if keep(item.fact)
    ]


@PYTHON_TOOLS.tool(schema.FindFormHandlersArgs, also=("html",))
def find_form_handlers(ctx: ToolContext, args: schema.FindFormHandlersArgs) -> Matches:
    links = Links(ctx)
    return [
        {
            "path": shown,
            "line": item.fact.line,
            **details(item.fact, "action", "method"),
            **links.handlers(shown, item.fact, args.framework),
        }
        for shown, item in where(ctx, args.path, "form")
    ]


def _fixture(fact: Fact) -> dict[str, Any]:
    return {"name": fact.name, **details(fact, "function", "scope", "autouse")}


@PYTHON_TOOLS.tool(schema.FindFixturesArgs)
def find_fixtures(ctx: ToolContext, args: schema.FindFixturesArgs) -> Matches:
    def keep(fact: Fact) -> bool:
        return glob(fact.name, args.name) and (args.scope is None or fact.detail["scope"] == args.scope)

    return fact_rows(ctx, "fixture", args.path, _fixture, keep)


def _named(fact: Fact, key: str, pattern: str | None) -> bool:
    """The glob matches the name in the fact's detail under `key`, or the fact's own name."""
    return glob(fact.detail[key], pattern) or glob(fact.name, pattern)


def _cli_command(fact: Fact) -> dict[str, Any]:
    return {"name": fact.detail["full_name"], **details(fact, "function", "framework")}


@PYTHON_TOOLS.tool(schema.FindCliCommandsArgs)
def find_cli_commands(ctx: ToolContext, args: schema.FindCliCommandsArgs) -> Matches:
    return fact_rows(ctx, "cli_command", args.path, _cli_command, lambda fact: _named(fact, "full_name", args.name))


def _service(fact: Fact) -> dict[str, Any]:
    return details(fact, "service", "registration", "target")


@PYTHON_TOOLS.tool(schema.FindServicesArgs)
def find_services(ctx: ToolContext, args: schema.FindServicesArgs) -> Matches:
    return fact_rows(ctx, "service", args.path, _service, lambda fact: _named(fact, "service", args.service))


def _test(fact: Fact) -> dict[str, Any]:
    return {"name": fact.name, "qualname": fact.qualname, "kind": fact.detail["test_kind"]}


@PYTHON_TOOLS.tool(schema.FindTestsArgs)
def find_tests(ctx: ToolContext, args: schema.FindTestsArgs) -> Matches:
    return fact_rows(ctx, "test", args.path, _test, lambda fact: glob(fact.name, args.name))


def _imports_module(fact: Fact, wanted: str) -> bool:
    module = fact.detail["module"]
    imported = fact.detail.get("imported")
    full = ".".join(part for part in (module, imported) if part) if imported != "*" else module
    return any(name == wanted or name.startswith(wanted + ".") for name in (module, full))


def _import(fact: Fact) -> dict[str, Any]:
    return {"module": fact.detail["module"], "name": fact.detail.get("imported"), "alias": fact.detail.get("alias")}


@PYTHON_TOOLS.tool(schema.FindImportsArgs)
def find_imports(ctx: ToolContext, args: schema.FindImportsArgs) -> Matches:
    wanted = args.module.strip()
    return fact_rows(ctx, "import", args.path, _import, lambda fact: _imports_module(fact, wanted))


@PYTHON_TOOLS.tool(schema.ReadSymbolArgs)
def read_symbol(ctx: ToolContext, args: schema.ReadSymbolArgs) -> Matches:
    candidates = where(ctx, args.path, "function", "class")
    chosen = [(shown, item) for shown, item in candidates if item.fact.qualname == args.qualname]
    if not chosen and "." not in args.qualname:
        chosen = [(shown, item) for shown, item in candidates if item.fact.name == args.qualname]
    matches: Matches = []
    for shown, item in chosen:
        lines = ctx.lines(item.source, item.fact.path, python=True)
        start = item.fact.detail.get("start_line", item.fact.line)
        text = "\n".join(lines[start - 1 : item.fact.end_line])
        if len(text) > MAX_SOURCE_CHARS:
            text = text[:MAX_SOURCE_CHARS] + f"\n# ... cut at {MAX_SOURCE_CHARS} characters"
        matches.append(
            {
                "path": shown,
                "line": item.fact.line,
                "end_line": item.fact.end_line,
                "qualname": item.fact.qualname,
                "kind": _symbol_kind(item.fact),
                "source": text,
            }
        )
    return matches


@PYTHON_TOOLS.paged_tool(schema.SearchTextArgs, also=("html",))
def search_text(ctx: ToolContext, args: schema.SearchTextArgs, limit: int) -> Page:
    wanted = path_filter(args.path)
    files = [
        (source, record.path)
        for source in ctx.sources
        for record in ctx.files(source)
        if wanted(ctx.shown(source, record.path))
    ]
    if args.regex:
        found = ctx.store.search_lines(files, args.pattern, regex=True, ignore_case=args.ignore_case, limit=limit)
    else:
        found = _search_literal(ctx, files, args.pattern, args.ignore_case, limit)
    matches: Matches = [
        {"path": ctx.shown(hit.source, hit.path), "line": hit.line, "text": hit.text.strip()[:MAX_LINE_CHARS]}
        for hit in found.matches
    ]
    return Page(found.total, matches)


def _search_literal(
    ctx: ToolContext, files: Sequence[tuple[str, str]], pattern: str, ignore_case: bool, limit: int
) -> LineSearch:
    """Literal search over the context's cached lines: the same lines, order and total as the store's
    `search_lines` (which regular expressions use), without a query per call."""
    needle = pattern.lower() if ignore_case else pattern
    hits = [
        (path, number, source, line.rstrip("\r"))
        for source, path in files
        for number, line in enumerate(ctx.lines(source, path), start=1)
        if needle in (line.lower() if ignore_case else line)
    ]
    hits.sort(key=lambda hit: (hit[0], hit[1], hit[2]))
    shown = hits[:limit] if limit else hits
    return LineSearch(len(hits), [LineMatch(source, path, number, text) for path, number, source, text in shown])
