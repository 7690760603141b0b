"""What the Flask, Django and Litestar packs share: where a route table lives, and the candidates that
let linking join its prefixes across modules.

A route of these frameworks is served under prefixes declared elsewhere (`app.register_blueprint(bp,
url_prefix="/q")`, `path("api/", include("app.urls"))`, `Router(path="/api", route_handlers=[...])`),
often in another module. So the packs record, as candidates that linking settles
(`sources/python/link_routes.py`):

- a **route** relative to its *container* (a blueprint, a urlconf list, a Litestar handler or
  controller), keyed by the container's qualified name;
- a **mount**: a container served inside another one, with the prefix the mount gives (or none);
- a **handler**: a method of a view class named after an HTTP verb (`UserView.get`), or the methods
  a Django `@require_http_methods([...])` allows a function view, so a class-based view in another
  module resolves to its methods.

A container's key is its module-qualified name; a name bound inside a function is keyed by the
function's qualified name (`tests.test_bp.test_prefix.<locals>.bp`), so that two tests each with
their own `bp` are two blueprints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from schemas import Fact
from sources.python.context import Binding
from sources.python.packs.base import Extractor
from sources.python.vocabulary import FunctionInfo, Scope, literal_string, qualname_of

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
ALL_METHODS = sorted(verb.upper() for verb in HTTP_VERBS)
"""What a route whose methods curate cannot read answers: any (the view accepts or refuses them)."""
ROUTE_PACKS = frozenset({"flask", "django", "litestar", "views"})
"""The candidates `link_routes` settles (the generic candidate linking leaves them alone)."""

Part = tuple[str, bool]
"""A piece of a path: its text (the literal, or the expression as written) and whether it is literal."""


def join_parts(parts: Sequence[Part], join: Callable[[str, str], str]) -> Part:
    """A full path from its pieces, literal pieces joined the framework's way; with a piece that is
    not literal, a `+` expression of the pieces (literals quoted): `"/api" + PREFIX + "/users"`."""
    merged: list[Part] = []
    for text, literal in parts:
        if merged and literal and merged[-1][1]:
            merged[-1] = (join(merged[-1][0], text), True)
        elif literal:
            merged.append((join("", text) if not merged else text, True))
        else:
            merged.append((text, False))
    if all(literal for _, literal in merged):
        return ("".join(text for text, _ in merged), True)
    return (" + ".join(json.dumps(text) if literal else text for text, literal in merged if text), False)


def flask_join(prefix: str, rule: str) -> str:
    """Flask's `BlueprintSetupState.add_url_rule` and nested blueprints' prefixes."""
    if not prefix:
        return rule
    return "/".join((prefix.rstrip("/"), rule.lstrip("/"))) if rule else prefix


def django_join(prefix: str, pattern: str) -> str:
    """Django's nested patterns as one string: concatenated, an included regex's `^` dropped."""
    return prefix + (pattern[1:] if prefix and pattern.startswith("^") else pattern)


def litestar_join(prefix: str, path: str) -> str:
    """Litestar's `join_paths` then `normalize_path`: one `/` between pieces, a leading `/`, no trailing one."""
    pieces = [piece.strip("/") for piece in (prefix, path) if piece.strip("/")]
    return "/" + "/".join(pieces)


def path_part(extractor: Extractor, node: cst.BaseExpression | None) -> Part | None:
    if node is None:
        return None
    literal = literal_string(node)
    return (literal, True) if literal is not None else (extractor.ctx.source_of(node), False)


def keyword_part(written: str | None) -> Part | None:
    """A keyword argument as the driver keeps it (`url_prefix="/p"` is `'"/p"'`): a plain literal's
    value, else the expression as written; None for `None` or nothing."""
    if written is None or written == "None":
        return None
    if len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0]:
        inner = written[1:-1]
        if "\\" not in inner and written[0] not in inner:
            return (inner, True)
    return (written, False)


def string_list(node: cst.BaseExpression | None) -> list[str] | None:
    """The upper-cased, sorted strings of a literal list/tuple/set (`["get", "POST"]`), else None."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        values = [literal_string(element.value) for element in node.elements]
        if all(value is not None for value in values):
            return sorted({value.upper() for value in values if value is not None})
    return None


def _module_bindings(extractor: Extractor) -> dict[str, Binding]:
    """The module-level bindings: the table in scope at the first hook of a module (always a
    module-level one: the driver hands a def to the packs before it enters the body)."""
    bindings: dict[str, Binding] = extractor.state.setdefault("routing_module_bindings", extractor.ctx.bindings)
    return bindings


def note_module(extractor: Extractor) -> None:
    """Call first in every hook of a route pack: it remembers the module-level bindings."""
    _module_bindings(extractor)


def name_key(extractor: Extractor, name: str, scope: tuple[Scope, ...]) -> str:
    """The key of a name bound by an assignment: module-qualified at module level, else qualified by
    the scope where this very binding was first seen."""
    binding = extractor.ctx.bindings.get(name)
    prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
    if binding is None or _module_bindings(extractor).get(name) is binding or not scope:
        return f"{prefix}{name}"
    seen: dict[int, tuple[Binding, str]] = extractor.state.setdefault("routing_local_keys", {})
    if id(binding) not in seen:
        seen[id(binding)] = (binding, f"{prefix}{qualname_of(scope, name)}")
    return seen[id(binding)][1]


def note_definition(extractor: Extractor, name: str, scope: tuple[Scope, ...]) -> None:
    """Remember where a def or class is (for `definition_key`)."""
    places: dict[str, list[tuple[Scope, ...]]] = extractor.state.setdefault("routing_definitions", {})
    places.setdefault(name, []).append(scope)


def definition_key(extractor: Extractor, node: cst.BaseExpression, scope: tuple[Scope, ...]) -> str:
    """The qualified name of a def or class as referenced at `scope` (`UserView`, `views.index`): the
    innermost enclosing definition of the module seen so far, else what the name resolves to."""
    if isinstance(node, cst.Name):
        places: dict[str, list[tuple[Scope, ...]]] = extractor.state.get("routing_definitions", {})
        enclosing = [place for place in places.get(node.value, []) if scope[: len(place)] == place]
        if enclosing:
            place = max(enclosing, key=len)
            prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
            return f"{prefix}{qualname_of(place, node.value)}"
    return extractor.qualified(node)


def definition_line(extractor: Extractor, name: str, scope: tuple[Scope, ...]) -> int | None:
    """The `def` line of a function of this module visible at `scope`, when known."""
    lines: dict[str, list[tuple[tuple[Scope, ...], int]]] = extractor.state.get("routing_def_lines", {})
    enclosing = [(place, line) for place, line in lines.get(name, []) if scope[: len(place)] == place]
    return max(enclosing, key=lambda item: len(item[0]))[1] if enclosing else None


def note_function(extractor: Extractor, info: FunctionInfo) -> None:
    note_definition(extractor, info.fact.name, info.scope)
    lines: dict[str, list[tuple[tuple[Scope, ...], int]]] = extractor.state.setdefault("routing_def_lines", {})
    lines.setdefault(info.fact.name, []).append((info.scope, info.fact.line))


def route_candidate(
    extractor: Extractor,
    pack: str,
    container: str,
    route: Fact,
    container_kind: str | None,
    own_prefix: Part | None = None,
    view: str | None = None,
    view_function: str | None = None,
    instance_of: str | None = None,
) -> None:
    """A route relative to its container; `view` is a view class to expand into its methods,
    `view_function` a function view whose allowed methods another module may declare, `instance_of`
    the class of a container linking must check (a subclass of `Flask` defined in a test)."""
    payload: dict[str, Any] = {
        "route": route.model_dump(mode="json"),
        "container": container_kind,
        "own_prefix": list(own_prefix) if own_prefix is not None else None,
        "view": view,
        "view_function": view_function,
        "instance_of": instance_of,
    }
    extractor.emit(_candidate(extractor, pack, container, route.name, route.qualname, route.line, payload))


def mount_candidate(
    extractor: Extractor, pack: str, parent: str, child: str, prefix: Part | None, line: int, end_line: int
) -> None:
    payload = {"mount": {"child": child, "prefix": list(prefix) if prefix is not None else None}}
    extractor.emit(_candidate(extractor, pack, parent, child.rsplit(".", 1)[-1], parent, line, payload, end_line))


def prefix_candidate(extractor: Extractor, pack: str, container: str, prefix: Part, line: int) -> None:
    """A container's own prefix (a Litestar `Router(path=...)` or `Controller.path`)."""
    payload = {"own_prefix": list(prefix)}
    extractor.emit(_candidate(extractor, pack, container, container.rsplit(".", 1)[-1], container, line, payload))


def handler_candidate(extractor: Extractor, owner: str, name: str, line: int, **handler: Any) -> None:
    payload = {"handler": {"name": name, "line": line, **handler}}
    extractor.emit(_candidate(extractor, "views", owner, name, f"{owner}.{name}", line, payload))


def _candidate(
    extractor: Extractor,
    pack: str,
    receiver: str,
    name: str,
    qualname: str,
    line: int,
    proposed: dict[str, Any],
    end_line: int | None = None,
) -> Fact:
    return extractor.make(
        "candidate", name, qualname, line, end_line or line, pack=pack, receiver=receiver, proposed=proposed
    )


def note_view_handlers(extractor: Extractor, info: FunctionInfo) -> None:
    """`def get(self, ...)` in a class with bases: a handler of a class-based view (Flask MethodView,
    Django View), recorded so a route to the class anywhere in the project resolves to its methods."""
    if info.owner is None or not info.owner.bases or info.fact.name not in HTTP_VERBS:
        return
    prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
    owner = f"{prefix}{info.fact.qualname.rsplit('.', 1)[0]}"
    handler_candidate(extractor, owner, info.fact.name, info.fact.line, path=extractor.ctx.path)


def note_view_methods(extractor: Extractor, node: cst.ClassDef, qualname: str, line: int) -> None:
    """`methods = ["GET", "POST"]` in a Flask `View` subclass (or `http_method_names` in Django's)."""
    if not node.bases:
        return
    for statement in node.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, (cst.Assign, cst.AnnAssign)):
                continue
            targets = [target.target for target in small.targets] if isinstance(small, cst.Assign) else [small.target]
            for target in targets:
                if isinstance(target, cst.Name) and target.value in {"methods", "http_method_names"}:
                    methods = string_list(small.value)
                    if methods is not None:
                        prefix = f"{extractor.ctx.module}." if extractor.ctx.module else ""
                        handler_candidate(
                            extractor,
                            f"{prefix}{qualname}",
                            target.value,
                            line,
                            methods=methods,
                            path=extractor.ctx.path,
                        )
