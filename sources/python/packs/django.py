"""Django routes: the `path(route, view)` / `re_path(regex, view)` entries of a module's URL lists
(`urlpatterns = [...]`, `+=`, `.append`, `.extend`, any list a module-level name is bound to), and the
`include("app.urls")` / `include(module)` / `include(list)` / `include([...])` that serve one list
under a prefix of another.

A route's `route` is the pattern as Django matches it: the prefixes of the includes above it joined
(`api/` + `users/<int:pk>/`; an included regex loses its `^` after a prefix: `^api/` + `^x/$` is
`^api/x/$`), when the included module is mined; linking joins them, as an included list may be
anywhere in the project.

Methods: a function view answers every method unless it is decorated with
`@require_http_methods([...])`, `@require_GET`, `@require_POST` or `@require_safe` (then those), so
it is recorded with all methods (`["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
"TRACE"]`: `find_routes` with `method=GET` finds it). A class-based view (`UserView.as_view()`)
resolves to one route per HTTP-verb method its class or a project base defines (`UserView.get`);
a class that defines none, over one of Django's generic views, takes the methods that generic view
defines (`TemplateView`: GET; `FormView`/`CreateView`/`UpdateView`: GET, POST, PUT; `DeleteView`:
GET, POST, DELETE; `RedirectView`: all); any other, all methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from sources.python.packs.base import Extractor, Pack
from sources.python.packs.routing import (
    ALL_METHODS,
    Part,
    definition_key,
    definition_line,
    django_join,
    handler_candidate,
    join_parts,
    mount_candidate,
    path_part,
    route_candidate,
    string_list,
)
from sources.python.syntax import blocks, dotted
from sources.python.vocabulary import FunctionInfo

ENTRIES = frozenset(
    {
        "django.urls.path",
        "django.urls.re_path",
        "django.urls.conf.path",
        "django.urls.conf.re_path",
        "django.conf.urls.url",
    }
)
INCLUDES = frozenset({"django.urls.include", "django.urls.conf.include", "django.conf.urls.include"})
REQUIRE = {
    "django.views.decorators.http.require_GET": ["GET"],
    "django.views.decorators.http.require_POST": ["POST"],
    "django.views.decorators.http.require_safe": ["GET", "HEAD"],
}
REQUIRE_METHODS = "django.views.decorators.http.require_http_methods"
_GET_ONLY = (
    "TemplateView",
    "ListView",
    "DetailView",
    "ArchiveIndexView",
    "YearArchiveView",
    "MonthArchiveView",
    "WeekArchiveView",
    "DayArchiveView",
    "TodayArchiveView",
    "DateDetailView",
)
GENERIC_VIEWS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_GET_ONLY, ("GET",)),
    **dict.fromkeys(("FormView", "CreateView", "UpdateView"), ("GET", "POST", "PUT")),
    "DeleteView": ("DELETE", "GET", "POST"),
    "RedirectView": tuple(ALL_METHODS),
}
"""The methods Django's generic views define (django/views/generic/*.py), by class name."""


class DjangoPack(Pack):
    name = "django"
    reads = {"route": frozenset({"django"})}  # noqa: RUF012

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        for decorator in info.decorators:
            resolved = decorator.resolved
            if resolved is None or not resolved.startswith("django.views.decorators.http."):
                continue
            methods = REQUIRE.get(resolved)
            if resolved == REQUIRE_METHODS and decorator.call is not None and decorator.call.args:
                methods = string_list(decorator.call.args[0].value)
            if methods is not None:
                prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
                owner = f"{prefix}{info.fact.qualname}"
                handler_candidate(extractor, owner, "methods", info.fact.line, methods=methods, path=extractor.ctx.path)
                return

    def on_module(self, extractor: Extractor) -> None:
        if not any(target.startswith("django.") for target in extractor.ctx.imports.values()):
            return
        tables = list(_tables(extractor, extractor.ctx.code.body))
        if not tables:
            return
        positions = MetadataWrapper(extractor.ctx.code, unsafe_skip_copy=True).resolve(PositionProvider)
        reader = _Reader(extractor, positions)
        for name, entries in tables:
            prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
            reader.read(f"{prefix}{name}", name, entries, ())


def _entry_kind(extractor: Extractor, node: cst.BaseExpression) -> str | None:
    """ "entry" for `path(...)`/`re_path(...)`, "include" for `include(...)`, else None."""
    if not isinstance(node, cst.Call):
        return None
    resolved = extractor.ctx.resolve(node.func)
    if resolved in ENTRIES:
        return "entry"
    if resolved in INCLUDES:
        return "include"
    return None


def _elements(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The items of a URL list as written: `[...]`, `(...)`, `[...] + [...]`."""
    if isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element, cst.Element):
                yield element.value
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        yield from _elements(node.left)
        yield from _elements(node.right)


def _tables(extractor: Extractor, statements: Sequence[cst.CSTNode]) -> Iterator[tuple[str, list[cst.Call]]]:
    """(list name, its route entries) for each module-level statement that adds entries to a list."""
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            if isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
                for block in blocks(statement):
                    yield from _tables(extractor, block)
            continue
        for small in statement.body:
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                target, value = small.target, small.value
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in {"append", "extend"} and call.args:
                    target = call.func.value
                    value = call.args[0].value
                    if call.func.attr.value == "append":
                        value = cst.List([cst.Element(value)])
            if not isinstance(target, cst.Name) or value is None:
                continue
            entries = [item for item in _elements(value) if _entry_kind(extractor, item) == "entry"]
            if entries:
                yield target.value, [entry for entry in entries if isinstance(entry, cst.Call)]


class _Reader:
    def __init__(self, extractor: Extractor, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        self.extractor = extractor
        self.positions = positions

    def read(self, key: str, router: str, entries: Sequence[cst.Call], prefix: tuple[Part, ...]) -> None:
        for entry in entries:
            self.entry(key, router, entry, prefix)

    def entry(self, key: str, router: str, entry: cst.Call, prefix: tuple[Part, ...]) -> None:
        extractor = self.extractor
        pattern = path_part(extractor, entry.args[0].value if entry.args else None) or ("", True)
        view = None
        positional = [arg for arg in entry.args if arg.keyword is None and not arg.star]
        for arg in entry.args:
            if arg.keyword is not None and arg.keyword.value == "view":
                view = arg.value
        if view is None and len(positional) > 1:
            view = positional[1].value
        if view is None:
            return
        parts = (*prefix, pattern)
        span = self.positions[entry]
        line, end_line = span.start.line, span.end.line
        target = view
        if _entry_kind(extractor, view) == "include" and isinstance(view, cst.Call) and view.args:
            target = view.args[0].value
        if isinstance(target, cst.Tuple) and target.elements:
            target = target.elements[0].value
        if isinstance(view, cst.Attribute) and view.attr.value == "urls":
            return  # `admin.site.urls`, a REST framework `router.urls`: patterns built at run time, not read
        if target is not view or isinstance(view, cst.Tuple):
            self.include(key, router, target, parts, line, end_line)
            return
        self.route(key, router, view, parts, line, end_line)

    def include(
        self, key: str, router: str, target: cst.BaseExpression, parts: tuple[Part, ...], line: int, end_line: int
    ) -> None:
        extractor = self.extractor
        if isinstance(target, (cst.List, cst.Tuple)):
            inner = [item for item in _elements(target) if isinstance(item, cst.Call)]
            self.read(key, router, [item for item in inner if _entry_kind(extractor, item) == "entry"], parts)
            return
        literal = path_part(extractor, target)
        if literal is not None and literal[1]:
            child = literal[0]
        elif dotted(target) is not None:
            child = extractor.qualified(target)
        else:
            return
        mount_candidate(extractor, "django", key, child, _joined(parts), line, end_line)

    def route(
        self, key: str, router: str, view: cst.BaseExpression, parts: tuple[Part, ...], line: int, end_line: int
    ) -> None:
        extractor = self.extractor
        view_class = None
        view_function = None
        if isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute) and view.func.attr.value == "as_view":
            view_class = definition_key(extractor, view.func.value, ())
            written = extractor.ctx.source_of(view.func.value)
        else:
            written = extractor.ctx.source_of(view)
            if dotted(view) is not None:
                view_function = definition_key(extractor, view, ())
        name = written.rsplit(".", 1)[-1] if dotted(cst.parse_expression(written)) is not None else written
        handler_line = definition_line(extractor, name, ()) if isinstance(view, cst.Name) else None
        text, literal = _joined(parts) or ("", True)
        fact = extractor.make(
            "route",
            name,
            written,
            line,
            end_line,
            methods=list(ALL_METHODS),
            route=text,
            route_is_literal=literal,
            function=written,
            router=router,
            framework="django",
            handler_line=handler_line if handler_line != line else None,
        )
        route_candidate(extractor, "django", key, fact, "urlconf", view=view_class, view_function=view_function)


def _joined(parts: Sequence[Part]) -> Part | None:
    return join_parts(parts, django_join) if parts else None
