"""The intent catalog: what users ask that needs the codebase, and how to answer it from real facts.

An intent is query templates + a builder of tool calls from the domain's facts + an answer writer
over the real tool result. A template may be used for a call only when its placeholders name every
slot the call fills (so the question says everything the arguments say); `{project}` is always free.
"""

from __future__ import annotations

import posixpath
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from curate import answers
from curate.answers import Style, Subject
from curate.tools import ToolContext
from schemas import Fact, ToolResult

CATALOG_VERSION = "1"
MAX_SOURCE_LINES = 60
"""read_symbol examples show symbols up to this long; longer ones would only fail the length stage."""


@dataclass(frozen=True)
class Call:
    arguments: dict[str, Any]
    slots: dict[str, str] = field(default_factory=dict)
    expect_match: bool = False
    """Built from a name the facts hold, so the tool must find it: an empty result is a bug to report."""


UNSAFE = frozenset("*?[`\n")


def usable(value: str) -> bool:
    """A fact's value can fill a slot when the tools will read it literally (no glob characters) and
    the question can quote it (no backticks or line breaks)."""
    return bool(value.strip()) and not UNSAFE & set(value)


Answer = Callable[[ToolResult, Call, Style], str]


@dataclass(frozen=True)
class Intent:
    name: str
    tool: str
    language: str
    templates: tuple[str, ...]
    calls: Callable[[DomainFacts], list[Call]]
    answer: Answer

    def phrasings(self, call: Call) -> list[tuple[int, str]]:
        """(template number, template) for the templates that fit the call's slots exactly."""
        wanted = set(call.slots)
        return [
            (number, template)
            for number, template in enumerate(self.templates)
            if placeholders(template) - {"project"} == wanted
        ]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class DomainFacts:
    """The facts of one domain as intents need them: by kind, with the paths the tools show."""

    def __init__(self, context: ToolContext, project: str) -> None:
        self.context = context
        self.project = project

    def of(self, *kinds: str) -> list[tuple[str, Fact]]:
        return [(self.context.display_path(item), item.fact) for item in self.context.facts(*kinds)]

    def folders(self, *kinds: str) -> list[str]:
        """The folders that hold facts of these kinds (each file's folder), sorted."""
        return sorted({posixpath.dirname(path) for path, _ in self.of(*kinds)} - {""})

    def files(self, *kinds: str) -> list[str]:
        return sorted({path for path, _ in self.of(*kinds)})


# -- call builders -------------------------------------------------------------------------------
def whole_and_by(key: str, values: Iterable[str], **fixed: Any) -> list[Call]:
    """One call over everything, plus one per value of `key` (a folder, a page, a scope...)."""
    return [Call(dict(fixed)), *(Call({**fixed, key: value}, {key: value}) for value in values if usable(value))]


def each(key: str, values: Iterable[str], *, expect: bool = True, **fixed: Any) -> list[Call]:
    """One call per value; by default each value comes from the facts, so each call must find something."""
    return [Call({**fixed, key: value}, {key: value}, expect) for value in values if usable(value)]


def symbol_kind_calls(kind: str, fact_kind: str) -> Callable[[DomainFacts], list[Call]]:
    return lambda facts: whole_and_by("path", facts.folders(fact_kind), kind=kind)


def decorators(facts: DomainFacts) -> list[Call]:
    written = {
        decorator["written"].split("(", 1)[0]
        for _, fact in facts.of("function")
        if not fact.detail["is_method"]
        for decorator in fact.detail["decorators"]
    }
    return each("decorator", sorted(written), kind="function")


def bases(facts: DomainFacts) -> list[Call]:
    names = {base for _, fact in facts.of("class") for base in fact.detail["bases"] if base.isidentifier()}
    return each("base", sorted(names), kind="class")


def method_names(facts: DomainFacts) -> list[Call]:
    names = {
        fact.name
        for _, fact in facts.of("function")
        if fact.detail["is_method"] and not (fact.name.startswith("__") and fact.name.endswith("__"))
    }
    return each("name", sorted(names), kind="method")


def route_methods(facts: DomainFacts) -> list[Call]:
    methods = {method for _, fact in facts.of("route") for method in fact.detail["methods"]}
    return whole_and_by("method", sorted(methods))


def fixture_scopes(facts: DomainFacts) -> list[Call]:
    return whole_and_by("scope", sorted({fact.detail["scope"] for _, fact in facts.of("fixture")}))


def test_files(facts: DomainFacts) -> list[Call]:
    return whole_and_by("path", facts.files("test"))


def imported_modules(facts: DomainFacts) -> list[Call]:
    modules = {fact.detail["module"] for _, fact in facts.of("import") if fact.detail["module"]}
    return each("module", sorted(module for module in modules if not module.startswith(".")))


def readable_symbols(facts: DomainFacts) -> list[Call]:
    names = {
        fact.qualname
        for _, fact in facts.of("function", "class")
        if fact.end_line - fact.detail.get("start_line", fact.line) < MAX_SOURCE_LINES and "<" not in fact.qualname
    }
    return each("qualname", sorted(names))


def searchable_names(facts: DomainFacts) -> list[Call]:
    names = {fact.name for _, fact in facts.of("function", "class") if len(fact.name) >= 4}
    return each("pattern", sorted(names))


def pages(facts: DomainFacts) -> list[str]:
    return facts.files("html_document")


def page_calls(**fixed: Any) -> Callable[[DomainFacts], list[Call]]:
    return lambda facts: whole_and_by("path", pages(facts), **fixed)


CSS_SELECTORS = (
    "form input[required]",
    "nav a",
    "img",
    "button",
    "input[type=email]",
    "th[scope]",
    "label",
    "select",
    "textarea",
    "main h2",
    "footer a",
    "ul li a",
    "a[target=_blank]",
    "input[type=password]",
    "table caption",
)
XPATHS = ("//nav//a", "//form//input", "//img[not(@alt)]", "//h2", "//table//th", "//label[@for]", "//a[@href]")


def css_selectors(facts: DomainFacts) -> list[Call]:
    return each("selector", CSS_SELECTORS, expect=False) if pages(facts) else []


def xpaths(facts: DomainFacts) -> list[Call]:
    if not pages(facts):
        return []
    return [Call({"selector": f"xpath:{xpath}"}, {"xpath": xpath}) for xpath in XPATHS]


# -- answer writers ------------------------------------------------------------------------------
def scope_of(call: Call, everywhere: str = "in this codebase") -> str:
    path = call.arguments.get("path")
    return f"under {answers.code(path)}" if path else everywhere


def listed_as(singular: str, plural: str, item: Callable[[answers.Match], str], everywhere: str) -> Answer:
    def write(result: ToolResult, call: Call, style: Style) -> str:
        return answers.listing(result, Subject(singular, plural, scope_of(call, everywhere)), item, style)

    return write


def symbols_as(singular: str, plural: str) -> Answer:
    return listed_as(singular, plural, answers.symbol_item, "in this codebase")


def decorated(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("function", "functions", f"decorated with {answers.code('@' + call.arguments['decorator'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


def subclassed(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("class", "classes", f"based on {answers.code(call.arguments['base'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


def methods_named(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("method", "methods", f"named {answers.code(call.arguments['name'])}")
    return answers.listing(result, subject, answers.symbol_item, style)


def routes(result: ToolResult, call: Call, style: Style) -> str:
    method = call.arguments.get("method")
    singular, plural = (f"{method} route", f"{method} routes") if method else ("route", "routes")
    return answers.listing(result, Subject(singular, plural, "in this project"), answers.route_item, style)


def fixtures(result: ToolResult, call: Call, style: Style) -> str:
    scope = call.arguments.get("scope")
    kind = f"{scope}-scoped pytest" if scope else "pytest"
    subject = Subject(f"{kind} fixture", f"{kind} fixtures", "in this project")
    return answers.listing(result, subject, answers.fixture_item, style)


def imports(result: ToolResult, call: Call, style: Style) -> str:
    subject = Subject("import", "imports", f"of {answers.code(call.arguments['module'])}")
    return answers.listing(result, subject, answers.import_item, style)


def source(result: ToolResult, call: Call, style: Style) -> str:
    return answers.source_answer(result, call.arguments["qualname"], style)


def search(result: ToolResult, call: Call, style: Style) -> str:
    return answers.search_answer(result, call.arguments["pattern"], style)


def outline(result: ToolResult, call: Call, style: Style) -> str:
    return answers.outline_answer(result, call.arguments["path"], style)


def pages_scope(call: Call) -> str:
    path = call.arguments.get("path")
    return f"in {answers.code(path)}" if path else "in these pages"


def html_listed(singular: str, plural: str, item: Callable[[answers.Match], str]) -> Answer:
    def write(result: ToolResult, call: Call, style: Style) -> str:
        return answers.listing(result, Subject(singular, plural, pages_scope(call)), item, style)

    return write


def matched(result: ToolResult, call: Call, style: Style) -> str:
    selector = call.arguments["selector"]
    shown = selector.removeprefix("xpath:")
    subject = Subject("element", "elements", f"matching {answers.code(shown)} {pages_scope(call)}")
    return answers.listing(result, subject, answers.element_item, style)


PY = "python"
HTML = "html"

INTENTS: dict[str, Intent] = {
    intent.name: intent
    for intent in (
        Intent(
            "async_functions",
            "find_symbols",
            PY,
            (
                "Find all async functions in this codebase",
                "Which coroutines does {project} define?",
                "list every async def",
                "What async functions are there? Please give me each one with where it lives.",
                "Show me the async functions.",
                "List every async def under {path}/",
                "Which coroutines are defined in {path}?",
                "async functions in {path}?",
            ),
            symbol_kind_calls("async_function", "function"),
            symbols_as("async function", "async functions"),
        ),
        Intent(
            "generators",
            "find_symbols",
            PY,
            (
                "Find all generator functions in this codebase",
                "Which functions yield values?",
                "list generators",
                "Where are the generators in {project}?",
                "Find the generator functions under {path}",
            ),
            symbol_kind_calls("generator", "function"),
            symbols_as("generator", "generators"),
        ),
        Intent(
            "decorated_functions",
            "find_symbols",
            PY,
            (
                "Which functions are decorated with @{decorator}?",
                "Find every function that uses the @{decorator} decorator",
                "where is @{decorator} applied?",
                "I'm trying to see everything wrapped by {decorator}. Which functions use it?",
            ),
            decorators,
            decorated,
        ),
        Intent(
            "classes",
            "find_symbols",
            PY,
            (
                "List all classes in this codebase",
                "What classes does {project} define?",
                "show classes",
                "Which classes are defined in {path}?",
                "classes under {path}?",
            ),
            symbol_kind_calls("class", "class"),
            symbols_as("class", "classes"),
        ),
        Intent(
            "subclasses",
            "find_symbols",
            PY,
            (
                "Find all subclasses of {base}",
                "Which classes inherit from {base}?",
                "classes extending {base}?",
                "I need to know every class that derives from `{base}` in {project}.",
            ),
            bases,
            subclassed,
        ),
        Intent(
            "dataclasses",
            "find_symbols",
            PY,
            (
                "Find all dataclasses in this codebase",
                "Which classes are dataclasses?",
                "list @dataclass classes",
                "Which dataclasses live under {path}?",
            ),
            symbol_kind_calls("dataclass", "class"),
            symbols_as("dataclass", "dataclasses"),
        ),
        Intent(
            "pydantic_models",
            "find_symbols",
            PY,
            (
                "Find all Pydantic models",
                "Which classes are pydantic BaseModels?",
                "list the pydantic models in {project}",
                "Which Pydantic models are defined in {path}?",
            ),
            symbol_kind_calls("pydantic_model", "class"),
            symbols_as("Pydantic model", "Pydantic models"),
        ),
        Intent(
            "enums",
            "find_symbols",
            PY,
            ("Find all enums in this codebase", "Which Enum classes are defined?", "list enums", "enums in {path}?"),
            symbol_kind_calls("enum", "class"),
            symbols_as("enum", "enums"),
        ),
        Intent(
            "exceptions",
            "find_symbols",
            PY,
            (
                "Find all custom exception classes",
                "What exceptions does {project} define?",
                "list exception classes",
                "Which exception classes are defined under {path}?",
            ),
            symbol_kind_calls("exception", "class"),
            symbols_as("exception class", "exception classes"),
        ),
        Intent(
            "protocols",
            "find_symbols",
            PY,
            ("Find all Protocol classes", "Which typing protocols are defined here?", "list protocols"),
            lambda facts: [Call({"kind": "protocol"})],
            symbols_as("protocol", "protocols"),
        ),
        Intent(
            "methods",
            "find_symbols",
            PY,
            (
                "Where is the method {name} defined?",
                "Which classes have a {name} method?",
                "find methods named {name}",
                "Can you show me every `{name}` method in {project}?",
            ),
            method_names,
            methods_named,
        ),
        Intent(
            "routes",
            "find_routes",
            PY,
            (
                "Show me the FastAPI route definitions",
                "List all HTTP endpoints",
                "What routes does this API expose?",
                "show routes",
                "Which routes handle {method} requests?",
                "List the {method} endpoints",
                "find all {method} routes in {project}",
            ),
            route_methods,
            routes,
        ),
        Intent(
            "fixtures",
            "find_fixtures",
            PY,
            (
                "Find all pytest fixtures",
                "What fixtures are available in the test suite?",
                "list fixtures",
                "Which fixtures have {scope} scope?",
                "Find the {scope}-scoped fixtures",
            ),
            fixture_scopes,
            fixtures,
        ),
        Intent(
            "cli_commands",
            "find_cli_commands",
            PY,
            (
                "What CLI commands does this project have?",
                "List the command-line commands",
                "Show me the Typer and Click commands",
                "cli commands?",
            ),
            lambda facts: [Call({})],
            listed_as("command", "commands", answers.cli_item, "in this project"),
        ),
        Intent(
            "services",
            "find_services",
            PY,
            (
                "Which services are registered with svcs?",
                "Show me the svcs service registrations",
                "list registered services",
                "What does the service registry of {project} contain?",
            ),
            lambda facts: [Call({})],
            listed_as("service registration", "service registrations", answers.service_item, "in this project"),
        ),
        Intent(
            "tests",
            "find_tests",
            PY,
            (
                "List all tests in this codebase",
                "What tests does pytest collect here?",
                "show tests",
                "Which tests are in {path}?",
                "list the tests in {path}",
            ),
            test_files,
            listed_as("test", "tests", answers.test_item, "in this codebase"),
        ),
        Intent(
            "imports",
            "find_imports",
            PY,
            (
                "Where is {module} imported?",
                "Find all imports of {module}",
                "Which files use {module}?",
                "who imports `{module}` in {project}?",
            ),
            imported_modules,
            imports,
        ),
        Intent(
            "read_symbol",
            "read_symbol",
            PY,
            (
                "Show me the source of {qualname}",
                "Show me `{qualname}`",
                "How is {qualname} implemented?",
                "print the code of {qualname}",
            ),
            readable_symbols,
            source,
        ),
        Intent(
            "search_text",
            "search_text",
            PY,
            (
                "Search the codebase for {pattern}",
                'Where is "{pattern}" mentioned?',
                "grep for {pattern}",
                "Find the lines that contain `{pattern}`",
            ),
            searchable_names,
            search,
        ),
        Intent(
            "forms",
            "find_forms",
            HTML,
            (
                "Find all form elements in this HTML",
                "What forms are on these pages?",
                "list the forms",
                "Show me the form on {path}",
                "What fields does the form in {path} have?",
            ),
            page_calls(),
            html_listed("form", "forms", answers.form_item),
        ),
        Intent(
            "unlabeled_controls",
            "check_accessibility",
            HTML,
            (
                "Which form controls have no label?",
                "Find inputs missing labels",
                "are there unlabeled form fields?",
                "Which fields in {path} lack a label?",
            ),
            page_calls(rules=["label"]),
            html_listed("unlabeled control", "unlabeled controls", answers.finding_item),
        ),
        Intent(
            "landmarks",
            "find_landmarks",
            HTML,
            (
                "Show me the page landmarks",
                "List the landmarks (header, nav, main, footer)",
                "What semantic regions does {path} have?",
                "landmarks in {path}?",
            ),
            page_calls(),
            html_listed("landmark", "landmarks", answers.landmark_item),
        ),
        Intent(
            "navigation",
            "find_landmarks",
            HTML,
            (
                "Show me the navigation component",
                "Where is the nav menu?",
                "find navigation landmarks",
                "Show me the navigation in {path}",
            ),
            page_calls(role="navigation"),
            html_listed("navigation landmark", "navigation landmarks", answers.landmark_item),
        ),
        Intent(
            "tables",
            "find_tables",
            HTML,
            (
                "Show me the table structure",
                "Find all tables in this HTML",
                "What data tables are there, and do they have headers?",
                "Describe the tables in {path}",
            ),
            page_calls(),
            html_listed("table", "tables", answers.table_item),
        ),
        Intent(
            "heading_outline",
            "html_outline",
            HTML,
            (
                "Show me the heading outline of {path}",
                "What headings does {path} have?",
                "outline of {path}?",
                "Show me the headings of {path} down to h{max_level}",
                "Outline {path}, levels 1 to {max_level} only",
            ),
            lambda facts: [
                *each("path", pages(facts), expect=False),
                *(Call({"path": page, "max_level": 2}, {"path": page, "max_level": "2"}) for page in pages(facts)),
            ],
            outline,
        ),
        Intent(
            "images_without_alt",
            "check_accessibility",
            HTML,
            (
                "Which images lack alt text?",
                "Find images without alt attributes",
                "images missing alt?",
                "Do the images in {path} all have alt text?",
            ),
            page_calls(rules=["image-alt"]),
            html_listed("image without alt text", "images without alt text", answers.finding_item),
        ),
        Intent(
            "accessibility_check",
            "check_accessibility",
            HTML,
            (
                "Check these pages for accessibility problems",
                "Run an accessibility check",
                "What accessibility issues does {path} have?",
                "a11y problems in {path}?",
            ),
            page_calls(),
            html_listed("accessibility finding", "accessibility findings", answers.finding_item),
        ),
        Intent(
            "css_query",
            "query_html",
            HTML,
            (
                "Find all elements matching {selector}",
                "Select `{selector}` in the HTML",
                "Which elements match the CSS selector {selector}?",
            ),
            css_selectors,
            matched,
        ),
        Intent(
            "xpath_query",
            "query_html",
            HTML,
            (
                "Run the XPath {xpath}",
                "Evaluate the XPath expression `{xpath}` on these pages",
                "Which nodes match {xpath}?",
            ),
            xpaths,
            matched,
        ),
    )
}


def intents_for(languages: Iterable[str], names: Iterable[str] | None = None) -> list[Intent]:
    wanted = set(names) if names is not None else None
    chosen = set(languages)
    return [
        intent for intent in INTENTS.values() if intent.language in chosen and (wanted is None or intent.name in wanted)
    ]
