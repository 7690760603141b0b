"""Flask routes, in any scope: `@app.route(rule, methods=[...])`, `@app.get/post/put/delete/patch`,
`app.add_url_rule(rule, endpoint, view_func, methods=...)`, the same on a `Blueprint(name, import_name,
url_prefix=...)`, and `app.register_blueprint(bp, url_prefix=...)` (nested blueprints too).

Methods are the ones declared: `route` without `methods` is GET (Flask then adds HEAD, and OPTIONS,
to every rule itself: they are not recorded); a `methods` that is not a literal list is unknown, and
unknown methods are all of them. A class-based view (`view_func=UserAPI.as_view("user")`) resolves,
when linking, to one route per HTTP-verb method the class (or a project base) defines (`UserAPI.get`),
else to the class's `methods = [...]`, else GET.

A route on a Flask app is final. A route on a blueprint is a candidate: its full rule depends on where
the blueprint is registered, possibly in another module (linking joins the literal prefixes as Flask
does; a blueprint registered twice serves its routes twice; one never registered keeps its own
`url_prefix`). A route on an object imported from another module, or on an instance of a class of the
project (a `Flask` subclass), is a candidate too: linking keeps it if the object is a Flask app or
blueprint. On an imported object only `@x.route` is proposed: `@x.get(...)` is how FastAPI routes are
written, and the FastAPI pack proposes those (a blueprint's `@bp.get` through an import is not read).
"""

from __future__ import annotations

import libcst as cst

from schemas import Fact
from sources.python.packs.base import Extractor, Pack
from sources.python.packs.routing import (
    ALL_METHODS,
    Part,
    definition_key,
    definition_line,
    keyword_part,
    mount_candidate,
    name_key,
    note_definition,
    note_function,
    note_module,
    note_view_handlers,
    note_view_methods,
    path_part,
    prefix_candidate,
    route_candidate,
    string_list,
)
from sources.python.syntax import dotted
from sources.python.vocabulary import ClassInfo, FunctionInfo, Scope, argument, literal_string

APPS = frozenset({"flask.Flask", "flask.app.Flask", "flask.sansio.app.App"})
BLUEPRINTS = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint", "flask.sansio.blueprints.Blueprint"})
TYPES = APPS | BLUEPRINTS
VERBS = frozenset({"get", "post", "put", "delete", "patch"})
DECORATORS = VERBS | {"route"}
CALLS = frozenset({"add_url_rule", "register_blueprint"})
Container = tuple[str, str | None, Part | None, str | None]
FOREIGN = ("fastapi.", "starlette.", "litestar.", "django.", "typer.", "click.", "quart.")
"""Classes of other frameworks: their `.get`/`.route` are never Flask's."""


def methods_of(call: cst.Call, verb: str) -> list[str]:
    if verb in VERBS:
        return [verb.upper()]
    given = argument(call, None, "methods")
    if given is None:
        return ["GET"]
    methods = string_list(given)
    return methods if methods is not None else list(ALL_METHODS)


class FlaskPack(Pack):
    name = "flask"
    reads = {"route": frozenset({"flask"})}  # noqa: RUF012
    instance_types = TYPES

    def on_function(self, extractor: Extractor, info: FunctionInfo) -> None:
        note_module(extractor)
        note_function(extractor, info)
        note_view_handlers(extractor, info)
        for decorator in info.decorators:
            call = decorator.call
            if call is None or not isinstance(call.func, cst.Attribute) or call.func.attr.value not in DECORATORS:
                continue
            container = self._container(extractor, call.func.value, info.scope)
            if container is None or (container[1] is None and call.func.attr.value != "route"):
                continue  # `@x.get` on an imported object is FastAPI's form too: that pack proposes it
            key, kind, own_prefix, instance_of = container
            fact = extractor.make(
                "route",
                info.fact.name,
                info.fact.qualname,
                info.fact.line,
                info.fact.end_line,
                methods=methods_of(call, call.func.attr.value),
                route="",
                function=info.fact.qualname,
                router=extractor.ctx.source_of(call.func.value),
                framework="flask",
            )
            rule = path_part(extractor, argument(call, 0, "rule"))
            self._emit(extractor, fact, key, kind, own_prefix, rule, instance_of=instance_of)

    def on_class(self, extractor: Extractor, info: ClassInfo) -> None:
        note_module(extractor)
        note_definition(extractor, info.fact.name, info.scope)
        note_view_methods(extractor, info.node, info.fact.qualname, info.fact.line)

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        note_module(extractor)
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in CALLS:
            return
        container = self._container(extractor, call.func.value, scope)
        if call.func.attr.value == "register_blueprint":
            # Any receiver: the app is often a pytest fixture or a parameter; what matters is the
            # blueprint, which linking finds among the containers of routes.
            child = argument(call, 0, "blueprint")
            if isinstance(child, (cst.Name, cst.Attribute)) and dotted(call.func.value) is not None:
                parent = container[0] if container is not None else self._key(extractor, call.func.value, scope)
                if container is not None and container[2] is not None:
                    prefix_candidate(extractor, self.name, parent, container[2], line)
                prefix = path_part(extractor, argument(call, None, "url_prefix"))
                child_key = self._key(extractor, child, scope)
                mount_candidate(extractor, self.name, parent, child_key, prefix, line, end_line)
            return
        if container is None:
            return
        self._add_url_rule(extractor, call, line, end_line, scope, container)

    def _add_url_rule(
        self,
        extractor: Extractor,
        call: cst.Call,
        line: int,
        end_line: int,
        scope: tuple[Scope, ...],
        container: Container,
    ) -> None:
        assert isinstance(call.func, cst.Attribute)
        view = argument(call, 2, "view_func")
        endpoint = literal_string(argument(call, 1, "endpoint"))
        view_class = self._view_class(extractor, view, scope)
        written = extractor.ctx.source_of(view) if view is not None else (endpoint or "")
        name = written.rsplit(".", 1)[-1] if view is not None and dotted(view) is not None else written
        if view_class is not None:
            name = view_class.rsplit(".", 1)[-1]
            written = name
        handler_line = definition_line(extractor, name, scope) if isinstance(view, cst.Name) else None
        methods = argument(call, None, "methods")
        fact = extractor.make(
            "route",
            name,
            written,
            line,
            end_line,
            methods=methods_of(call, "route") if methods is not None or view_class is None else ["GET"],
            route="",
            function=written,
            router=extractor.ctx.source_of(call.func.value),
            framework="flask",
            handler_line=handler_line if handler_line != line else None,
        )
        key, kind, own_prefix, instance_of = container
        expand = view_class if methods is None else None
        rule = path_part(extractor, argument(call, 0, "rule"))
        self._emit(extractor, fact, key, kind, own_prefix, rule, expand, instance_of)

    def _view_class(
        self, extractor: Extractor, view: cst.BaseExpression | None, scope: tuple[Scope, ...]
    ) -> str | None:
        """`UserAPI.as_view("user")`, or a name bound to it: the class's key."""
        if isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute) and view.func.attr.value == "as_view":
            return definition_key(extractor, view.func.value, scope)
        if isinstance(view, cst.Name):
            binding = extractor.ctx.bindings.get(view.value)
            if binding is not None and binding.is_instance and binding.target.endswith(".as_view"):
                written = binding.target[: -len(".as_view")]
                short = written.rsplit(".", 1)[-1]
                return definition_key(extractor, cst.Name(short), scope) if short.isidentifier() else written
        return None

    def _emit(
        self,
        extractor: Extractor,
        fact: Fact,
        key: str,
        kind: str | None,
        own_prefix: Part | None,
        rule: Part | None,
        view: str | None = None,
        instance_of: str | None = None,
    ) -> None:
        text, literal = rule if rule is not None else ("", True)
        fact = fact.model_copy(update={"detail": {**fact.detail, "route": text, "route_is_literal": literal}})
        if kind == "app" and view is None:
            extractor.emit(fact)
            return
        route_candidate(extractor, self.name, key, fact, kind, own_prefix, view=view, instance_of=instance_of)

    def _key(self, extractor: Extractor, node: cst.BaseExpression, scope: tuple[Scope, ...]) -> str:
        if isinstance(node, cst.Name) and node.value not in extractor.ctx.imports:
            return name_key(extractor, node.value, scope)
        return extractor.qualified(node)

    def _container(
        self, extractor: Extractor, receiver: cst.BaseExpression, scope: tuple[Scope, ...]
    ) -> Container | None:
        """(key, "app" | "blueprint" | None when linking must tell, own url_prefix, the class linking
        must check) of a receiver that is or may be a Flask app or blueprint; None when it cannot be one."""
        local_type, imported = extractor.receiver_of(receiver)
        if local_type is None:
            if imported is None or imported.startswith(FOREIGN):
                return None
            return (imported, None, None, None)
        assert isinstance(receiver, cst.Name)
        key = name_key(extractor, receiver.value, scope)
        if local_type in APPS:
            return (key, "app", None, None)
        if local_type in BLUEPRINTS:
            binding = extractor.ctx.bindings[receiver.value]
            return (key, "blueprint", keyword_part(binding.keywords.get("url_prefix")), None)
        if local_type.startswith(FOREIGN) or not self._may_be_flask(extractor, local_type):
            return None
        short = local_type.rsplit(".", 1)[-1]
        if local_type == f"{extractor.ctx.module}.{short}" and short.isidentifier():
            local_type = definition_key(extractor, cst.Name(short), scope)
        return (key, None, None, local_type)

    def _may_be_flask(self, extractor: Extractor, local_type: str) -> bool:
        """A class of this project (a `Flask` subclass, a re-export): linking tells from the classes."""
        module = extractor.ctx.module
        if self.may_be_reexported(local_type) or local_type.startswith(f"{module}."):
            return True
        return bool(module) and local_type.split(".", maxsplit=1)[0] == module.split(".")[0]
