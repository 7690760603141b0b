"""Tools the assistant can call: their argument models, their specs and their results.

A tool's spec (what a chat request's `tools` list carries) is generated from its arguments model, so
the schema the model is trained on and the validation the executor applies are one and the same. The
model's docstring is the tool's description, written once: it is part of every training example's
`tools` list (and so of its id), so changing one word changes every example that offers the tool.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from schemas.fact import RouteFramework

SymbolKind = Literal[
    "function",
    "async_function",
    "method",
    "async_method",
    "generator",
    "class",
    "dataclass",
    "pydantic_model",
    "enum",
    "protocol",
    "exception",
    "module",
]
HttpMethod = Literal["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]
FixtureScope = Literal["function", "class", "module", "package", "session"]

GLOB = "A glob pattern (`*`, `?`, `[...]`)"
PATH = "Only files under this folder or matching this glob, relative to the project root"


class ToolArguments(BaseModel):
    """The arguments of one tool; a subclass's own docstring is the tool's description."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def tool_description(cls) -> str:
        """The class's own docstring (never a base class's), its lines joined by single spaces."""
        docstring = cls.__dict__.get("__doc__")
        if not isinstance(docstring, str) or not docstring.strip():
            raise TypeError(f"{cls.__name__} needs a docstring: it is the tool's description")
        return " ".join(docstring.split())


class FindSymbolsArgs(ToolArguments):
    """Find functions, methods, classes or modules by kind, name, decorator, base class or path."""

    kind: SymbolKind = Field(
        description="function: every def outside a class body; async_function: every async def, "
        "methods and nested ones included; method / async_method: defs in a class body; "
        "generator: defs that yield; class and its kinds (dataclass, pydantic_model, enum, "
        "protocol, exception); module"
    )
    name: str | None = Field(None, description=f"{GLOB} on the symbol's name")
    decorator: str | None = Field(
        None, description=f"{GLOB} on a decorator, as written (`app.get`) or resolved (`functools.cache`)"
    )
    base: str | None = Field(None, description=f"{GLOB} on a base class name (classes only)")
    path: str | None = Field(None, description=PATH)


class FindRoutesArgs(ToolArguments):
    """Find HTTP route definitions with their methods, paths, framework, and the template or HTML they return."""

    method: HttpMethod | None = Field(None, description="Only routes answering this HTTP method")
    route: str | None = Field(None, description=f"{GLOB} on the route path, e.g. `/users/*`")
    framework: RouteFramework | None = Field(None, description="Only routes of this web framework")
    response: Literal["html"] | None = Field(
        None, description="html: only routes that return HTML (an HTML response class or a rendered template)"
    )
    path: str | None = Field(None, description=PATH)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class FindFormHandlersArgs(ToolArguments):
    """Find the HTML forms of the project's pages and templates with the routes that handle what they submit."""

    framework: RouteFramework | None = Field(None, description="Only routes of this web framework count as handlers")
    path: str | None = Field(None, description="Only forms in pages under this folder or matching this glob")


class FindFixturesArgs(ToolArguments):
    """Find pytest fixtures with their scope and autouse flag."""

    name: str | None = Field(None, description=f"{GLOB} on the fixture's name")
    scope: FixtureScope | None = Field(None, description="Only fixtures of this scope")
    path: str | None = Field(None, description=PATH)


class FindCliCommandsArgs(ToolArguments):
    """Find command-line commands defined with Typer or Click."""

    name: str | None = Field(None, description=f"{GLOB} on the command's name as typed on the command line")
    path: str | None = Field(None, description=PATH)


class FindServicesArgs(ToolArguments):
    """Find svcs service registrations (register_factory, register_value)."""

    service: str | None = Field(None, description=f"{GLOB} on the registered service type")
    path: str | None = Field(None, description=PATH)


class FindTestsArgs(ToolArguments):
    """Find the tests pytest would collect."""

    name: str | None = Field(None, description=f"{GLOB} on the test's name")
    path: str | None = Field(None, description=PATH)


class FindImportsArgs(ToolArguments):
    """Find where a module or a name from it is imported."""

    module: str = Field(description="A module or a name in it (`fastapi`, `fastapi.APIRouter`); submodules match too")
    path: str | None = Field(None, description=PATH)


class ReadSymbolArgs(ToolArguments):
    """Show the source code of a function, method or class."""

    qualname: str = Field(description="The symbol's qualified name, e.g. `Registry.register_factory`")
    path: str | None = Field(None, description=PATH)


class SearchTextArgs(ToolArguments):
    """Search the project's files for a text or a regular expression (RE2 syntax), line by line."""

    pattern: str = Field(min_length=1, description="The text to look for")
    regex: bool = Field(False, description="Treat the pattern as a regular expression")
    ignore_case: bool = Field(False, description="Match regardless of case")
    path: str | None = Field(None, description=PATH)


AccessibilityRule = Literal[
    "image-alt",
    "label",
    "button-name",
    "html-has-lang",
    "link-name",
    "table-headers",
    "landmark-one-main",
    "heading-order",
    "duplicate-id",
]
LandmarkRole = Literal[
    "banner",
    "navigation",
    "main",
    "contentinfo",
    "complementary",
    "region",
    "search",
    "form",
    "article",
    "figure",
    "sectionheader",
    "sectionfooter",
    "generic",
]
HTML_PATH = "Only pages under this folder or matching this glob, relative to the project root"


class QueryHtmlArgs(ToolArguments):
    """Select elements of the project's HTML pages with a CSS selector or an XPath expression."""

    selector: str = Field(
        min_length=1, description="A CSS selector (`form input[required]`), or XPath after `xpath:` (`xpath://nav//a`)"
    )
    path: str | None = Field(None, description=HTML_PATH)


class FindFormsArgs(ToolArguments):
    """Find HTML forms with their controls, labels and validation rules."""

    path: str | None = Field(None, description=HTML_PATH)


class FindTablesArgs(ToolArguments):
    """Find HTML tables with their caption, header cells and size."""

    path: str | None = Field(None, description=HTML_PATH)


class HtmlOutlineArgs(ToolArguments):
    """Show the heading outline (h1-h6) of HTML pages."""

    path: str = Field(min_length=1, description="The page (or a glob of pages) whose heading outline to show")
    max_level: int | None = Field(None, ge=1, le=6, description="Only headings down to this level (2: h1 and h2)")


class FindLandmarksArgs(ToolArguments):
    """Find landmarks and semantic regions (header, nav, main, footer, aside, article, section, figure)."""

    role: LandmarkRole | None = Field(None, description="Only landmarks with this role (navigation, main...)")
    path: str | None = Field(None, description=HTML_PATH)


class CheckAccessibilityArgs(ToolArguments):
    """Check HTML pages for accessibility problems a static page can show (axe-core rules)."""

    rules: list[AccessibilityRule] | None = Field(None, description="Only these rules (default: all)")
    path: str | None = Field(None, description=HTML_PATH)


class ToolSpec(BaseModel):
    """One entry of a chat request's `tools` list (OpenAI / mlx-lm "function" format)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    description: str
    parameters: dict[str, Any]

    @classmethod
    def from_arguments(cls, name: str, arguments: type[ToolArguments]) -> ToolSpec:
        """The spec of tool `name`: described by the arguments model's docstring, its parameters the
        model's fields (the docstring is not repeated among them)."""
        return cls(name=name, description=arguments.tool_description(), parameters=_plain_schema(arguments))

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class Coverage(BaseModel):
    """What a framework-bound tool searched (`find_routes`, `find_tests`...): the frameworks of its fact
    kind the domain imports (`uses`), the frameworks the tool reads (`reads`), and those the domain
    uses that the tool does not read (`unread`). Lowercase distribution names, sorted. An answer may
    say "there are none" only when `unread` is empty."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    uses: list[str]
    reads: list[str]
    unread: list[str]


class ToolResult(BaseModel):
    """Every tool answers in this shape; `matches` are sorted by path, then line. `coverage` is there
    only for the tools bound to frameworks (the key is left out for the others, so that their results
    keep their bytes)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tool: str
    total: int
    truncated: bool
    matches: list[dict[str, Any]]
    coverage: Coverage | None = None

    @model_serializer(mode="wrap")
    def _leave_out_absent_coverage(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.coverage is None:
            data.pop("coverage", None)
        return data


def _plain_schema(arguments: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema a small model should see: no titles, no `anyOf [T, null]` for optionals."""
    full = arguments.model_json_schema()
    properties: dict[str, Any] = {}
    for field_name, prop in full["properties"].items():
        options = prop.get("anyOf")
        plain = dict(prop)
        if options:
            non_null = [option for option in options if option.get("type") != "null"]
            plain.pop("anyOf")
            if len(non_null) == 1:
                plain.update(non_null[0])
        plain.pop("title", None)
        if plain.get("default", 0) is None:
            plain.pop("default")
        properties[field_name] = plain
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = full.get("required", [])
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema
