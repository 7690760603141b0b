"""Call builders: from a domain's facts, the tool calls an intent can ask about.

Each builder is registered by name with the slot sets its calls fill (a call over everything fills
none; a call narrowed to a folder fills `path`), so the catalog can check at load that every
template can be used. Intent files give a builder's keyword-only parameters; `arguments` are fixed
tool arguments every call carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from curate.intents.model import MAX_SOURCE_LINES, Call, DomainFacts, usable
from curate.intents.registry import Registry

BUILDERS: Registry[list[Call]] = Registry("call builder")
SLOTS: dict[str, tuple[frozenset[str], ...]] = {}
"""The slot sets each builder's calls fill, by builder name."""


def builder(name: str, *slots: str) -> Callable[[Callable[..., list[Call]]], Callable[..., list[Call]]]:
    """Register a builder; each slot set is written as space-separated names ('' for none)."""
    SLOTS[name] = tuple(frozenset(names.split()) for names in slots)
    return BUILDERS.register(name)


def whole_and_by(key: str, values: Iterable[str], **fixed: Any) -> list[Call]:
    """One call over everything, plus one per value of `key` (a folder, a page, a scope...)."""
    return [Call(dict(fixed)), *(Call({**fixed, key: value}, {key: value}) for value in values if usable(value))]


def each(key: str, values: Iterable[str], *, expect: bool = True, **fixed: Any) -> list[Call]:
    """One call per value; by default each value comes from the facts, so each call must find something."""
    return [Call({**fixed, key: value}, {key: value}, expect) for value in values if usable(value)]


def pages(facts: DomainFacts) -> list[str]:
    return facts.files("html_document")


@builder("everything", "")
def everything(facts: DomainFacts, *, arguments: dict[str, Any] | None = None) -> list[Call]:
    """One call with the fixed arguments only."""
    return [Call(dict(arguments or {}))]


@builder("by_folder", "", "path")
def by_folder(facts: DomainFacts, *, fact_kind: str, arguments: dict[str, Any] | None = None) -> list[Call]:
    """Everything, then each folder that holds facts of `fact_kind`."""
    return whole_and_by("path", facts.folders(fact_kind), **(arguments or {}))


@builder("decorators", "decorator")
def decorators(facts: DomainFacts) -> list[Call]:
    written = {
        decorator["written"].split("(", 1)[0]
        for _, fact in facts.of("function")
        if not fact.detail["is_method"]
        for decorator in fact.detail["decorators"]
    }
    return each("decorator", sorted(written), kind="function")


@builder("bases", "base")
def bases(facts: DomainFacts) -> list[Call]:
    names = {base for _, fact in facts.of("class") for base in fact.detail["bases"] if base.isidentifier()}
    return each("base", sorted(names), kind="class")


@builder("method_names", "name")
def method_names(facts: DomainFacts) -> list[Call]:
    names = {
        fact.name
        for _, fact in facts.of("function")
        if fact.detail["is_method"] and not (fact.name.startswith("__") and fact.name.endswith("__"))
    }
    return each("name", sorted(names), kind="method")


@builder("route_methods", "", "method")
def route_methods(facts: DomainFacts) -> list[Call]:
    methods = {method for _, fact in facts.of("route") for method in fact.detail["methods"]}
    return whole_and_by("method", sorted(methods))


@builder("fixture_scopes", "", "scope")
def fixture_scopes(facts: DomainFacts) -> list[Call]:
    """Every fixture, then each literal scope (a computed scope, None, has no value to ask about)."""
    scopes = {fact.detail["scope"] for _, fact in facts.of("fixture")} - {None}
    return whole_and_by("scope", sorted(scopes))


@builder("test_files", "", "path")
def test_files(facts: DomainFacts) -> list[Call]:
    return whole_and_by("path", facts.files("test"))


@builder("imported_modules", "module")
def imported_modules(facts: DomainFacts) -> list[Call]:
    modules = {fact.detail["module"] for _, fact in facts.of("import") if fact.detail["module"]}
    return each("module", sorted(module for module in modules if not module.startswith(".")))


@builder("readable_symbols", "qualname")
def readable_symbols(facts: DomainFacts) -> list[Call]:
    names = {
        fact.qualname
        for _, fact in facts.of("function", "class")
        if fact.end_line - fact.detail.get("start_line", fact.line) < MAX_SOURCE_LINES and "<" not in fact.qualname
    }
    return each("qualname", sorted(names))


@builder("searchable_names", "pattern")
def searchable_names(facts: DomainFacts) -> list[Call]:
    names = {fact.name for _, fact in facts.of("function", "class") if len(fact.name) >= 4}
    return each("pattern", sorted(names))


@builder("by_page", "", "path")
def by_page(facts: DomainFacts, *, arguments: dict[str, Any] | None = None) -> list[Call]:
    """Every page, then each page alone."""
    return whole_and_by("path", pages(facts), **(arguments or {}))


@builder("page_outlines", "path", "path max_level")
def page_outlines(facts: DomainFacts, *, max_level: int) -> list[Call]:
    """Each page's outline, whole and down to `max_level`."""
    return [
        *each("path", pages(facts), expect=False),
        *(
            Call({"path": page, "max_level": max_level}, {"path": page, "max_level": str(max_level)})
            for page in pages(facts)
        ),
    ]


@builder("css_selectors", "selector")
def css_selectors(facts: DomainFacts, *, selectors: list[str]) -> list[Call]:
    """Each selector of the pool, when the domain has pages (a selector may match nothing)."""
    return each("selector", selectors, expect=False) if pages(facts) else []


@builder("xpaths", "xpath")
def xpaths(facts: DomainFacts, *, expressions: list[str]) -> list[Call]:
    """Each XPath expression of the pool, when the domain has pages."""
    if not pages(facts):
        return []
    return [Call({"selector": f"xpath:{xpath}"}, {"xpath": xpath}) for xpath in expressions]


FRAMEWORK_NAMES = {
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "flask": "Flask",
    "django": "Django",
    "litestar": "Litestar",
}
"""How a question names each web framework (the call filters on the lowercase name)."""


def by_framework(facts: DomainFacts, fixed: dict[str, Any]) -> list[Call]:
    """One call per web framework whose routes the domain holds, the question naming it."""
    frameworks = sorted({fact.detail["framework"] for _, fact in facts.of("route")})
    return [Call({**fixed, "framework": name}, {"framework": FRAMEWORK_NAMES[name]}) for name in frameworks]


@builder("route_frameworks", "", "framework")
def route_frameworks(facts: DomainFacts, *, arguments: dict[str, Any] | None = None) -> list[Call]:
    """Every route, then each framework's, with the fixed arguments (`response = "html"`); none where the
    domain holds no routes at all, so that no question about a project's web routes is asked of code
    that has none curate can read."""
    if not facts.of("route"):
        return []
    fixed = dict(arguments or {})
    return [Call(dict(fixed)), *by_framework(facts, fixed)]


@builder("templated_routes", "route")
def templated_routes(facts: DomainFacts) -> list[Call]:
    """Each route path whose handler renders a named template."""
    return each("route", sorted({fact.detail["route"] for _, fact in facts.of("route") if fact.detail.get("template")}))


@builder("form_handling", "", "framework", "path")
def form_handling(facts: DomainFacts) -> list[Call]:
    """Every form, each framework's handlers, and each folder of forms; only where the domain holds both
    forms and routes (forms without any route read are not a question about their handling)."""
    if not facts.of("form") or not facts.of("route"):
        return []
    return [*whole_and_by("path", facts.folders("form")), *by_framework(facts, {})]
