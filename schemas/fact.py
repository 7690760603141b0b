"""Facts: exact, located statements about a source file (a function, a route, a fixture...).

A fact has the fields every kind shares (where it is, what it is called) plus a `detail` mapping
whose shape depends on `kind`; each kind's detail is validated against its own model below.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

FactKind = Literal[
    "module",
    "class",
    "function",
    "import",
    "binding",
    "route",
    "fixture",
    "test",
    "cli_command",
    "cli_mount",
    "service",
    "candidate",
    "html_document",
    "landmark",
    "heading",
    "form",
    "table",
    "image",
    "link",
    "a11y_finding",
]


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ModuleDetail(_Detail):
    docstring: str | None = None
    is_package: bool = False


class Decorator(_Detail):
    written: str
    """The decorator expression as written, without the `@`."""
    resolved: str | None = None
    """The qualified name of the callee (`fastapi.APIRouter.get`), when it can be resolved."""
    line: int


class ClassDetail(_Detail):
    bases: list[str] = []
    resolved_bases: list[str | None] = []
    decorators: list[Decorator] = []
    start_line: int
    docstring: str | None = None
    is_dataclass: bool = False
    is_pydantic_model: bool = False
    is_enum: bool = False
    is_protocol: bool = False
    is_exception: bool = False


class FunctionDetail(_Detail):
    is_async: bool = False
    is_generator: bool = False
    is_method: bool = False
    is_nested: bool = False
    decorators: list[Decorator] = []
    signature: str
    returns: str | None = None
    start_line: int
    docstring: str | None = None


class ImportDetail(_Detail):
    module: str
    """The absolute module imported from (`from .a import b` in `pkg.m` gives `pkg.a`)."""
    imported: str | None = None
    """The name imported from the module (`from m import x`), None for `import m`."""
    alias: str | None = None
    level: int = 0
    is_module_level: bool = True
    lazy: bool = False
    """A lazy import (`lazy import m`, `lazy from m import x`: PEP 810, Python 3.15)."""


class BindingDetail(_Detail):
    target: str
    """What the name refers to: `fastapi.FastAPI()` (an instance) or `fastapi.APIRouter` (an alias)."""
    is_instance: bool
    keywords: dict[str, str] = {}


RouteFramework = Literal["fastapi", "starlette", "flask", "django", "litestar"]


class RouteDetail(_Detail):
    methods: list[str]
    route: str
    """The full path the server matches (literal prefixes of routers, blueprints, mounts and includes
    joined), or, when part of it is not a literal, the expression as written (`route_is_literal` false)."""
    route_is_literal: bool = True
    function: str
    """The handler as written or qualified (`index`, `views.index`, `UserView.get`)."""
    router: str
    """The app, router, blueprint or table the route is declared on, as written."""
    framework: RouteFramework
    handler_line: int | None = None
    """The handler's `def` line when it is in the same file and differs from the route's line."""
    response: Literal["html"] | None = None
    """`html` where the route declares an HTML response (HTMLResponse, response_class, a rendered template)."""
    template: str | None = None
    """The template the handler renders, where its name is a literal."""
    websocket: bool = False


class FixtureDetail(_Detail):
    function: str
    scope: str | None = "function"
    """The scope as written when it is a literal string; None when it is computed (`scope=scope`, a
    callable): the value is then known only when the tests run."""
    scope_expression: str | None = None
    """The expression a computed scope is given by, as written."""
    autouse: bool = False
    visibility: Literal["conftest", "module", "class"]
    is_async: bool = False


class TestDetail(_Detail):
    __test__ = False
    test_kind: Literal["function", "method", "class"]
    is_async: bool = False
    parametrized: bool = False


class CliCommandDetail(_Detail):
    function: str
    framework: Literal["typer", "click"]
    group: str
    """The qualified name of the Typer app or click group the command belongs to."""
    is_group: bool = False
    full_name: str
    """The command line as a user types it under the root app (`users create`)."""


class CliMountDetail(_Detail):
    parent: str
    child: str
    mount_name: str | None = None


class ServiceDetail(_Detail):
    service: str
    service_resolved: str | None = None
    registration: Literal["factory", "value"]
    target: str
    registry: str


class CandidateDetail(_Detail):
    """A framework use whose receiver is imported from another module; linking decides."""

    pack: str
    receiver: str
    proposed: dict[str, Any]


class HtmlDocumentDetail(_Detail):
    title: str | None = None
    lang: str | None = None
    encoding: str
    encoding_warning: str | None = None
    libxml_version: str
    is_template: bool = False
    elements: int = 0
    title_templated: bool = False
    """The title holds template syntax (`{% block title %}`, `{{ name }}`), kept out of `title`."""


class LandmarkDetail(_Detail):
    tag: str
    role: str
    label: str | None = None
    xpath: str


class HeadingDetail(_Detail):
    level: int
    text: str
    templated: bool = False
    """The text held template syntax (`{{ ... }}`, `{% ... %}`, `{# ... #}`), kept out of `text`:
    `{% block title %}Users{% endblock %}` reads `Users`, a lone `{{ user.name }}` reads ``."""
    skipped_from: int | None = None
    """The previous heading's level when this one skips levels (h2 then h4)."""
    xpath: str


class FormControl(_Detail):
    tag: str
    type: str | None = None
    name: str | None = None
    id: str | None = None
    line: int
    label: str | None = None
    label_source: Literal["label-for", "label-wrap", "aria-label", "aria-labelledby", "title", "placeholder"] | None = (
        None
    )
    templated: bool = False
    """The label held template syntax, kept out of `label`."""
    required: bool = False
    pattern: str | None = None
    min: str | None = None
    max: str | None = None
    minlength: str | None = None
    maxlength: str | None = None


class FormDetail(_Detail):
    action: str | None = None
    method: str = "get"
    controls: list[FormControl] = []
    xpath: str


class TableHeader(_Detail):
    text: str
    scope: str | None = None


class TableDetail(_Detail):
    caption: str | None = None
    has_thead: bool = False
    has_tbody: bool = False
    has_tfoot: bool = False
    headers: list[TableHeader] = []
    rows: int = 0
    columns: int = 0
    xpath: str


class ImageDetail(_Detail):
    src: str | None = None
    alt: str | None = None
    alt_state: Literal["present", "empty", "missing"]
    xpath: str


class LinkDetail(_Detail):
    href: str
    text: str
    templated: bool = False
    """The text held template syntax, kept out of `text`."""
    xpath: str


class FindingDetail(_Detail):
    rule: str
    impact: Literal["minor", "moderate", "serious", "critical"]
    message: str
    tag: str
    xpath: str


DETAIL_MODELS: dict[str, type[_Detail]] = {
    "module": ModuleDetail,
    "class": ClassDetail,
    "function": FunctionDetail,
    "import": ImportDetail,
    "binding": BindingDetail,
    "route": RouteDetail,
    "fixture": FixtureDetail,
    "test": TestDetail,
    "cli_command": CliCommandDetail,
    "cli_mount": CliMountDetail,
    "service": ServiceDetail,
    "candidate": CandidateDetail,
    "html_document": HtmlDocumentDetail,
    "landmark": LandmarkDetail,
    "heading": HeadingDetail,
    "form": FormDetail,
    "table": TableDetail,
    "image": ImageDetail,
    "link": LinkDetail,
    "a11y_finding": FindingDetail,
}


class Fact(BaseModel):
    """One located fact. `line` is 1-based; for a def or class it is the `def`/`class` keyword's line."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: FactKind
    name: str
    qualname: str
    path: str
    line: int
    end_line: int
    detail: dict[str, Any] = {}

    @model_validator(mode="after")
    def _check_detail(self) -> Fact:
        validated = DETAIL_MODELS[self.kind].model_validate(self.detail)
        object.__setattr__(self, "detail", validated.model_dump(mode="json"))
        if self.line < 1 or self.end_line < self.line:
            raise ValueError(f"bad line range {self.line}-{self.end_line}")
        return self

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.kind, self.qualname)
