"""The tool catalog and its executor: each tool is an arguments model plus a function over the store.

Tool results become the `tool` turns of training examples, so they come only from stored facts and
stored file contents (the snapshot that was mined), sorted by path then line, in one shape:
`{"tool": NAME, "total": N, "truncated": bool, "matches": [...]}`.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from curate.errors import InputError, ToolCallError
from curate.store import LineMatch, LineSearch, Store, StoredFact
from schemas import (
    CheckAccessibilityArgs,
    Fact,
    FileRecord,
    FindCliCommandsArgs,
    FindFixturesArgs,
    FindFormsArgs,
    FindImportsArgs,
    FindLandmarksArgs,
    FindRoutesArgs,
    FindServicesArgs,
    FindSymbolsArgs,
    FindTablesArgs,
    FindTestsArgs,
    HtmlOutlineArgs,
    QueryHtmlArgs,
    ReadSymbolArgs,
    SearchTextArgs,
    ToolArguments,
    ToolResult,
    ToolSpec,
)
from sources.html import HtmlDocument, QueryError, compile_selector, parse_html, run_query

DEFAULT_LIMIT = 50
MAX_SOURCE_CHARS = 20_000
MAX_LINE_CHARS = 240
GLOB_CHARS = frozenset("*?[")
PYTHON_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ToolContext:
    """One domain's snapshot as the tools see it. Facts and file lists are read once per context:
    a context lives for one call, or for one verification run over a store nobody writes to."""

    store: Store
    domain: str
    sources: tuple[str, ...]
    _facts: dict[tuple[str, ...], list[StoredFact]] = field(default_factory=dict, compare=False, repr=False)
    _files: dict[str, list[FileRecord]] = field(default_factory=dict, compare=False, repr=False)
    _located: dict[tuple[str, ...], list[tuple[str, StoredFact]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _lines: dict[tuple[str, str, bool], list[str]] = field(default_factory=dict, compare=False, repr=False)

    def display_path(self, stored: StoredFact) -> str:
        """Paths are relative to the mined root; a domain of several sources prefixes the source."""
        return self.shown(stored.source, stored.fact.path)

    def shown(self, source: str, path: str) -> str:
        return f"{source}/{path}" if len(self.sources) > 1 else path

    def facts(self, *kinds: str) -> list[StoredFact]:
        if kinds not in self._facts:
            self._facts[kinds] = self.store.facts(domain=self.domain, kinds=kinds)
        return self._facts[kinds]

    def located(self, *kinds: str) -> list[tuple[str, StoredFact]]:
        """Facts of these kinds, each with the path the tools show for it."""
        if kinds not in self._located:
            self._located[kinds] = [(self.display_path(item), item) for item in self.facts(*kinds)]
        return self._located[kinds]

    def lines(self, source: str, path: str, *, python: bool = False) -> list[str]:
        """A stored file's lines. Split on `\\n` only (a `\\r` stays at the end of its line), as text
        search counts them; or with `python`, where Python's tokenizer ends lines (`\\r\\n`, `\\r`,
        `\\n`, and not at the form feeds and other separators `str.splitlines` also breaks on)."""
        key = (source, path, python)
        if key not in self._lines:
            text = self.store.file_text(source, path) or ""
            self._lines[key] = PYTHON_LINE_END.split(text) if python else text.split("\n")
        return self._lines[key]

    def files(self, source: str) -> list[FileRecord]:
        """A source's files that were read and parsed."""
        if source not in self._files:
            self._files[source] = self.store.files(source, status="ok")
        return self._files[source]


Matches = list[dict[str, Any]]


@dataclass(frozen=True)
class Page:
    total: int
    matches: Matches
    """Sorted by path then line, at most `limit` of them (all when the limit is 0)."""


Runner = Callable[[ToolContext, Any], Matches]
PagedRunner = Callable[[ToolContext, Any, int], Page]


def paged(runner: Runner) -> PagedRunner:
    def run(ctx: ToolContext, args: Any, limit: int) -> Page:
        matches = sorted(runner(ctx, args), key=lambda match: (match["path"], match["line"]))
        return Page(len(matches), matches[:limit] if limit else matches)

    return run


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    arguments: type[ToolArguments]
    run: PagedRunner


def glob(value: str | None, pattern: str | None) -> bool:
    return pattern is None or (value is not None and fnmatch.fnmatchcase(value, pattern))


def path_filter(pattern: str | None) -> Callable[[str], bool]:
    """A predicate for `path=`: a glob, or a file or folder prefix. Never reaches outside the root."""
    if pattern is None:
        return lambda path: True
    cleaned = pattern.strip()
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    cleaned = cleaned.rstrip("/")
    if cleaned.startswith("/") or ".." in cleaned.split("/") or "\\" in cleaned:
        raise ValueError(f"path {pattern!r} must be relative to the project root, without '..'")
    if not cleaned:
        return lambda path: True
    if GLOB_CHARS & set(cleaned):
        return lambda path: fnmatch.fnmatchcase(path, cleaned) or fnmatch.fnmatchcase(path, cleaned + "/*")
    return lambda path: path == cleaned or path.startswith(cleaned + "/")


def _where(ctx: ToolContext, path: str | None, *kinds: str) -> list[tuple[str, StoredFact]]:
    """The facts of these kinds with their shown paths, only those `path` selects."""
    located = ctx.located(*kinds)
    if path is None:
        return located
    wanted = path_filter(path)
    return [(shown, item) for shown, item in located if wanted(shown)]


# -- Python tools -------------------------------------------------------------------------------
def _symbol_kind(fact: Fact) -> str:
    if fact.kind != "function":
        return fact.kind
    prefix = "async_" if fact.detail["is_async"] else ""
    return prefix + ("method" if fact.detail["is_method"] else "function")


SYMBOL_TESTS: dict[str, Callable[[Fact], bool]] = {
    "function": lambda f: f.kind == "function" and not f.detail["is_method"],
    "async_function": lambda f: f.kind == "function" and f.detail["is_async"],
    "method": lambda f: f.kind == "function" and f.detail["is_method"],
    "async_method": lambda f: f.kind == "function" and f.detail["is_method"] and f.detail["is_async"],
    "generator": lambda f: f.kind == "function" and f.detail["is_generator"],
    "class": lambda f: f.kind == "class",
    "dataclass": lambda f: f.kind == "class" and f.detail["is_dataclass"],
    "pydantic_model": lambda f: f.kind == "class" and f.detail["is_pydantic_model"],
    "enum": lambda f: f.kind == "class" and f.detail["is_enum"],
    "protocol": lambda f: f.kind == "class" and f.detail["is_protocol"],
    "exception": lambda f: f.kind == "class" and f.detail["is_exception"],
    "module": lambda f: f.kind == "module",
}


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


def find_symbols(ctx: ToolContext, args: FindSymbolsArgs) -> Matches:
    is_class_kind = args.kind in {"class", "dataclass", "pydantic_model", "enum", "protocol", "exception"}
    if args.base is not None and not is_class_kind:
        raise ValueError("base applies to class kinds only")
    kind = {"module": "module"}.get(args.kind, "class" if is_class_kind else "function")
    test = SYMBOL_TESTS[args.kind]
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "name": item.fact.name,
            "qualname": item.fact.qualname,
            "kind": _symbol_kind(item.fact),
            "signature": _signature(item.fact),
        }
        for shown, item in _where(ctx, args.path, kind)
        if test(item.fact)
        and glob(item.fact.name, args.name)
        and _decorated(item.fact, args.decorator)
        and _based(item.fact, args.base)
    ]


def find_routes(ctx: ToolContext, args: FindRoutesArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "name": item.fact.name,
            "methods": item.fact.detail["methods"],
            "route": item.fact.detail["route"],
        }
        for shown, item in _where(ctx, args.path, "route")
        if (args.method is None or args.method in item.fact.detail["methods"])
        and glob(item.fact.detail["route"], args.route)
    ]


def find_fixtures(ctx: ToolContext, args: FindFixturesArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "name": item.fact.name,
            "function": item.fact.detail["function"],
            "scope": item.fact.detail["scope"],
            "autouse": item.fact.detail["autouse"],
        }
        for shown, item in _where(ctx, args.path, "fixture")
        if glob(item.fact.name, args.name) and (args.scope is None or item.fact.detail["scope"] == args.scope)
    ]


def find_cli_commands(ctx: ToolContext, args: FindCliCommandsArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "name": item.fact.detail["full_name"],
            "function": item.fact.detail["function"],
            "framework": item.fact.detail["framework"],
        }
        for shown, item in _where(ctx, args.path, "cli_command")
        if glob(item.fact.detail["full_name"], args.name) or glob(item.fact.name, args.name)
    ]


def find_services(ctx: ToolContext, args: FindServicesArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "service": item.fact.detail["service"],
            "registration": item.fact.detail["registration"],
            "target": item.fact.detail["target"],
        }
        for shown, item in _where(ctx, args.path, "service")
        if glob(item.fact.detail["service"], args.service) or glob(item.fact.name, args.service)
    ]


def find_tests(ctx: ToolContext, args: FindTestsArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "name": item.fact.name,
            "qualname": item.fact.qualname,
            "kind": item.fact.detail["test_kind"],
        }
        for shown, item in _where(ctx, args.path, "test")
        if glob(item.fact.name, args.name)
    ]


def _imports_module(fact: Fact, wanted: str) -> bool:
    module = fact.detail["module"]
    imported = fact.detail.get("imported")
    full = ".".join(part for part in (module, imported) if part) if imported != "*" else module
    return any(name == wanted or name.startswith(wanted + ".") for name in (module, full))


def find_imports(ctx: ToolContext, args: FindImportsArgs) -> Matches:
    wanted = args.module.strip()
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "module": item.fact.detail["module"],
            "name": item.fact.detail.get("imported"),
            "alias": item.fact.detail.get("alias"),
        }
        for shown, item in _where(ctx, args.path, "import")
        if _imports_module(item.fact, wanted)
    ]


def read_symbol(ctx: ToolContext, args: ReadSymbolArgs) -> Matches:
    candidates = _where(ctx, args.path, "function", "class")
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


def search_text(ctx: ToolContext, args: SearchTextArgs, limit: int) -> Page:
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


# -- HTML tools ---------------------------------------------------------------------------------
def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, False, [])}


def query_html(ctx: ToolContext, args: QueryHtmlArgs) -> Matches:
    try:
        query = compile_selector(args.selector)
    except QueryError as error:
        raise ValueError(str(error)) from None
    wanted = path_filter(args.path)
    matches: Matches = []
    for source in ctx.sources:
        for record in ctx.files(source):
            shown = ctx.shown(source, record.path)
            if record.language != "html" or not wanted(shown):
                continue
            document = _parsed("\n".join(ctx.lines(source, record.path)))
            if document is None:
                continue
            try:
                found = run_query(document, query)
            except QueryError as error:
                raise ValueError(str(error)) from None
            matches.extend({"path": shown, **match} for match in found)
    return matches


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> HtmlDocument | None:
    """Parse a stored page once per process: the same text always gives the same document."""
    return parse_html(text) if text.strip() else None


def find_forms(ctx: ToolContext, args: FindFormsArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "action": item.fact.detail["action"],
            "method": item.fact.detail["method"],
            "controls": [
                _without_empty({k: v for k, v in control.items() if k != "id"})
                for control in item.fact.detail["controls"]
            ],
        }
        for shown, item in _where(ctx, args.path, "form")
    ]


def find_tables(ctx: ToolContext, args: FindTablesArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "caption": item.fact.detail["caption"],
            "rows": item.fact.detail["rows"],
            "columns": item.fact.detail["columns"],
            "headers": [_without_empty(header) for header in item.fact.detail["headers"]],
            "has_thead": item.fact.detail["has_thead"],
            "has_tbody": item.fact.detail["has_tbody"],
            "has_tfoot": item.fact.detail["has_tfoot"],
        }
        for shown, item in _where(ctx, args.path, "table")
    ]


def html_outline(ctx: ToolContext, args: HtmlOutlineArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "level": item.fact.detail["level"],
            "text": item.fact.detail["text"],
            "skipped_from": item.fact.detail["skipped_from"],
        }
        for shown, item in _where(ctx, args.path, "heading")
        if args.max_level is None or item.fact.detail["level"] <= args.max_level
    ]


def find_landmarks(ctx: ToolContext, args: FindLandmarksArgs) -> Matches:
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "tag": item.fact.detail["tag"],
            "role": item.fact.detail["role"],
            "label": item.fact.detail["label"],
        }
        for shown, item in _where(ctx, args.path, "landmark")
        if args.role is None or item.fact.detail["role"] == args.role
    ]


def check_accessibility(ctx: ToolContext, args: CheckAccessibilityArgs) -> Matches:
    rules = set(args.rules) if args.rules else None
    return [
        {
            "path": shown,
            "line": item.fact.line,
            "rule": item.fact.detail["rule"],
            "impact": item.fact.detail["impact"],
            "message": item.fact.detail["message"],
            "tag": item.fact.detail["tag"],
        }
        for shown, item in _where(ctx, args.path, "a11y_finding")
        if rules is None or item.fact.detail["rule"] in rules
    ]


TOOLS: dict[str, Tool] = {
    tool.spec.name: tool
    for tool in (
        Tool(
            ToolSpec.from_arguments(
                "find_symbols",
                "Find functions, methods, classes or modules by kind, name, decorator, base class or path.",
                FindSymbolsArgs,
            ),
            FindSymbolsArgs,
            paged(find_symbols),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_routes",
                "Find HTTP route definitions (FastAPI, Starlette) with their methods and paths.",
                FindRoutesArgs,
            ),
            FindRoutesArgs,
            paged(find_routes),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_fixtures", "Find pytest fixtures with their scope and autouse flag.", FindFixturesArgs
            ),
            FindFixturesArgs,
            paged(find_fixtures),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_cli_commands", "Find command-line commands defined with Typer or Click.", FindCliCommandsArgs
            ),
            FindCliCommandsArgs,
            paged(find_cli_commands),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_services", "Find svcs service registrations (register_factory, register_value).", FindServicesArgs
            ),
            FindServicesArgs,
            paged(find_services),
        ),
        Tool(
            ToolSpec.from_arguments("find_tests", "Find the tests pytest would collect.", FindTestsArgs),
            FindTestsArgs,
            paged(find_tests),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_imports", "Find where a module or a name from it is imported.", FindImportsArgs
            ),
            FindImportsArgs,
            paged(find_imports),
        ),
        Tool(
            ToolSpec.from_arguments(
                "read_symbol", "Show the source code of a function, method or class.", ReadSymbolArgs
            ),
            ReadSymbolArgs,
            paged(read_symbol),
        ),
        Tool(
            ToolSpec.from_arguments(
                "search_text",
                "Search the project's files for a text or a regular expression (RE2 syntax), line by line.",
                SearchTextArgs,
            ),
            SearchTextArgs,
            search_text,
        ),
        Tool(
            ToolSpec.from_arguments(
                "query_html",
                "Select elements of the project's HTML pages with a CSS selector or an XPath expression.",
                QueryHtmlArgs,
            ),
            QueryHtmlArgs,
            paged(query_html),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_forms", "Find HTML forms with their controls, labels and validation rules.", FindFormsArgs
            ),
            FindFormsArgs,
            paged(find_forms),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_tables", "Find HTML tables with their caption, header cells and size.", FindTablesArgs
            ),
            FindTablesArgs,
            paged(find_tables),
        ),
        Tool(
            ToolSpec.from_arguments("html_outline", "Show the heading outline (h1-h6) of HTML pages.", HtmlOutlineArgs),
            HtmlOutlineArgs,
            paged(html_outline),
        ),
        Tool(
            ToolSpec.from_arguments(
                "find_landmarks",
                "Find landmarks and semantic regions (header, nav, main, footer, aside, article, section, figure).",
                FindLandmarksArgs,
            ),
            FindLandmarksArgs,
            paged(find_landmarks),
        ),
        Tool(
            ToolSpec.from_arguments(
                "check_accessibility",
                "Check HTML pages for accessibility problems a static page can show (axe-core rules).",
                CheckAccessibilityArgs,
            ),
            CheckAccessibilityArgs,
            paged(check_accessibility),
        ),
    )
}


def catalog() -> list[dict[str, Any]]:
    """The `tools` list an OpenAI / mlx-lm chat request would carry."""
    return [tool.spec.as_openai() for tool in TOOLS.values()]


def parse_arguments(name: str, arguments: dict[str, Any]) -> ToolArguments:
    tool = TOOLS.get(name)
    if tool is None:
        raise ToolCallError(name, f"no such tool (known: {', '.join(sorted(TOOLS))})")
    try:
        return tool.arguments.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ToolCallError(name, problems) from None


class Executor:
    """Runs tool calls against one domain's stored snapshot, reading what the tools need once.

    Use one for a batch of calls over a store that does not change meanwhile (synthesis, replay);
    `call_tool` makes a fresh one per call.
    """

    def __init__(self, store: Store, domain: str) -> None:
        sources = tuple(source.name for source in store.sources(domain))
        if not sources:
            known = ", ".join(store.domains()) or "none yet"
            raise InputError(f"no domain {domain!r} in the store (domains: {known})")
        self.context = ToolContext(store, domain, sources)
        self._results: dict[str, ToolResult] = {}

    def __call__(self, name: str, arguments: dict[str, Any], limit: int = DEFAULT_LIMIT) -> ToolResult:
        """Run one tool call. `limit=0` returns every match. A call made before gives the result it
        gave then: the tools are pure functions of a snapshot that does not change meanwhile."""
        if limit < 0:
            raise ToolCallError(name, "limit must be 0 (no limit) or more")
        key = json.dumps([name, arguments, limit], sort_keys=True)
        if key not in self._results:
            parsed = parse_arguments(name, arguments)
            try:
                page = TOOLS[name].run(self.context, parsed, limit)
            except ValueError as error:
                raise ToolCallError(name, str(error)) from None
            truncated = len(page.matches) < page.total
            self._results[key] = ToolResult(tool=name, total=page.total, truncated=truncated, matches=page.matches)
        return self._results[key]


def result_content(result: ToolResult) -> str:
    """A result as a `tool` turn carries it: compact JSON, keys in the model's order. Replay compares
    these bytes."""
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def call_tool(
    store: Store, domain: str, name: str, arguments: dict[str, Any], limit: int = DEFAULT_LIMIT
) -> ToolResult:
    """Run one tool call against a domain's stored snapshot. `limit=0` returns every match."""
    if limit < 0:
        raise ToolCallError(name, "limit must be 0 (no limit) or more")
    parse_arguments(name, arguments)
    return Executor(store, domain)(name, arguments, limit)
